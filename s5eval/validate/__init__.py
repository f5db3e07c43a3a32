"""The submission checker behind ``s5eval validate``.

One module per family of checks (``layout``, ``names``, ``audio``,
``coverage``, ``results_json``, ``meta``), the schemas they share
(``schemas``), safe loaders (``loaders``), the code catalogue (``codes``) and
a runner that collects **all** findings (``runner``).
"""
from .context import ValidateOptions
from .runner import (ValidationReport, context_for, discover, exit_code_for, file_checks, header_checks, run_checks,
                     validate_submission)

__all__ = ["ValidateOptions", "ValidationReport", "context_for", "discover", "exit_code_for", "file_checks",
           "header_checks", "run_checks",
           "validate_submission"]
