"""int16 (PCM16) signals in the SDR code give bit-identical energies to their float32 values."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s5eval.metrics.capi import capi_sdri, class_matrices, capi_from_matrices
from s5eval.metrics.sdr import energy, error_energy


def _pcm(seed: int, n: int, amplitude: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-amplitude, amplitude + 1, size=n).astype(np.int16)


def _values(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32) * np.float32(2.0 ** -15)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 5000), seed=st.integers(0, 10_000), amplitude=st.sampled_from([1, 300, 32767]))
def test_energies_of_int16_equal_those_of_their_float_values(n, seed, amplitude):
    a, b = _pcm(seed, n, amplitude), _pcm(seed + 1, n, amplitude)
    b[-1] = -32768  # the most negative sample, whose difference needs 17 bits
    assert energy(a) == energy(_values(a))
    assert error_energy(a, b) == error_energy(_values(a), _values(b))
    assert error_energy(a, _values(b)) == error_energy(_values(a), _values(b))  # mixed: a float estimate
    assert error_energy(_values(a), b) == error_energy(_values(a), _values(b))
    assert error_energy(a, a) == 0.0


def test_full_scale_difference():
    """The largest difference (2 − 2⁻¹⁵) is formed exactly; its float32 square rounds as the official code's does."""
    a = np.full(4096, 32767, dtype=np.int16)
    b = np.full(4096, -32768, dtype=np.int16)
    assert error_energy(a, b) == error_energy(_values(a), _values(b))
    assert error_energy(a, b) == pytest.approx(4096 * (65535 * 2.0 ** -15) ** 2, rel=1e-7)


def test_mixture_scores_alike_from_int16_and_float32():
    rng = np.random.default_rng(3)
    refs = [_pcm(s, 32000, 8000) for s in range(3)]
    ests = [np.clip(r.astype(np.int32) + rng.integers(-900, 900, r.size), -32768, 32767).astype(np.int16)
            for r in refs[:2]]
    mixture = np.clip(np.sum([r.astype(np.int32) for r in refs], axis=0), -32768, 32767).astype(np.int16)
    labels = ["Speech", "Speech", "Dishes"]
    as_int = capi_from_matrices(class_matrices(["Speech", "Speech"], ests, labels, refs, mixture), "paper")
    as_float = capi_sdri(["Speech", "Speech"], [_values(e) for e in ests], labels, [_values(r) for r in refs],
                         _values(mixture), selection="paper")
    assert as_int.value == as_float.value and as_int.pairs == as_float.pairs


@pytest.mark.parametrize("n", [65535, 65536, 65537, 131072 + 1023, 320000, 480001])
def test_chunked_int16_energies_equal_the_whole_signal_float_sums(n):
    """int16 signals are summed chunk by chunk (65,536 samples); the result is bit-identical to one pass over
    their float32 values, also across chunk boundaries and with a tail shorter than a block."""
    a, b = _pcm(n, n, 32767), _pcm(n + 1, n, 32767)
    assert energy(a) == energy(_values(a))
    assert error_energy(a, b) == error_energy(_values(a), _values(b))


def test_strided_int16_channel_equals_its_contiguous_copy():
    """One channel of an interleaved 4-channel mixture (a strided view) gives the same energies as its copy."""
    interleaved = _pcm(7, 4 * 100_000, 20000).reshape(-1, 4)
    target = _pcm(8, 100_000, 20000)
    channel = interleaved[:, 0]
    assert not channel.flags.c_contiguous
    assert error_energy(target, channel) == error_energy(target, np.ascontiguousarray(channel))
    assert energy(channel) == energy(np.ascontiguousarray(channel))
