"""Networks of the baseline: the track-wise tagger, the separator ResUNetK and the two-stage system."""
from __future__ import annotations

from .resunetk import ResUNetK
from .system import S5System, build_system
from .tagger import TrackTagger

__all__ = ["ResUNetK", "S5System", "TrackTagger", "build_system"]
