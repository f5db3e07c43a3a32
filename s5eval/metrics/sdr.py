"""Signal-to-distortion ratio, exactly as torchmetrics' ``signal_noise_ratio``.

    SDR(ŝ, s)  = 10 · log10( (Σ s² + ε) / (Σ (s − ŝ)² + ε) )      [dB]
    SDRi(ŝ, s, y) = SDR(ŝ, s) − SDR(y, s)                          [dB]

ε is float32 machine epsilon; no mean removal and no scaling. The difference
``s − ŝ`` is formed in float32 (as the official code does); sums of squares
are formed in float32 over blocks of 1024 samples and accumulated in float64,
which is as accurate as a float64 sum for audio (relative error about 1e-9,
i.e. 4e-9 dB).

PCM16 signals may be passed as int16 arrays (the scorer reads them so): a
sample ``n`` stands for n · 2⁻¹⁵, as libsndfile's float conversion gives it.
Differences, squares and sums are then formed in the same float32 arithmetic
on ``n`` and the sums scaled by 2⁻³⁰. Scaling by a power of two is exact, so
the energies are bit-identical to those of the float32 signals, and the
float32 conversion of every signal is skipped.
"""
from __future__ import annotations

import math
import threading
from typing import Any, Callable, Sequence

import numpy as np

from ..io.wav import PCM16_SCALE

EPS = float(np.finfo(np.float32).eps)  # 1.1920929e-07


def as_float32(signal: Any) -> np.ndarray:
    """Turn a numpy array, a list or a torch tensor into a contiguous float32 array.

    int16 samples are PCM16: a sample n stands for n · 2⁻¹⁵, as libsndfile reads it.
    """
    if hasattr(signal, "detach"):  # torch tensor, without importing torch
        signal = signal.detach().cpu().numpy()
    array = np.asarray(signal)
    if array.dtype == np.int16:
        return np.ascontiguousarray(array, dtype=np.float32) * PCM16_SCALE
    return np.ascontiguousarray(array, dtype=np.float32)


_BLOCK = 1024  # samples summed in float32 before the float64 accumulation
_CHUNK = 64 * _BLOCK  # 65,536 samples: a chunk's float32 values (256 KiB) stay in the core's cache
_PCM16_ENERGY_SCALE = float(PCM16_SCALE) ** 2  # 2⁻³⁰ = (2⁻¹⁵)²: Σ n² of int16 samples → Σ x² of their float values
_local = threading.local()  # each thread's scratch buffers


def _block_sums_into(sums: np.ndarray, values: np.ndarray) -> None:
    """``sums[k] = Σ values[1024·k : 1024·(k+1)]²`` in float32, one dot product per block (shape (n, 1, 1))."""
    blocks = values.reshape(-1, _BLOCK)
    with np.errstate(over="ignore"):  # samples around 1e18 overflow a block: +inf, as the official float32 sum
        np.matmul(blocks[:, None, :], blocks[:, :, None], out=sums)


def _total(sums: np.ndarray, tail: np.ndarray) -> float:
    """The float64 sum of the block sums plus Σ tail² (the last samples short of a block, in float64)."""
    wide_tail = tail.astype(np.float64)
    return float(sums.sum(dtype=np.float64) + np.dot(wide_tail, wide_tail))


def _sum_of_squares(x: np.ndarray) -> float:
    """Σ x² of a 1-D float32 array: float32 sums over blocks of 1024 samples, added up in float64.

    Each block is one float32 dot product (``matmul`` of a row by itself), so
    this is a single pass at memory speed, several times faster than casting
    every sample to float64.
    """
    n_full = x.size - x.size % _BLOCK
    sums = _block_sum_scratch(n_full // _BLOCK)
    _block_sums_into(sums, x[:n_full])
    return _total(sums, x[n_full:])


def _chunked_sum_of_squares(n_samples: int, fill: Callable[[np.ndarray, int, int], np.ndarray]) -> float:
    """:func:`_sum_of_squares` of a float32 signal that ``fill(scratch, start, stop)`` writes chunk by chunk.

    ``fill`` writes samples ``start:stop`` into the scratch array it is given and
    returns them. Every block sum is the one :func:`_sum_of_squares` gives for
    the whole signal, and they are added up in the same order, so the result is
    bit-identical; the chunk's float32 values never leave the cache.
    """
    n_full = n_samples - n_samples % _BLOCK
    sums = _block_sum_scratch(n_full // _BLOCK)
    chunk = _scratch("chunk", min(_CHUNK, n_samples))
    for start in range(0, n_full, _CHUNK):
        stop = min(start + _CHUNK, n_full)
        _block_sums_into(sums[start // _BLOCK:stop // _BLOCK], fill(chunk[:stop - start], start, stop))
    return _total(sums, fill(chunk[:n_samples - n_full], n_full, n_samples))


def _is_pcm16(signal: np.ndarray) -> bool:
    return signal.dtype == np.int16


def _scratch(slot: str, n_values: int) -> np.ndarray:
    """This thread's float32 scratch array ``slot`` with at least ``n_values`` elements."""
    scratch = getattr(_local, slot, None)
    if scratch is None or scratch.size < n_values:
        scratch = np.empty(n_values, dtype=np.float32)
        setattr(_local, slot, scratch)
    return scratch[:n_values]


def _block_sum_scratch(n_blocks: int) -> np.ndarray:
    """This thread's float32 array of ``n_blocks`` block sums, shape (n_blocks, 1, 1)."""
    return _scratch("block_sums", n_blocks).reshape(n_blocks, 1, 1)


def _float_values(signal: np.ndarray, slot: str) -> np.ndarray:
    """The float32 values of a signal: int16 PCM16 samples are scaled by 2⁻¹⁵ (into scratch ``slot``)."""
    if not _is_pcm16(signal):
        return signal
    return np.multiply(signal, PCM16_SCALE, out=_scratch(slot, signal.size), dtype=np.float32)


def energy(signal: np.ndarray) -> float:
    """Σ x² of a float32 signal (or of the values of an int16 PCM16 signal)."""
    if _is_pcm16(signal):
        samples = signal.ravel()

        def widened(out: np.ndarray, start: int, stop: int) -> np.ndarray:
            np.copyto(out, samples[start:stop])
            return out

        return _chunked_sum_of_squares(samples.size, widened) * _PCM16_ENERGY_SCALE
    return _sum_of_squares(np.ascontiguousarray(signal, dtype=np.float32).ravel())


def error_energy(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Σ (s − ŝ)², the difference formed in float32 (in a reused buffer), as the official code does.

    Two int16 PCM16 signals (also strided views, e.g. one channel of an
    interleaved mixture) are subtracted chunk by chunk, each chunk summed while
    it is in the cache.
    """
    if _is_pcm16(reference) and _is_pcm16(estimate):
        ref_samples, est_samples = reference.reshape(-1), estimate.reshape(-1)

        def difference(out: np.ndarray, start: int, stop: int) -> np.ndarray:
            # both widened to float32 first: numpy's casting subtraction of int16 arrays is several times slower
            widened_est = _scratch("chunk_estimate", out.size)
            np.copyto(out, ref_samples[start:stop])
            np.copyto(widened_est, est_samples[start:stop])
            return np.subtract(out, widened_est, out=out)

        return _chunked_sum_of_squares(ref_samples.size, difference) * _PCM16_ENERGY_SCALE
    ref = _float_values(reference, "reference").ravel()
    est = _float_values(estimate, "estimate").ravel()
    with np.errstate(over="ignore"):  # a float32 difference beyond ±3.4e38 is ±inf, as in the official code
        diff = np.subtract(ref, est, out=_scratch("diff", ref.size))
    return _sum_of_squares(diff)


# The official energies and ratio are float32: a float64 value at or above _F32_OVERFLOW is +inf there, a ratio
# at or below _F32_UNDERFLOW is 0 (round to nearest even). Audio never comes near either.
_F32_OVERFLOW = 2.0 ** 128 * (1.0 - 2.0 ** -25)  # 3.4028235677973366e38
_F32_UNDERFLOW = 2.0 ** -150                       # 7.006e-46


def sdr_from_energies(target_energy: float, error_energy: float) -> float:
    """SDR in dB from Σ s² and Σ (s − ŝ)².

    Where the official float32 arithmetic leaves the float32 range, the result
    is what it gives there: an error energy that overflows float32 (samples
    around 1e18 and more) gives −inf, a target energy that does +inf, both NaN;
    a ratio that underflows float32 −inf. Never an exception.
    """
    ratio = (target_energy + EPS) / (error_energy + EPS)
    if target_energy < _F32_OVERFLOW and error_energy < _F32_OVERFLOW and _F32_UNDERFLOW < ratio < _F32_OVERFLOW:
        return 10.0 * math.log10(ratio)
    return _sdr_out_of_float32_range(target_energy, error_energy)


def _sdr_out_of_float32_range(target_energy: float, error_energy: float) -> float:
    if math.isnan(target_energy) or math.isnan(error_energy):
        return math.nan
    target = math.inf if target_energy >= _F32_OVERFLOW else target_energy + EPS
    error = math.inf if error_energy >= _F32_OVERFLOW else error_energy + EPS
    if math.isinf(target) and math.isinf(error):
        return math.nan
    ratio = target / error
    if ratio <= _F32_UNDERFLOW:
        return -math.inf
    if ratio >= _F32_OVERFLOW:
        return math.inf
    return 10.0 * math.log10(ratio)


def sdr(estimate: Any, reference: Any, reference_energy: float | None = None) -> float:
    """SDR(ŝ, s) in dB of one estimate against one reference (same length in samples).

    >>> import numpy as np, s5eval
    >>> s = np.random.default_rng(0).standard_normal(32000).astype(np.float32)
    >>> round(s5eval.sdr(0.9 * s, s), 2)   # an error of 10 % of the signal: 20 dB
    20.0
    """
    est = as_float32(estimate)
    ref = as_float32(reference)
    if est.shape != ref.shape:
        raise ValueError(f"estimate and reference differ in shape: {est.shape} vs {ref.shape}")
    if reference_energy is None:
        reference_energy = energy(ref)
    return sdr_from_energies(reference_energy, error_energy(ref, est))


def sdri(estimate: Any, reference: Any, mixture: Any) -> float:
    """SDRi(ŝ, s, y) = SDR(ŝ, s) − SDR(y, s) in dB; ``mixture`` is the reference channel y.

    >>> import numpy as np, s5eval
    >>> s, noise = np.random.default_rng(0).standard_normal((2, 32000)).astype(np.float32)
    >>> round(s5eval.sdri(s + 0.1 * noise, s, s + noise), 1)   # from about 0 dB to 20 dB
    20.0
    """
    ref = as_float32(reference)
    ref_energy = energy(ref)
    return sdr(estimate, ref, ref_energy) - sdr(mixture, ref, ref_energy)


def sdr_matrix(estimates: Sequence[np.ndarray], references: Sequence[np.ndarray],
               reference_energies: Sequence[float]) -> np.ndarray:
    """SDR[i, j] = SDR(estimates[i], references[j]) in dB, shape (n_est, n_ref)."""
    out = np.empty((len(estimates), len(references)), dtype=np.float64)
    for j, (ref, ref_energy) in enumerate(zip(references, reference_energies)):
        for i, est in enumerate(estimates):
            out[i, j] = sdr_from_energies(ref_energy, error_energy(ref, est))
    return out
