"""Audio of the report: one mono signal as a small Ogg Vorbis file (soundfile/libsndfile).

Ogg Vorbis plays in every current browser (Chromium, Firefox, Safari 17+) and
takes about a tenth of the PCM16 size. Levels are kept as they are, so the
participant hears an estimate as loud as it was scored; a signal whose peak
exceeds full scale (|x| > 1, possible in float WAVs) is scaled down to a peak
of 1 for playback, and the scale is reported.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

AUDIO_SUFFIX = ".ogg"
AUDIO_MIME = "audio/ogg"
VORBIS_COMPRESSION = 0.7  # libsndfile's Vorbis knob: 0 best quality … 1 smallest file (about 40 kbit/s at 32 kHz)


@dataclass(frozen=True)
class EncodedAudio:
    """An encoded signal: the file's bytes and the gain applied for playback (1.0: none)."""

    data: bytes
    gain: float


def playback_gain(samples: np.ndarray) -> float:
    """1.0, or 1/peak for a signal whose peak |x| exceeds full scale (1.0)."""
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    return 1.0 / peak if peak > 1.0 and np.isfinite(peak) else 1.0


def encode_ogg(samples: np.ndarray, samplerate: int) -> EncodedAudio:
    """Encode a mono float signal (samples at ``samplerate`` Hz) as Ogg Vorbis bytes."""
    import soundfile as sf

    gain = playback_gain(samples)
    signal = np.nan_to_num(np.asarray(samples, dtype=np.float32).reshape(-1) * np.float32(gain))
    buffer = io.BytesIO()
    sf.write(buffer, signal, samplerate, format="OGG", subtype="VORBIS", compression_level=VORBIS_COMPRESSION)
    return EncodedAudio(buffer.getvalue(), gain)
