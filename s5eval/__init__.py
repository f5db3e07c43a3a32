"""s5eval: evaluation toolkit for Spatial Semantic Segmentation of Sound Scenes (DCASE Task 4)."""
from __future__ import annotations

__version__ = "0.1.0"

from .metrics.accumulator import CAPISDRi  # noqa: E402
from .metrics.ca2025 import CA2025Result  # noqa: E402
from .metrics.capi import CAPIResult, capi_sdri  # noqa: E402
from .metrics.label_counts import LabelCounts, label_counts  # noqa: E402
from .metrics.sdr import sdr, sdri  # noqa: E402

__all__ = ["__version__", "CAPISDRi", "CAPIResult", "CA2025Result", "LabelCounts", "capi_sdri",
           "label_counts", "sdr", "sdri"]
