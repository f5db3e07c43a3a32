"""The knobs of the synthesizer: :class:`SynthConfig` (the DCASE 2026 S5 mixing recipe).

Its own module so that :mod:`.recipe`, :mod:`.pools` and :mod:`.api` can all import it
without importing each other; :mod:`.api` re-exports it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ..labels import DCASE_CLASSES


@dataclass(frozen=True)
class SynthConfig:
    """The DCASE 2026 S5 mixing recipe and its knobs.

    Rates are fractions of all mixtures: ``zero_target_rate`` have no target,
    ``dup_rate`` hold two or more targets with a repeated class; the rest hold
    1..``max_targets`` targets of distinct classes. SNRs are in dB, relative to
    the background noise on the omnidirectional channel over the source's
    active span. Times are in seconds, the sample rate in Hz.
    """

    samplerate: int = 32000
    seconds: float = 10.0
    max_targets: int = 3
    dup_rate: float = 0.3
    zero_target_rate: float = 0.1
    max_interferers: int = 2
    target_snr_db: tuple[float, float] = (5.0, 20.0)
    interferer_snr_db: tuple[float, float] = (0.0, 15.0)
    min_same_class_separation_deg: float = 60.0
    event_seconds: tuple[float, float] = (2.0, 8.0)
    classes: tuple[str, ...] = DCASE_CLASSES
    peak_level: tuple[float, float] = (0.3, 0.9)
    source_dir: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.zero_target_rate <= 1.0 or not 0.0 <= self.dup_rate <= 1.0:
            raise ValueError("dup_rate and zero_target_rate must lie in [0, 1]")
        if self.dup_rate + self.zero_target_rate > 1.0 + 1e-12:
            raise ValueError("dup_rate + zero_target_rate must not exceed 1 (both are shares of all mixtures)")
        if self.max_targets < 1:
            raise ValueError("max_targets must be at least 1")
        if self.dup_rate > 0 and self.max_targets < 2:
            raise ValueError("a duplicate rate above 0 needs max_targets of at least 2")
        if self.seconds <= 0 or self.samplerate <= 0:
            raise ValueError("seconds and samplerate must be positive")

    @property
    def n_samples(self) -> int:
        return int(round(self.seconds * self.samplerate))

    def as_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}
