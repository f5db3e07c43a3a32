"""Spectrograms of the report: log-power on a mel-spaced frequency axis, written as small PNGs.

The short-time Fourier transform is computed with numpy (Hann window of
:data:`N_FFT` samples; the hop is chosen so that a signal gives at most
:data:`MAX_COLUMNS` frames). Power is averaged into :data:`N_BANDS` bands
evenly spaced on the mel scale from 0 Hz to the Nyquist frequency. All the
spectrograms of one mixture share one colour scale: from the loudest band of
any of its signals down :data:`DYNAMIC_RANGE_DB` dB. The image is an
8-bit palette PNG (matplotlib's colour map, written by Pillow, which
matplotlib requires) in :data:`LEVELS` colours, 10–45 kB each.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

N_FFT = 1024            # samples per frame (32 ms at 32 kHz)
MAX_COLUMNS = 600       # frames per image at most (time pixels)
N_BANDS = 128           # mel bands (frequency pixels)
DYNAMIC_RANGE_DB = 80.0  # dB shown below the loudest band of the mixture
COLOUR_MAP = "magma"
LEVELS = 64             # colours used (1.25 dB steps over 80 dB): smaller PNGs than 256
_FLOOR = 1e-12  # power floor before the logarithm (−120 dB re full scale)


@dataclass(frozen=True)
class ColourScale:
    """The dB range shared by the spectrograms of one mixture (band power, dB re full scale)."""

    top_db: float
    bottom_db: float


def _mel(hz: np.ndarray) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + hz / 700.0)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


def band_edges_hz(samplerate: int, n_bands: int = N_BANDS) -> np.ndarray:
    """The ``n_bands + 1`` band edges in Hz, evenly spaced on the mel scale from 0 to ``samplerate / 2``."""
    return _mel_to_hz(np.linspace(0.0, float(_mel(np.array(samplerate / 2.0))), n_bands + 1))


@lru_cache(maxsize=8)
def band_bins(samplerate: int, n_fft: int = N_FFT, n_bands: int = N_BANDS) -> tuple[np.ndarray, np.ndarray]:
    """(first, end) FFT bin of each band: the bins whose centre frequency falls in it, at least one (the nearest)."""
    bins_hz = np.arange(n_fft // 2 + 1) * samplerate / n_fft
    edges = band_edges_hz(samplerate, n_bands)
    first = np.searchsorted(bins_hz, edges[:-1], side="left")
    end = np.searchsorted(bins_hz, edges[1:], side="left")
    end[-1] = bins_hz.size  # the Nyquist bin belongs to the top band
    narrow = end <= first
    nearest = np.clip(np.rint((edges[:-1] + edges[1:]) / 2 * n_fft / samplerate).astype(int), 0, bins_hz.size - 1)
    first[narrow], end[narrow] = nearest[narrow], nearest[narrow] + 1
    return first, end


def spectrogram_db(samples: np.ndarray, samplerate: int) -> np.ndarray:
    """Band power in dB (a full-scale sine reads about 0 dB), shape (N_BANDS, frames); low frequencies in row 0.

    ``samples``: mono float samples at ``samplerate`` Hz. Frames: at most
    :data:`MAX_COLUMNS`, the hop in samples ⌈(len − N_FFT) / (MAX_COLUMNS − 1)⌉
    (at least N_FFT / 4); a signal shorter than N_FFT is zero-padded to one frame.
    """
    x = np.nan_to_num(np.asarray(samples, dtype=np.float32).reshape(-1))
    if x.size < N_FFT:
        x = np.pad(x, (0, N_FFT - x.size))
    hop = max(N_FFT // 4, -(-(x.size - N_FFT) // (MAX_COLUMNS - 1)))
    n_frames = 1 + (x.size - N_FFT) // hop
    frames = np.lib.stride_tricks.as_strided(x, (n_frames, N_FFT), (x.strides[0] * hop, x.strides[0]),
                                             writeable=False)
    from scipy.fft import rfft  # float32 in, complex64 out

    window = np.hanning(N_FFT).astype(np.float32)
    spectrum = rfft(frames * window, axis=1)
    power = np.abs(spectrum) ** 2 * np.float32(4.0 / float(window.sum()) ** 2)  # full-scale sine → 1
    first, end = band_bins(samplerate)
    cumulative = np.concatenate([np.zeros((power.shape[0], 1), np.float64), np.cumsum(power, axis=1, dtype=np.float64)],
                                axis=1)
    bands = ((cumulative[:, end] - cumulative[:, first]) / (end - first)).T  # the mean power of each band's bins
    return 10.0 * np.log10(np.maximum(bands, np.float32(_FLOOR)))


def shared_scale(spectrograms: list[np.ndarray]) -> ColourScale:
    """One colour scale for a mixture's spectrograms: the loudest band of all, down DYNAMIC_RANGE_DB dB."""
    top = max((float(s.max()) for s in spectrograms if s.size), default=0.0)
    return ColourScale(top, top - DYNAMIC_RANGE_DB)


def palette() -> list[int]:
    """The 256-colour palette of :data:`COLOUR_MAP` as flat RGB bytes (matplotlib, imported here)."""
    from matplotlib import colormaps

    rgb = (colormaps[COLOUR_MAP](np.linspace(0.0, 1.0, 256))[:, :3] * 255).round().astype(np.uint8)
    return rgb.reshape(-1).tolist()


def png_bytes(db: np.ndarray, scale: ColourScale, colours: list[int]) -> bytes:
    """A palette PNG of a spectrogram (``db`` as :func:`spectrogram_db` gives it), high frequencies on top."""
    span = max(scale.top_db - scale.bottom_db, 1e-6)
    level = np.clip(np.floor((db - scale.bottom_db) / span * LEVELS), 0, LEVELS - 1)
    index = (level * (255 // (LEVELS - 1))).astype(np.uint8)[::-1]
    return png_bytes_raw(index, colours)


def colour_bar_png(colours: list[int], width: int = 256, height: int = 12) -> bytes:
    """The colour bar (low dB on the left) as a palette PNG."""
    row = np.linspace(0, 255, width).round().astype(np.uint8)
    return png_bytes_raw(np.tile(row, (height, 1)), colours)


def png_bytes_raw(index: np.ndarray, colours: list[int]) -> bytes:
    """A palette PNG of an array of colour indices (0–255), row 0 on top."""
    from PIL import Image  # matplotlib's own dependency

    image = Image.fromarray(np.ascontiguousarray(index, dtype=np.uint8), mode="P")
    image.putpalette(colours)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
