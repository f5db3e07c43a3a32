"""Audio reading: every WAV becomes float32 samples in [-1, 1).

PCM16 files are read as int16 and scaled by 1/32768, which is bit-identical to
libsndfile's own float conversion and cheaper; every other subtype soundfile
reads is decoded to float32 directly. A WAV whose ``data`` chunk runs past the
end of the file is refused as truncated (libsndfile would silently read the
samples that are there).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from .wav import wav_layout

_PCM16_SCALE = np.float32(1.0 / 32768.0)


@dataclass(frozen=True)
class AudioInfo:
    """Header facts of a WAV file: rate in Hz, length in samples."""

    samplerate: int
    frames: int
    channels: int
    subtype: str


class AudioReadError(OSError):
    """A WAV file that soundfile cannot open or decode."""


def audio_info(path: str | Path) -> AudioInfo:
    """Read the header only (no decoding)."""
    try:
        info = sf.info(str(path))
    except Exception as exc:  # soundfile raises several types for bad files
        raise AudioReadError(f"cannot read WAV header: {_reason(exc)}") from None
    return AudioInfo(int(info.samplerate), int(info.frames), int(info.channels), str(info.subtype))


def read_audio(path: str | Path, channel: int | None = None) -> tuple[np.ndarray, AudioInfo]:
    """Decode a WAV file to float32.

    Returns ``(samples, info)``; samples have shape ``(frames, channels)`` when
    ``channel`` is None, else ``(frames,)`` holding that channel only.
    """
    layout = wav_layout(path)
    if layout is not None and layout.truncated:
        raise AudioReadError(
            f"the file is truncated: its header announces {layout.data_size} bytes of samples but only "
            f"{max(0, layout.file_size - layout.data_offset)} are present"
        )
    try:
        with sf.SoundFile(str(path)) as handle:
            info = AudioInfo(int(handle.samplerate), int(handle.frames), int(handle.channels), str(handle.subtype))
            if info.subtype == "PCM_16":
                raw = handle.read(dtype="int16", always_2d=True)
                if channel is not None:
                    raw = raw[:, channel]
                samples = raw.astype(np.float32)
                samples *= _PCM16_SCALE
            else:
                samples = handle.read(dtype="float32", always_2d=True)
                if channel is not None:
                    samples = np.ascontiguousarray(samples[:, channel])
    except Exception as exc:
        raise AudioReadError(f"cannot decode WAV: {_reason(exc)}") from None
    if samples.shape[0] != info.frames:
        raise AudioReadError(
            f"the file is truncated: the header announces {info.frames} samples but only "
            f"{samples.shape[0]} could be read"
        )
    return samples, info


def write_audio(path: str | Path, samples: np.ndarray, samplerate: int, subtype: str = "PCM_16") -> None:
    """Write float samples (frames[, channels]) as a WAV file."""
    sf.write(str(path), samples, samplerate, subtype=subtype, format="WAV")


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
