"""Python API of the synthesizer: one S5 training or test example from a seed.

>>> from s5eval.synth.api import SynthConfig, make_example
>>> ex = make_example(7, SynthConfig(seconds=4.0))
>>> ex.mixture.shape           # (4, T) float32 FOA (W, Y, Z, X), channel 0 omnidirectional
>>> [label for label, _ in ex.targets]

``make_example`` is deterministic in its seed: the same seed (and config) gives
bit-identical arrays in any process.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .config import SynthConfig

__all__ = ["Example", "SynthConfig", "make_example"]


@dataclass
class Example:
    """One mixture with its oracle targets.

    ``mixture``: (4, T) float32 FOA, channel 0 the omnidirectional reference.
    ``targets``: (label, dry target (T,) float32) in target order — the
    oracle targets (source convolved with the direct path of channel 0).
    ``metadata``: labels, directions, SNRs, source ids, room (JSON-ready).
    ``parts``: (name, (4, T) float32) spatialised components — targets,
    interferers, background noise — whose sum is ``mixture``.
    """

    mixture: np.ndarray
    targets: list[tuple[str, np.ndarray]]
    metadata: dict
    parts: list[tuple[str, np.ndarray]] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self.targets]


def make_example(seed: int | list[int] | tuple[int, ...], config: SynthConfig | None = None) -> Example:
    """Synthesize one example; deterministic in ``seed`` (an int or a sequence of ints)."""
    from .recipe import build_example

    config = config or SynthConfig()
    rng = np.random.default_rng(seed)
    mixture, targets, parts, metadata = build_example(rng, config)
    metadata["seed"] = list(seed) if isinstance(seed, (list, tuple)) else int(seed)
    return Example(mixture=mixture, targets=targets, metadata=metadata, parts=parts)
