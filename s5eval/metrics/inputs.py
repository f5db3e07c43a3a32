"""Checking what a researcher passes to the Python API: labels and signals, with a sentence for every mistake.

The metric functions take labels as class names and signals as numpy arrays
or torch tensors (any device). The mistakes made most often — a batch given
where one mixture is expected, a 4-channel mixture instead of its reference
channel, a waveform per label missing, signals of different lengths, integer
class indices or unknown names as labels — raise :class:`MetricInputError`
naming the expected shapes or the label set, instead of a numpy broadcast
error or a silent 0 dB.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..labels import DEFAULT_LABEL_SET, SILENCE, resolve_label_set


class MetricInputError(ValueError):
    """A metric was given inputs of the wrong kind or shape; the message says what was expected."""


def is_torch(value: Any) -> bool:
    """True for a torch tensor (checked without importing torch)."""
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def shape_of(value: Any) -> tuple[int, ...] | None:
    """The shape of an array or tensor, None for anything else."""
    shape = getattr(value, "shape", None)
    return tuple(int(n) for n in shape) if shape is not None else None


def known_labels(label_set: str | Sequence[str] | None) -> frozenset[str] | None:
    """The class names accepted as labels (``silence`` added); None accepts any name."""
    if label_set is None:
        return None
    classes = resolve_label_set(label_set) if isinstance(label_set, str) else tuple(label_set)
    return frozenset(classes) | {SILENCE}


def check_labels(labels: Any, name: str, known: frozenset[str] | None, label_set: Any = DEFAULT_LABEL_SET) -> list[str]:
    """``labels`` as a list of class names; refuses integers, nested lists and names outside ``known``."""
    if isinstance(labels, str):
        raise MetricInputError(f"{name} must be a list of class names, e.g. ['Speech', 'Dishes'], not the single "
                               f"string {labels!r}")
    if hasattr(labels, "tolist"):  # a numpy array or tensor of labels
        labels = labels.tolist()
    try:
        out = list(labels)
    except TypeError:
        raise MetricInputError(f"{name} must be a list of class names, not {type(labels).__name__}") from None
    for position, label in enumerate(out):
        if isinstance(label, (list, tuple)):
            raise MetricInputError(f"{name}[{position}] is a list: this function scores one mixture, whose labels "
                                   "are a flat list of class names; for a batch use s5eval.CAPISDRi().update(...)")
        if not isinstance(label, str):
            raise MetricInputError(
                f"{name}[{position}] is {label!r} ({type(label).__name__}); labels must be class names such as "
                f"'Speech' — map class indices to names with the label set (s5eval.labels.resolve_label_set)")
        if known is not None and label not in known:
            shown = label_set if isinstance(label_set, str) else "the given label set"
            raise MetricInputError(f"{name}[{position}] is {label!r}, which is neither a class of {shown} nor "
                                   f"'{SILENCE}' (names are case-sensitive): {', '.join(sorted(known - {SILENCE}))}")
    return out


def signal_list(signals: Any, count: int, name: str, labels_name: str) -> list[Any]:
    """One 1-D signal per label: a sequence of signals or a 2-D array/tensor (sources × samples)."""
    shape = shape_of(signals)
    if shape is not None:
        if len(shape) == 1 and count == 1:
            return [signals]
        if len(shape) != 2:
            raise MetricInputError(f"{name} must hold one mono signal per label, shape (n_sources, n_samples); "
                                   f"got shape {shape}" + (" — a batch? score it with s5eval.CAPISDRi().update(...)"
                                                          if len(shape) == 3 else ""))
        items = [signals[i] for i in range(shape[0])]
    else:
        try:
            items = list(signals)
        except TypeError:
            raise MetricInputError(f"{name} must be a sequence of signals or an array of shape "
                                   f"(n_sources, n_samples), not {type(signals).__name__}") from None
    if len(items) != count:
        raise MetricInputError(f"{name} holds {len(items)} signals but {labels_name} names {count} sources: give "
                               "one waveform per label (silence slots included when the model outputs fixed slots)")
    return items


def check_mixture(mixture: Any) -> int:
    """The number of samples of a mono mixture (the reference channel); a sentence for a multichannel one."""
    shape = shape_of(mixture)
    if shape is None:
        try:
            return len(mixture)
        except TypeError:
            raise MetricInputError(f"mixture must be a 1-D signal, not {type(mixture).__name__}") from None
    if len(shape) == 1:
        return shape[0]
    if len(shape) == 2 and 1 in shape:
        raise MetricInputError(f"mixture must be 1-D (n_samples,); got shape {shape}: squeeze it")
    if len(shape) == 2:
        raise MetricInputError(f"mixture must be the reference channel y (channel 0) as a 1-D signal of n_samples; "
                               f"got a multichannel mixture of shape {shape}: pass mixture[0] (or mixture[:, 0])")
    raise MetricInputError(f"mixture must be a 1-D signal of n_samples; got shape {shape}"
                           + (" — a batch? score it with s5eval.CAPISDRi().update(...)" if len(shape) >= 2 else ""))


def check_lengths(signals: Sequence[Any], name: str, n_samples: int) -> None:
    """Every signal mono and ``n_samples`` long (the mixture's length)."""
    for i, signal in enumerate(signals):
        shape = shape_of(signal)
        length = shape[-1] if shape else len(signal)
        if shape is not None and len([n for n in shape if n != 1]) > 1:
            raise MetricInputError(f"{name}[{i}] has shape {shape}; each source must be a mono 1-D signal")
        if length != n_samples:
            raise MetricInputError(f"{name}[{i}] has {length} samples but the mixture has {n_samples}; every signal "
                                   "must have the mixture's length")
