"""Look and listen: a self-contained HTML report of mixtures (``explain --html``, ``score --report N``).

Per mixture: audio players and spectrograms of channel 0 of the mixture, every
reference and every estimate, side by side as the pairing matched them (FN
and FP shown as such), the pairing table under both selections, the labels
and probabilities of ``eval_results.json``; an overview with the worst and
best mixtures and a page per class. The folder opens from disk, offline.

Modules: :mod:`.gather` (figures, ranking, probabilities), :mod:`.audio` (Ogg
Vorbis), :mod:`.spectrograms` (STFT, PNG), :mod:`.pages` (HTML), :mod:`.folder`
(the atomic report folder), :mod:`.build` (putting it together). matplotlib
(extra ``report``) is imported only when a report is written.
"""
from __future__ import annotations

from .build import (MAX_REPORT, REPORT_EXTRA, ReportWritten, check_report_count, require_report_dependencies,
                    write_explain_report, write_score_report)
from .folder import check_report_dir

__all__ = ["MAX_REPORT", "REPORT_EXTRA", "ReportWritten", "check_report_count", "check_report_dir",
           "require_report_dependencies", "write_explain_report", "write_score_report"]
