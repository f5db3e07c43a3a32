"""``CAPISDRi``: a torchmetrics-style accumulator for training and validation loops.

    metric = CAPISDRi()
    for batch in loader:
        batch_figures = metric(est_labels, est_wavs, ref_labels, ref_wavs, mixtures)  # this batch only
    metric.compute()  # the whole epoch, summed over DDP ranks
    metric.reset()

A batch is a list of label lists plus signals with the batch first
(``est_wavs`` (B, n_est, T), ``ref_wavs`` (B, n_ref, T), ``mixtures`` (B, T):
the reference channel); one mixture (flat label lists) works too. numpy arrays
or torch tensors on any device: the SDRs are computed where the tensors are,
and plain floats come out. Under ``torch.distributed`` the states (sums and
counts) are summed across ranks by :meth:`CAPISDRi.compute`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from .capi import SELECTIONS, capi_sdri
from .inputs import MetricInputError, shape_of
from .label_counts import label_counts
from ..labels import DEFAULT_LABEL_SET, SILENCE


@dataclass
class _State:
    """Sums and counts from which the dataset figures follow (what DDP ranks add up)."""

    capi_sum: float = 0.0   # Σ CAPI-SDRi of the scored mixtures, dB
    n_scored: int = 0       # mixtures with a value (not excluded)
    n_mixtures: int = 0
    n_correct: int = 0      # mixtures whose label multisets are equal
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, value: float | None, correct: bool, tp: int, fp: int, fn: int) -> None:
        if value is not None:
            self.capi_sum += value
            self.n_scored += 1
        self.n_mixtures += 1
        self.n_correct += int(correct)
        self.tp, self.fp, self.fn = self.tp + tp, self.fp + fp, self.fn + fn

    def merged(self, other: "_State") -> "_State":
        return _State.from_list([a + b for a, b in zip(self.as_list(), other.as_list())])

    def as_list(self) -> list[float]:
        return [self.capi_sum, self.n_scored, self.n_mixtures, self.n_correct, self.tp, self.fp, self.fn]

    @classmethod
    def from_list(cls, values: Sequence[float]) -> "_State":
        capi_sum, *counts = values
        return cls(float(capi_sum), *(int(round(c)) for c in counts))

    def figures(self) -> dict[str, Any]:
        """CAPI-SDRi (dB, mean over the scored mixtures), accuracies (%), counts; None where undefined."""
        total = self.tp + self.fp + self.fn
        return {
            "capi_sdri": self.capi_sum / self.n_scored if self.n_scored else None,
            "accuracy_mix": 100.0 * self.n_correct / self.n_mixtures if self.n_mixtures else None,
            "accuracy_src": 100.0 * self.tp / total if total else None,
            "n_mixtures": self.n_mixtures,
            "n_scored": self.n_scored,
        }


def _is_batch(est_labels: Any, ref_labels: Any) -> bool:
    """A batch is a sequence of label lists; one mixture is a flat list of names (possibly empty)."""
    for labels in (est_labels, ref_labels):
        if isinstance(labels, str):
            return False
        try:
            first = next(iter(labels))
        except (TypeError, StopIteration):
            continue
        return not isinstance(first, str)
    return False


def _items(value: Any, count: int, name: str) -> list[Any]:
    """The ``count`` per-mixture entries of a batched argument (sequence or array/tensor, batch first)."""
    shape = shape_of(value)
    items = [value[i] for i in range(shape[0])] if shape else list(value)
    if len(items) != count:
        raise MetricInputError(f"{name} holds {len(items)} mixtures but est_labels holds {count}: the batch sizes "
                               "must agree (batch first)")
    return items


class CAPISDRi:
    """Streams mixtures and reports dataset CAPI-SDRi (dB) and label accuracies (%), in the manner of torchmetrics.

    ``selection``: ``official`` (mean SDR, the DCASE code) or ``paper`` (eq. 10);
    ``penalty_fn``/``penalty_fp``: dB per missed / spurious source;
    ``label_set``: the accepted class names (None accepts any name);
    ``sync_on_compute``: under ``torch.distributed``, :meth:`compute` sums the
    states of all ranks (a collective: every rank must call it); set False when
    only one rank evaluates. ``values`` keeps this process's per-mixture values
    (dB, None when excluded).

    >>> import numpy as np
    >>> from s5eval import CAPISDRi
    >>> rng = np.random.default_rng(0)
    >>> refs = rng.standard_normal((2, 2, 16000)).astype(np.float32)        # (batch, sources, samples)
    >>> mixtures = refs.sum(axis=1)                                           # the reference channel
    >>> ests = refs + 0.1 * refs[:, ::-1]                                     # 20 dB of crosstalk
    >>> metric = CAPISDRi()
    >>> batch = metric([["Speech", "Dishes"], ["Cough", "silence"]], ests,
    ...                [["Speech", "Dishes"], ["Cough", "Cough"]], refs, mixtures)
    >>> round(batch["capi_sdri"], 2), batch["accuracy_mix"]
    (15.0, 50.0)
    >>> metric.compute()["n_mixtures"], [round(v, 2) for v in metric.values]
    (2, [20.0, 10.0])
    >>> metric.reset(); metric.compute()["capi_sdri"] is None
    True
    """

    def __init__(self, selection: str = "official", penalty_fn: float = 0.0, penalty_fp: float = 0.0,
                 label_set: str | Sequence[str] | None = DEFAULT_LABEL_SET, sync_on_compute: bool = True):
        if selection not in SELECTIONS:
            raise ValueError(f"selection must be one of {SELECTIONS}, not {selection!r}")
        self.selection = selection
        self.penalty_fn = penalty_fn
        self.penalty_fp = penalty_fp
        self.label_set = label_set
        self.sync_on_compute = sync_on_compute
        self.reset()

    def reset(self) -> None:
        """Forget every mixture seen so far (start of an epoch)."""
        self._state = _State()
        self.values: list[float | None] = []

    def _score(self, est_labels: Any, est_wavs: Any, ref_labels: Any, ref_wavs: Any, mixture: Any) -> _State:
        """One mixture: its value goes to ``values``; returns its own state."""
        result = capi_sdri(est_labels, est_wavs, ref_labels, ref_wavs, mixture, self.selection,
                           self.penalty_fn, self.penalty_fp, self.label_set)
        counts = label_counts([lb for lb in est_labels if lb != SILENCE], [lb for lb in ref_labels if lb != SILENCE])
        state = _State()
        state.add(result.value, counts.correct, counts.tp, counts.fp, counts.fn)
        self.values.append(result.value)
        return state

    def _update(self, est_labels: Any, est_wavs: Any, ref_labels: Any, ref_wavs: Any,
                mixtures: Any) -> tuple[_State, list[float | None]]:
        if not _is_batch(est_labels, ref_labels):
            state = self._score(est_labels, est_wavs, ref_labels, ref_wavs, mixtures)
            return state, self.values[-1:]
        est_labels, ref_labels = list(est_labels), list(ref_labels)
        n = len(est_labels)
        if len(ref_labels) != n:
            raise MetricInputError(f"ref_labels holds {len(ref_labels)} mixtures but est_labels holds {n}: the batch "
                                   "sizes must agree")
        batch = _State()
        start = len(self.values)
        for el, ew, rl, rw, mx in zip(est_labels, _items(est_wavs, n, "est_wavs"), ref_labels,
                                      _items(ref_wavs, n, "ref_wavs"), _items(mixtures, n, "mixtures")):
            one = self._score(el, ew, rl, rw, mx)
            batch = batch.merged(one)
        return batch, self.values[start:]

    def update(self, est_labels: Any, est_wavs: Any, ref_labels: Any, ref_wavs: Any,
               mixtures: Any) -> float | None | list[float | None]:
        """Add a batch (or one mixture); returns the per-mixture CAPI-SDRi values in dB (one value for one mixture).

        Batch: ``est_labels`` a list of label lists, ``est_wavs`` (B, n_est, T)
        or a list of (n_est, T), likewise ``ref_wavs``, ``mixtures`` (B, T).
        One mixture: flat label lists, (n, T) signals, a (T,) mixture.
        ``silence`` labels and their signals are padding and are dropped, so
        fixed-size model outputs can be passed as they are.
        """
        batch, values = self._update(est_labels, est_wavs, ref_labels, ref_wavs, mixtures)
        self._state = self._state.merged(batch)
        return values if _is_batch(est_labels, ref_labels) else values[0]

    update_batch = update  # the former name of the batch form

    def forward(self, est_labels: Any, est_wavs: Any, ref_labels: Any, ref_wavs: Any, mixtures: Any) -> dict:
        """Add the batch and return its own figures (as :meth:`compute` gives them, for this batch only)."""
        batch, _ = self._update(est_labels, est_wavs, ref_labels, ref_wavs, mixtures)
        self._state = self._state.merged(batch)
        return batch.figures()

    __call__ = forward

    def compute(self) -> dict:
        """Dataset figures so far: CAPI-SDRi (dB, mean over non-excluded mixtures) and accuracies (%).

        Under ``torch.distributed`` (initialised, more than one rank) and with
        ``sync_on_compute``, the sums and counts of every rank are added first,
        so every rank gets the figures of all mixtures; then call it on every
        rank (it is a collective operation).
        """
        return (_synced(self._state) if self.sync_on_compute else self._state).figures()


def _synced(state: _State) -> _State:
    """The state summed over the ranks of an initialised process group (the state itself otherwise)."""
    try:
        import torch
        import torch.distributed as dist
    except ImportError:
        return state
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() < 2:
        return state
    device = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")
    totals = torch.tensor(state.as_list(), dtype=torch.float64, device=device)
    dist.all_reduce(totals, op=dist.ReduceOp.SUM)
    return _State.from_list(totals.cpu().tolist())
