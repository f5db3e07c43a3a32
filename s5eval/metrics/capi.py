"""CAPI-SDRi: class-aware permutation-invariant SDRi (CA-PI-SDRi paper, eqs. 5-12).

For one mixture, with 𝒞 ∪ Ĉ the union of reference and estimated classes
(``silence`` removed; empty → the mixture is excluded, value ``None``):

    N^c   = max(|S^c|, |Ŝ^c|)                                        (7)
    P^c   = N_FN^c·P_FN + N_FP^c·P_FP + Σ_{TP pairs} SDRi(ŝ, s, y)      (10)
    CAPI-SDRi = Σ_c P^c / Σ_c N^c                                      (12)

The TP pairs of a class are chosen (see :mod:`.pairing`) to maximise

* ``official``: the mean SDR of the pairs (the DCASE 2026 evaluation code),
* ``paper``: the summed SDRi (eq. 10).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..labels import SILENCE
from . import official_f32
from .pairing import best_pairing
from .sdr import as_float32, energy, error_energy, sdr_from_energies, sdr_matrix

SELECTIONS = ("official", "paper")


@dataclass(frozen=True)
class Pair:
    """A true-positive pairing of estimate ``est`` with reference ``ref`` (indices into the inputs)."""

    label: str
    est: int
    ref: int
    sdr: float        # SDR(ŝ, s) in dB
    sdr_mixture: float  # SDR(y, s) in dB
    sdri: float       # SDR − SDR_mixture in dB


@dataclass
class CAPIResult:
    """CAPI-SDRi of one mixture with its pairing. ``value`` is None for an excluded mixture."""

    value: float | None
    pairs: list[Pair] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)      # reference indices without a partner (FN)
    spurious: list[int] = field(default_factory=list)    # estimate indices without a partner (FP)
    penalty_fn: float = 0.0
    penalty_fp: float = 0.0

    @property
    def n_entries(self) -> int:
        return len(self.pairs) + len(self.missed) + len(self.spurious)

    @property
    def tp_sdri_sum(self) -> float:
        return float(sum(p.sdri for p in self.pairs))

    @property
    def penalty_mass(self) -> float:
        """Σ of the penalty entries in dB (0 with the default penalties)."""
        return len(self.missed) * self.penalty_fn + len(self.spurious) * self.penalty_fp


@dataclass
class ClassMatrix:
    """SDR of every same-class (estimate, reference) pair of one class.

    ``est_wavs``/``ref_wavs`` (the class's signals, same order as the indices)
    let the official selection recompute near ties in the official float32
    arithmetic; without them near ties fall back to the 1e-6 dB tolerance.
    """

    label: str
    est_index: list[int]
    ref_index: list[int]
    sdr: np.ndarray            # (n_est, n_ref), dB
    sdr_mixture: np.ndarray    # (n_ref,), dB: SDR(y, s) of each reference
    est_wavs: Sequence[np.ndarray] | None = field(default=None, repr=False, compare=False)
    ref_wavs: Sequence[np.ndarray | None] | None = field(default=None, repr=False, compare=False)
    sdr32: np.ndarray | None = field(default=None, repr=False, compare=False)  # official float32 SDRs, when known
    _sdr32: dict = field(default_factory=dict, repr=False, compare=False)  # (e, r) -> official float32 SDR
    _energy32: dict = field(default_factory=dict, repr=False, compare=False)  # r -> official float32 Σ s²

    @property
    def can_recompute(self) -> bool:
        if self.sdr32 is not None:
            return True
        return self.est_wavs is not None and self.ref_wavs is not None and all(
            w is not None for w in (*self.est_wavs, *self.ref_wavs))

    def signals(self, e: int, r: int) -> tuple[np.ndarray, np.ndarray]:
        """The signals of estimate ``e`` and reference ``r`` (known when :attr:`can_recompute` without ``sdr32``)."""
        est = self.est_wavs[e] if self.est_wavs is not None else None
        ref = self.ref_wavs[r] if self.ref_wavs is not None else None
        if est is None or ref is None:
            raise ValueError(f"the signals of class {self.label!r} are not kept")
        return est, ref

    def official_sdr(self, e: int, r: int) -> np.float32:
        """SDR(ŝ_e, s_r) exactly as the official code computes it (float32, torch's summation order)."""
        if self.sdr32 is not None:  # computed by torch itself (s5eval.metrics.torch_backend)
            return self.sdr32[e, r]
        if (e, r) not in self._sdr32:
            est, ref = self.signals(e, r)
            if r not in self._energy32:
                self._energy32[r] = official_f32.energy(ref)
            self._sdr32[e, r] = official_f32.sdr(self._energy32[r], official_f32.error_energy(ref, est))
        return self._sdr32[e, r]

    def official_first_best(self, ests: np.ndarray, refs: np.ndarray) -> int:
        """Of candidates (rows of local estimate / reference indices, in official order), the one the official
        code keeps: ``torch.argmax`` of the float32 mean SDR of its pairs."""
        sdr32 = np.array([[self.official_sdr(int(e), int(r)) for e, r in zip(er, rr)] for er, rr in zip(ests, refs)],
                         dtype=np.float32)
        return official_f32.first_argmax(official_f32.candidate_means(sdr32))


def class_matrices(est_labels: Sequence[str], est_wavs: Sequence[np.ndarray],
                   ref_labels: Sequence[str], ref_wavs: Sequence[np.ndarray | None],
                   mixture: np.ndarray | None, target_energies: Sequence[float] | None = None,
                   mixture_error_energies: Sequence[float] | None = None) -> dict[str, ClassMatrix]:
    """Group sources by class and compute the SDR of every same-class pair and of the mixture.

    ``target_energies`` (Σ s²) and ``mixture_error_energies`` (Σ (s − y)²) of
    the references may be given (computed when None); then ``mixture`` is not
    needed, nor the waveform of a reference that no estimate shares a class with.
    """
    if target_energies is None:
        target_energies = [energy(_given(r)) for r in ref_wavs]
    if mixture_error_energies is None:
        mixture_error_energies = [error_energy(_given(r), _given(mixture)) for r in ref_wavs]
    classes = (set(est_labels) | set(ref_labels)) - {SILENCE}
    out: dict[str, ClassMatrix] = {}
    for label in sorted(classes):
        est_index = [i for i, lb in enumerate(est_labels) if lb == label]
        ref_index = [j for j, lb in enumerate(ref_labels) if lb == label]
        ref_energies = [target_energies[j] for j in ref_index]
        mix_sdr = np.array([sdr_from_energies(target_energies[j], mixture_error_energies[j]) for j in ref_index])
        class_ests = [est_wavs[i] for i in est_index]
        class_refs = [ref_wavs[j] for j in ref_index]
        matrix = (sdr_matrix(class_ests, [_given(r) for r in class_refs], ref_energies) if class_ests
                  else np.empty((0, len(class_refs))))  # a reference no estimate shares a class with may be None
        out[label] = ClassMatrix(label, est_index, ref_index, matrix, mix_sdr, class_ests, class_refs)
    return out


def _given(signal: np.ndarray | None) -> np.ndarray:
    """A signal that is needed: one whose figures were not given, or one an estimate shares a class with."""
    if signal is None:
        raise ValueError("a signal is needed where its figures are not given")
    return signal


def capi_from_matrices(matrices: Mapping[str, ClassMatrix], selection: str = "official",
                       penalty_fn: float = 0.0, penalty_fp: float = 0.0) -> CAPIResult:
    """CAPI-SDRi of one mixture from its per-class SDR matrices (eqs. 10 and 12)."""
    if selection not in SELECTIONS:
        raise ValueError(f"selection must be one of {SELECTIONS}, not {selection!r}")
    if not matrices:
        return CAPIResult(None, penalty_fn=penalty_fn, penalty_fp=penalty_fp)
    result = CAPIResult(0.0, penalty_fn=penalty_fn, penalty_fp=penalty_fp)
    for label in sorted(matrices):
        cm = matrices[label]
        if not cm.sdr.size:  # estimates only (FP) or references only (FN): no pair to choose
            result.missed.extend(cm.ref_index)
            result.spurious.extend(cm.est_index)
            continue
        with np.errstate(invalid="ignore"):  # inf − inf of an overflowed SDR is NaN, as in torch
            sdri = cm.sdr - cm.sdr_mixture[None, :]
        gain = cm.sdr if selection == "official" else sdri
        decide = cm.official_first_best if selection == "official" and cm.can_recompute else None
        chosen = best_pairing(gain, decide)
        for e, r in chosen:
            result.pairs.append(Pair(label, cm.est_index[e], cm.ref_index[r], float(cm.sdr[e, r]),
                                     float(cm.sdr_mixture[r]), float(sdri[e, r])))
        paired_est = {e for e, _ in chosen}
        paired_ref = {r for _, r in chosen}
        result.missed.extend(cm.ref_index[r] for r in range(len(cm.ref_index)) if r not in paired_ref)
        result.spurious.extend(cm.est_index[e] for e in range(len(cm.est_index)) if e not in paired_est)
    result.value = (result.tp_sdri_sum + result.penalty_mass) / result.n_entries
    return result


def nonfinite_sources(est_wavs: Sequence[np.ndarray], ref_wavs: Sequence[np.ndarray | None],
                      target_energies: Sequence[float], mixture_error_energies: Sequence[float],
                      ) -> tuple[list[tuple[int, int, float]], list[int]]:
    """Why a mixture's figures are not finite: the pairs (estimate, reference, SDR) whose SDR is ±inf or NaN,
    and the references whose SDR(y, s) is.

    The official float32 arithmetic gives such values when an energy leaves the
    float32 range, e.g. an estimate with samples around 1e18 (Σ (s − ŝ)² → +inf,
    SDR → −inf). A pair involving a reference of the second list is not listed
    (the reference is at fault). References not read (None) are skipped.
    """
    bad_refs = [j for j, (t, m) in enumerate(zip(target_energies, mixture_error_energies))
                if not math.isfinite(sdr_from_energies(t, m))]
    bad_pairs = []
    for j, ref in enumerate(ref_wavs):
        if ref is None or j in bad_refs:
            continue
        for i, est in enumerate(est_wavs):
            value = sdr_from_energies(target_energies[j], error_energy(ref, est))
            if not math.isfinite(value):
                bad_pairs.append((i, j, value))
    return bad_pairs, bad_refs


def nonfinite_findings(est_paths: Sequence[str], ref_paths: Sequence[str], est_wavs: Sequence[np.ndarray],
                       ref_wavs: Sequence[np.ndarray | None], target_energies: Sequence[float],
                       mixture_error_energies: Sequence[float]) -> list:
    """Error findings for a mixture whose figures are not finite (see :func:`nonfinite_sources`).

    ``E_NONFINITE`` on each estimate with a non-finite SDR, ``E_REF_NONFINITE``
    on each reference with a non-finite SDR(y, s); every estimate when neither
    explains it.
    """
    from ..findings import error

    bad_pairs, bad_refs = nonfinite_sources(est_wavs, ref_wavs, target_energies, mixture_error_energies)
    out = [error("E_REF_NONFINITE", ref_paths[j], "its SDR against the mixture is not finite in float32 "
                 "(an energy beyond 3.4e38); the mixture is not scored") for j in bad_refs]
    seen: set[int] = set()
    for i, j, value in bad_pairs:
        if i in seen:
            continue
        seen.add(i)
        peak = float(np.max(np.abs(est_wavs[i]))) if est_wavs[i].size else 0.0
        out.append(error("E_NONFINITE", est_paths[i],
                         f"its samples are so large (peak |x| = {peak:.3g}) that Σ (s − ŝ)² overflows float32: the "
                         f"official SDR against {Path(ref_paths[j]).name} is {value}, and with it the mixture's "
                         "value; the mixture is not scored (scale the output down)"))
    if not out:
        out = [error("E_NONFINITE", path, "the mixture's figures are not finite in float32; it is not scored")
               for path in est_paths]
    return out


def selections_agree(matrices: Mapping[str, ClassMatrix]) -> bool:
    """True when the official and the paper selection must choose the same pairing (and value).

    In a class where every reference gets a partner (n̂ ≥ n), every candidate
    pairing uses all its references, so eq. 10's Σ SDRi is the summed SDR minus
    the same constant Σ_j SDR(y, s_j): both criteria rank the candidates alike.
    They can differ only in a class with more references than estimates.
    """
    return all(len(cm.est_index) >= len(cm.ref_index) or not cm.est_index for cm in matrices.values())


def capi_sdri(est_labels: Sequence[str], est_wavs: Any, ref_labels: Sequence[str], ref_wavs: Any,
              mixture: Any, selection: str = "official", penalty_fn: float = 0.0,
              penalty_fp: float = 0.0, label_set: str | Sequence[str] | None = "dcase2026t4") -> CAPIResult:
    """CAPI-SDRi (dB) of one mixture, with the chosen pairing.

    ``est_labels``/``ref_labels``: class names (``silence`` entries are
    padding and ignored, with their signals); ``est_wavs``/``ref_wavs``: one
    mono signal per label, as a sequence or a 2-D array/tensor (sources ×
    samples); ``mixture``: the reference channel y (channel 0), 1-D. All
    signals have the mixture's length in samples; numpy arrays (int16 counts
    as PCM16, n · 2⁻¹⁵) or torch tensors on any device, where the SDRs are then
    computed. ``penalty_fn``/``penalty_fp``: dB per missed / spurious source.
    ``label_set``: the accepted class names (a built-in name, a file, a
    sequence; None accepts any name). Returns ``value`` None when neither side
    names a class. Mistakes raise :class:`~s5eval.metrics.inputs.MetricInputError`.

    >>> import numpy as np, s5eval
    >>> rng = np.random.default_rng(0)
    >>> speech, dishes = rng.standard_normal((2, 32000)).astype(np.float32)
    >>> mixture = speech + dishes
    >>> estimates = [speech + 0.1 * dishes, dishes + 0.1 * speech]   # 20 dB of crosstalk each
    >>> result = s5eval.capi_sdri(["Speech", "Dishes"], estimates, ["Speech", "Dishes"], [speech, dishes], mixture)
    >>> round(result.value, 3)   # dB, the mean SDRi of the two pairs
    20.0
    >>> [(p.label, p.est, p.ref, round(p.sdri, 3)) for p in result.pairs]
    [('Dishes', 1, 1, 20.0), ('Speech', 0, 0, 20.0)]
    >>> s5eval.capi_sdri(["Speech"], [speech], ["speech"], [speech], mixture)
    Traceback (most recent call last):
    ...
    s5eval.metrics.inputs.MetricInputError: ref_labels[0] is 'speech', which is neither a class of dcase2026t4 nor 'silence' (names are case-sensitive): ...
    """
    from .inputs import check_labels, check_lengths, check_mixture, is_torch, known_labels, signal_list

    known = known_labels(label_set)
    est_labels = check_labels(est_labels, "est_labels", known, label_set)
    ref_labels = check_labels(ref_labels, "ref_labels", known, label_set)
    est_list = signal_list(est_wavs, len(est_labels), "est_wavs", "est_labels") if est_labels else []
    ref_list = signal_list(ref_wavs, len(ref_labels), "ref_wavs", "ref_labels") if ref_labels else []
    n_samples = check_mixture(mixture)
    check_lengths(est_list, "est_wavs", n_samples)
    check_lengths(ref_list, "ref_wavs", n_samples)
    if any(is_torch(w) for w in (*est_list, *ref_list, mixture)):
        from .torch_backend import class_matrices_torch
        matrices = class_matrices_torch(est_labels, est_list, ref_labels, ref_list, mixture)
    else:
        est = [as_float32(w) for w in est_list]
        ref = [as_float32(w) for w in ref_list]
        matrices = class_matrices(est_labels, est, ref_labels, ref, as_float32(mixture))
    return capi_from_matrices(matrices, selection, penalty_fn, penalty_fp)
