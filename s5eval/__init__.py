"""s5eval: evaluation toolkit for Spatial Semantic Segmentation of Sound Scenes (DCASE Task 4).

The public metric API is imported on first use (``s5eval.CAPISDRi``), so that
``import s5eval`` (and with it ``s5eval --help``) does not import numpy.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_API = {
    "CAPISDRi": "s5eval.metrics.accumulator",
    "CA2025Result": "s5eval.metrics.ca2025",
    "CAPIResult": "s5eval.metrics.capi",
    "capi_sdri": "s5eval.metrics.capi",
    "LabelCounts": "s5eval.metrics.label_counts",
    "label_counts": "s5eval.metrics.label_counts",
    "sdr": "s5eval.metrics.sdr",
    "sdri": "s5eval.metrics.sdr",
}

__all__ = ["__version__", "CAPISDRi", "CAPIResult", "CA2025Result", "LabelCounts", "capi_sdri",
           "label_counts", "sdr", "sdri"]

if TYPE_CHECKING:
    from .metrics.accumulator import CAPISDRi
    from .metrics.ca2025 import CA2025Result
    from .metrics.capi import CAPIResult, capi_sdri
    from .metrics.label_counts import LabelCounts, label_counts
    from .metrics.sdr import sdr, sdri


def __getattr__(name: str) -> Any:
    """The public API, imported when first asked for (PEP 562)."""
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 's5eval' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
