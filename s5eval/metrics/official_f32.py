"""The official evaluation's float32 arithmetic, for the decisions that hinge on it.

The DCASE 2026 code (``s5capi_metric.py``) ranks the candidate pairings of a
class by a float32 value computed with torch on the CPU:

    SDR  = 10 · log10( (Σ s² + ε) / (Σ (s − ŝ)² + ε) )      torchmetrics' ``signal_noise_ratio``
    mean = (Σ over the TP pairs of SDR) / TP                 ``metrics.mean(dim=1)``
    best = torch.argmax(mean)                                first maximum; NaN counts as the maximum

every step in float32. s5eval computes its SDR values more accurately (see
:mod:`.sdr`), which is what it reports; but when two candidates are within
float32 noise of each other, the official choice is decided by the float32
rounding, so this module recomputes exactly the values the official code
compares:

* the energies Σ x² are summed in the order of torch's CPU sum kernel
  (``cascade_sum`` in ATen's ``SumKernel.cpp``: 8-lane vectors, 4 independent
  accumulators, and a 4-level cascade of chunks of at least 16 rows), the
  squares rounded to float32 first as ``x ** 2`` does. torch dispatches this
  kernel with 8 float lanes on x86 (AVX2 and AVX512 machines alike) and sums
  a row of a stacked tensor the same way wherever it lies, so the sums are
  bit-identical to the official ones there (another vector width, as on some
  ARM builds, or a GPU would sum in another order);
* ε is added, the ratio formed, its log10 taken (correctly rounded; torch's
  float32 log10 is one ulp off for about 1 value in 10,000) and multiplied by
  10, each rounded to float32;
* the mean of a candidate's SDRs is summed in torch's order and divided by TP,
  in float32.

Only the summation order (:func:`torch_sum`, :func:`candidate_means`) follows
an implementation detail of torch; everything else is IEEE float32 arithmetic.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..io.wav import PCM16_SCALE

EPS32 = np.float32(np.finfo(np.float32).eps)
_LANES = 8       # float32 lanes of torch's CPU sum kernel (Vectorized<float> of the AVX2 / default build)
_ILP = 4         # independent accumulators of ``row_sum``
_LEVELS = 4      # cascade levels of ``multi_row_sum``


def _ceil_log2(n: int) -> int:
    return 0 if n <= 1 else (n - 1).bit_length()


def _running_sum(rows: np.ndarray) -> np.ndarray:
    """Σ over axis 0 in sequence, starting from 0: ((0 + r₀) + r₁) + …, in float32."""
    acc = np.zeros(rows.shape[1:], dtype=np.float32)
    for row in rows:
        acc += row
    return acc


def _chunk_sums(rows: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Running sums of the complete chunks of ``step`` rows, and the running sum of the rows left over."""
    n_chunks = rows.shape[0] // step
    chunks = rows[:n_chunks * step].reshape(n_chunks, step, *rows.shape[1:])
    acc = np.zeros((n_chunks, *rows.shape[1:]), dtype=np.float32)
    for j in range(step):
        acc += chunks[:, j]
    return acc, _running_sum(rows[n_chunks * step:])


def _multi_row_sum(rows: np.ndarray) -> np.ndarray:
    """torch's ``multi_row_sum`` over axis 0 of ``rows`` (size, width): each column summed independently.

    Rows are summed in chunks of ``step`` (level 0); the chunk sums are summed
    in chunks of ``step`` (level 1), and those again (level 2); the level-2 sums
    accumulate at level 3. What is left at each level when the rows run out is
    added at the end, level 0 first.
    """
    step = 1 << max(4, _ceil_log2(rows.shape[0]) // _LEVELS)
    level0, acc0 = _chunk_sums(rows, step)     # acc0: the rows after the last complete chunk
    level1, acc1 = _chunk_sums(level0, step)   # acc1: the chunk sums after the last complete level-1 group
    level2, acc2 = _chunk_sums(level1, step)
    acc3 = _running_sum(level2)
    return ((acc0 + acc1) + acc2) + acc3


def _row_sum(rows: np.ndarray) -> np.ndarray:
    """torch's ``row_sum``: rows (size, lanes) read as (-1, 4) groups of rows with 4 accumulators."""
    size = rows.shape[0]
    size_ilp = size // _ILP
    width = rows.shape[1]
    partial = _multi_row_sum(rows[:size_ilp * _ILP].reshape(size_ilp, _ILP * width)).reshape(_ILP, width)
    first = partial[0].copy()
    for row in rows[size_ilp * _ILP:]:
        first += row
    for k in range(1, _ILP):
        first += partial[k]
    return first


def torch_sum(values: np.ndarray) -> np.float32:
    """Σ of a 1-D float32 array exactly as torch's CPU ``sum`` over a contiguous last dimension."""
    x = np.ascontiguousarray(values, dtype=np.float32).ravel()
    n = x.size
    if n < _LANES:  # scalar kernel
        return np.float32(_row_sum(x.reshape(n, 1))[0] if n else 0.0)
    n_vec = n // _LANES
    lanes = _row_sum(x[:n_vec * _LANES].reshape(n_vec, _LANES))
    total = np.float32(0.0)
    for value in x[n_vec * _LANES:]:  # the elements after the last full vector, then the lanes
        total = np.float32(total + value)
    for value in lanes:
        total = np.float32(total + value)
    return total


def float_values(signal: np.ndarray) -> np.ndarray:
    """The float32 samples the official code reads (PCM16 int16 samples n are n · 2⁻¹⁵)."""
    if signal.dtype == np.int16:
        return signal.astype(np.float32) * PCM16_SCALE
    return np.asarray(signal, dtype=np.float32)


def energy(signal: np.ndarray) -> np.float32:
    """Σ s² as the official code computes it (``torch.sum(target ** 2, dim=-1)``, float32)."""
    x = float_values(signal).ravel()
    with np.errstate(over="ignore"):
        return torch_sum(np.square(x, dtype=np.float32))


def error_energy(reference: np.ndarray, estimate: np.ndarray) -> np.float32:
    """Σ (s − ŝ)² as the official code computes it (float32 difference, square and sum)."""
    with np.errstate(over="ignore", invalid="ignore"):
        noise = np.subtract(float_values(reference).ravel(), float_values(estimate).ravel(), dtype=np.float32)
        return torch_sum(np.square(noise, out=noise))


def sdr(target_energy: np.float32, error_energy_: np.float32) -> np.float32:
    """10 · log10((Σ s² + ε) / (Σ (s − ŝ)² + ε)) with every operation rounded to float32.

    An error energy that overflowed to +inf gives −inf, a target energy that did
    gives +inf (or NaN when both did), as in torch.
    """
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        ratio = np.float32(np.float32(target_energy) + EPS32) / np.float32(np.float32(error_energy_) + EPS32)
        log = np.float32(np.log10(np.float64(ratio)))  # correctly rounded float32 log10, as torch's
        return np.float32(np.float32(10.0) * log)


def candidate_means(sdr32: np.ndarray) -> np.ndarray:
    """``metrics.mean(dim=1)`` of a (n_candidates, TP) float32 array: torch's summation order, then ÷ TP."""
    n_cand, n_tp = sdr32.shape
    with np.errstate(over="ignore", invalid="ignore"):
        if n_tp < _LANES:  # scalar kernel: row_sum over the TP values of each row, all rows at once
            sums = _row_sum(np.ascontiguousarray(sdr32.T, dtype=np.float32))
        else:
            sums = np.array([torch_sum(row) for row in sdr32], dtype=np.float32)
        return (sums / np.float32(n_tp)).astype(np.float32)


def first_argmax(values: Sequence[float] | np.ndarray) -> int:
    """``torch.argmax``: the index of the first maximum, a NaN counting as larger than any number."""
    values = np.asarray(values)
    nan = np.isnan(values)
    if nan.any():
        return int(np.argmax(nan))
    return int(np.argmax(values))  # numpy also returns the first maximum
