"""Audio reading: every WAV becomes float32 samples in [-1, 1).

Plain PCM16 WAVs (the format of every DCASE file) are read straight from their
``data`` chunk and scaled by 1/32768, which is bit-identical to libsndfile's own
float conversion and several times cheaper; every other file goes through
soundfile, which decodes it to float32. A WAV whose ``data`` chunk runs past
the end of the file is refused as truncated (libsndfile would silently read
the samples that are there). Only regular files are read: a FIFO, socket or
device is refused (:class:`NotRegularAudioError`) without blocking. A
WAVE_FORMAT_EXTENSIBLE file takes the direct path only when its SubFormat GUID
is PCM; anything else is left to libsndfile, which decodes or refuses it.
What :func:`header_facts` accepts, :func:`read_audio` reads (soundfile is asked
for exactly the frames its header announces, which also reads the codecs
libsndfile cannot seek in, e.g. GSM 6.10), so ``validate`` and ``score`` agree.

With ``buffers`` (:class:`~s5eval.io.buffers.SampleBuffers`) the samples are
written into reused memory instead of a fresh array. With ``pcm16_as_int16``
PCM16 files are returned as their int16 samples n (standing for
n · 2⁻¹⁵), which :mod:`s5eval.metrics.sdr` uses without a float32 copy.

A scoring worker process may also *map* plain PCM16 files instead of reading them
(:func:`map_files_here`): their int16 samples are then read-only views of the page
cache, which saves copying every byte once. A file that shrinks while it is mapped
ends the process with SIGBUS, so only processes whose loss the caller recovers from
map files (:mod:`s5eval.scoring.backends` scores their work again, reading).
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .buffers import SampleBuffers
from .wav import PCM16_SCALE, NotRegularFileError, WavLayout, layout_of_fd, open_regular_fd, pread_into


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """Header facts of a WAV file: rate in Hz, length in samples."""

    samplerate: int
    frames: int
    channels: int
    subtype: str


class AudioReadError(OSError):
    """A WAV file that soundfile cannot open or decode."""


class TruncatedAudioError(AudioReadError):
    """A WAV file that holds fewer samples than its header announces."""


class NotRegularAudioError(AudioReadError):
    """A path named like a WAV that is not a regular file (FIFO, socket, device, folder): never read."""


_mapping_files = False  # True in scoring worker processes only: see map_files_here


def map_files_here(enabled: bool = True) -> None:
    """Let :func:`read_audio` map plain PCM16 files in this process (for ``pcm16_as_int16`` reads).

    Only for a process whose sudden end its parent recovers from: a mapped file that shrinks, or an I/O error
    on a network file system, ends it with SIGBUS instead of an exception.
    """
    import mmap  # only where files are mapped: not at start-up

    global _mapping_files
    _mapping_files = enabled and sys.byteorder == "little" and hasattr(mmap, "MAP_SHARED")


def maps_files_here() -> bool:
    """Whether :func:`read_audio` maps plain PCM16 files in this process (:func:`map_files_here`)."""
    return _mapping_files


def may_hold_nonfinite(info: AudioInfo) -> bool:
    """True when the samples can be NaN or infinite (integer PCM cannot)."""
    return not info.subtype.startswith("PCM")


def _sf_path(path: str | Path) -> str | bytes:
    """The path as soundfile should get it: text, or bytes for a name that is not valid UTF-8
    (soundfile encodes text strictly, which fails on the surrogates such names decode to)."""
    text = os.fspath(path)
    try:
        text.encode(sys.getfilesystemencoding())
    except UnicodeEncodeError:
        return os.fsencode(text)
    return text


def audio_info(path: str | Path) -> AudioInfo:
    """Read the header only (no decoding): from the RIFF chunks for plain PCM16, else with soundfile."""
    return header_facts(path)[0]


def header_facts(path: str | Path) -> tuple[AudioInfo, WavLayout | None]:
    """:func:`audio_info` and the RIFF layout (None for a file that is not plain RIFF/WAVE), one read of the header."""
    layout = None
    try:
        fd, size = open_regular_fd(path)
    except NotRegularFileError as exc:
        raise NotRegularAudioError(str(exc)) from None
    except (OSError, ValueError):
        pass  # soundfile gives its own explanation below
    else:
        try:
            layout = layout_of_fd(fd, size)
        finally:
            os.close(fd)
    if layout is not None and layout.plain_pcm16:
        return _shared_pcm16_info(layout.samplerate, layout.frames, layout.channels), layout
    try:
        import soundfile as sf  # only for what the RIFF reader does not take itself

        info = sf.info(_sf_path(path))
    except Exception as exc:  # soundfile raises several types for bad files
        raise AudioReadError(f"cannot read WAV header: {_reason(exc)}") from None
    return AudioInfo(int(info.samplerate), int(info.frames), int(info.channels), str(info.subtype)), layout


_SHARED_INFOS: dict[tuple[int, int, int], AudioInfo] = {}
_MOST_SHARED = 4096  # distinct shapes kept (a set has a handful; the bound is for hostile ones)


def _shared_pcm16_info(samplerate: int, frames: int, channels: int) -> AudioInfo:
    """The PCM16 :class:`AudioInfo` of this shape, one object for every file of it: a run keeps the header facts
    of thousands of files, nearly all alike."""
    key = (samplerate, frames, channels)
    info = _SHARED_INFOS.get(key)
    if info is None:
        if len(_SHARED_INFOS) >= _MOST_SHARED:
            _SHARED_INFOS.clear()
        info = _SHARED_INFOS[key] = AudioInfo(samplerate, frames, channels, "PCM_16")
    return info


def read_audio(path: str | Path, channel: int | None = None, buffers: SampleBuffers | None = None,
               pcm16_as_int16: bool = False) -> tuple[np.ndarray, AudioInfo]:
    """Decode a WAV file to float32 in [-1, 1).

    Returns ``(samples, info)``; samples have shape ``(frames, channels)`` when
    ``channel`` is None, else ``(frames,)`` holding that channel only. With
    ``buffers`` the samples live in one of its arrays, valid until its next
    ``reset()``. With ``pcm16_as_int16`` a PCM16 file gives its int16 samples
    instead (value = sample · 2⁻¹⁵).
    """
    try:
        fd, size = open_regular_fd(path)  # read with pread: one system call per read, no file object
    except NotRegularFileError as exc:
        raise NotRegularAudioError(str(exc)) from None
    except (OSError, ValueError):
        pass  # unreadable files get soundfile's own explanation below
    else:
        try:
            layout = layout_of_fd(fd, size)
            _refuse_truncated(layout)
            if layout is not None and layout.plain_pcm16:
                return _read_plain_pcm16(fd, layout, channel, buffers, pcm16_as_int16)
        finally:
            os.close(fd)
    return _read_with_soundfile(path, channel, pcm16_as_int16)


def _refuse_truncated(layout: WavLayout | None) -> None:
    if layout is not None and layout.truncated:
        raise TruncatedAudioError(
            f"the file is truncated: its header announces {layout.data_size} bytes of samples but only "
            f"{max(0, layout.file_size - layout.data_offset)} are present"
        )


def _read_plain_pcm16(fd: int, layout: WavLayout, channel: int | None, buffers: SampleBuffers | None,
                      as_int16: bool) -> tuple[np.ndarray, AudioInfo]:
    """The samples of the ``data`` chunk of the open file ``fd``: int16 as stored, or float32 scaled by 2⁻¹⁵."""
    frames, channels = layout.frames, layout.channels
    info = _shared_pcm16_info(layout.samplerate, frames, channels)
    if as_int16 and _mapping_files:
        mapped = _mapped_samples(fd, layout)
        if mapped is not None:
            if channel is None:
                return mapped.reshape(frames, channels), info
            if channels == 1:
                return mapped, info
            one = buffers.take(frames, np.int16) if buffers is not None else np.empty(frames, dtype=np.int16)
            np.copyto(one, mapped.reshape(frames, channels)[:, channel])  # one pass over the mapping
            return one, info
    shape = (frames,) if channel is not None else (frames, channels)
    n_out = frames if channel is not None else frames * channels
    dtype = np.int16 if as_int16 else np.float32
    out = buffers.take(n_out, dtype).reshape(shape) if buffers is not None else np.empty(shape, dtype=dtype)
    if as_int16 and n_out == frames * channels:  # the file's samples are the result: read them in place
        _read_samples(fd, out.reshape(-1), layout)
        return out, info
    raw = buffers.raw(frames * channels) if buffers is not None else np.empty(frames * channels, dtype=np.int16)
    _read_samples(fd, raw, layout)
    interleaved = raw.reshape(frames, channels)
    source = interleaved[:, channel] if channel is not None else interleaved
    if as_int16:
        np.copyto(out, source)
    else:
        np.multiply(source, PCM16_SCALE, out=out, dtype=np.float32)
    return out, info


def _mapped_samples(fd: int, layout: WavLayout) -> np.ndarray | None:
    """The int16 samples of the ``data`` chunk as a read-only view of the mapped file; None when the file
    cannot be mapped or is shorter than its header says (then it is read, which says why)."""
    import mmap  # loaded by map_files_here

    n_samples = layout.frames * layout.channels
    try:
        mapping = mmap.mmap(fd, 0, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ)
    except (OSError, ValueError):  # an empty file, a file system that cannot map
        return None
    if layout.data_offset + 2 * n_samples > len(mapping):
        mapping.close()
        return None
    return np.frombuffer(mapping, dtype=np.int16, count=n_samples, offset=layout.data_offset)


def _read_samples(fd: int, samples: np.ndarray, layout: WavLayout) -> None:
    """Fill a native int16 array with the first ``samples.size`` little-endian samples of the ``data`` chunk of ``fd``."""
    view = samples.data.cast("B")
    wanted, got = samples.nbytes, 0
    while got < wanted:
        n_read = pread_into(fd, view[got:], layout.data_offset + got)
        if not n_read:
            break
        got += n_read
    if got < wanted:
        raise TruncatedAudioError(f"the file is truncated: the header announces {layout.frames} samples but only "
                                  f"{got // layout.block_align} could be read")
    if sys.byteorder == "big":
        samples.byteswap(inplace=True)


def _read_with_soundfile(path: str | Path, channel: int | None, pcm16_as_int16: bool) -> tuple[np.ndarray, AudioInfo]:
    import soundfile as sf

    try:
        with sf.SoundFile(_sf_path(path)) as handle:
            info = AudioInfo(int(handle.samplerate), int(handle.frames), int(handle.channels), str(handle.subtype))
            # the announced frames, asked for explicitly: libsndfile cannot seek in some codecs (GSM 6.10,
            # G.72x, NMS ADPCM) and soundfile then refuses to read "all" frames, though it reads them this way
            frames = max(0, info.frames)
            if info.subtype == "PCM_16":
                raw = handle.read(frames, dtype="int16", always_2d=True)
                if channel is not None:
                    raw = np.ascontiguousarray(raw[:, channel])
                if pcm16_as_int16:
                    samples = raw
                else:
                    samples = raw.astype(np.float32)
                    samples *= PCM16_SCALE
            else:
                samples = handle.read(frames, dtype="float32", always_2d=True)
                if channel is not None:
                    samples = np.ascontiguousarray(samples[:, channel])
    except Exception as exc:
        raise AudioReadError(f"cannot decode WAV: {_reason(exc)}") from None
    if samples.shape[0] != info.frames:
        raise TruncatedAudioError(
            f"the file is truncated: the header announces {info.frames} samples but only "
            f"{samples.shape[0]} could be read"
        )
    return samples, info


def write_audio(path: str | Path, samples: np.ndarray, samplerate: int, subtype: str = "PCM_16") -> None:
    """Write float samples (frames[, channels]) as a WAV file."""
    import soundfile as sf

    sf.write(str(path), samples, samplerate, subtype=subtype, format="WAV")


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
