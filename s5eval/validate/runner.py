"""The validation run: open the submission (zip included), run every family of checks, collect all findings."""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..findings import (EXIT_INVALID, EXIT_OK, EXIT_REFERENCE, EXIT_USAGE, ERROR, Finding, S5InputError, error,
                         is_reference_problem)
from ..io.archive import submission_folder
from ..io.refset import ReferenceSet, load_reference_set
from ..io.submission import Submission, open_submission
from ..io.submission_package import find_submission_package
from ..labels import resolve_label_set
from .audio import check_audio
from .context import Context, ValidateOptions
from .coverage import check_coverage
from .layout import check_package, list_estimates
from .names import check_names

@dataclass
class ValidationReport:
    """All findings of one run and the exit code they imply (0, 1, 2 or 3)."""

    submission: str
    reference: str | None
    findings: list[Finding] = field(default_factory=list)
    exit_code: int = EXIT_OK
    n_estimates: int = 0
    elapsed_s: float = 0.0
    n_systems: int | None = None  # set when the submission is a submission package (meta YAMLs, report, URLs)
    strict: bool = False

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]

    @property
    def valid(self) -> bool:
        return self.exit_code == EXIT_OK

    def counts(self) -> dict[str, int]:
        """Findings per code, most frequent first."""
        return dict(Counter(f.code for f in self.findings).most_common())

    def summary(self) -> dict:
        return {
            "submission": self.submission,
            "reference": self.reference,
            "valid": self.valid,
            "exit_code": self.exit_code,
            "strict": self.strict,
            "n_estimates": self.n_estimates,
            "n_systems": self.n_systems,
            "n_errors": len(self.errors),
            "n_warnings": len(self.warnings),
            "by_code": self.counts(),
            "elapsed_s": round(self.elapsed_s, 3),
        }

    def to_dict(self) -> dict:
        """What ``--json FILE`` writes: the summary and every finding."""
        return {"summary": self.summary(), "findings": [f.to_dict() for f in self.findings]}


def exit_code_for(findings: list[Finding]) -> int:
    if any(is_reference_problem(f) for f in findings):
        return EXIT_REFERENCE
    return EXIT_INVALID if any(f.is_error for f in findings) else EXIT_OK


def context_for(submission: Submission, labels: tuple[str, ...], options: ValidateOptions,
                reference: ReferenceSet | None = None, shown_root: str | None = None,
                dev_reference: ReferenceSet | None = None) -> Context:
    """A check context for an opened submission; the checks fill the submission's ``files`` (the same list)."""
    submission.files.clear()
    return Context(root=submission.root, shown_root=shown_root or str(submission.root), kind=submission.kind,
                   estimate_dir=submission.estimate_dir, label=submission.label, labels=tuple(labels),
                   options=options, reference=reference, estimates=submission.files, dev_reference=dev_reference)


def discover(ctx: Context) -> list[Finding]:
    """List the estimate folder and parse every name: fills ``ctx.estimates`` (the submission's ``files``)."""
    return list_estimates(ctx) + check_names(ctx)


def header_checks(ctx: Context) -> list[Finding]:
    """The audio headers (stored in each file's ``info``) and, with a reference set, the coverage."""
    return check_audio(ctx) + check_coverage(ctx)


def file_checks(ctx: Context) -> list[Finding]:
    """What bears on the scores: the estimate folder, the names, the audio, the coverage."""
    return discover(ctx) + header_checks(ctx)


def metadata_checks(ctx: Context) -> list[Finding]:
    """The package around the estimates: name, eval_results.json, dev results, meta YAML."""
    # jsonschema and yaml are imported here, not at module level: scoring runs the file checks only
    from .meta import check_meta, check_nparams
    from .results_json import check_dev_results, check_eval_results

    findings = check_package(ctx)
    if ctx.kind != "package":
        return findings
    results, found = check_eval_results(ctx)
    findings += found
    findings += check_dev_results(ctx)
    meta, found = check_meta(ctx)
    findings += found
    findings += check_nparams(ctx, results, meta)
    return findings


def run_checks(ctx: Context) -> list[Finding]:
    """Every family of checks on an opened submission; all findings, in check order."""
    findings = file_checks(ctx)
    if ctx.options.metadata:
        findings += metadata_checks(ctx)
    return findings


def _strict(findings: list[Finding]) -> list[Finding]:
    return [f if f.is_error else replace(f, severity=ERROR) for f in findings]


def validate_submission(sub_path: str | Path, ref_path: str | Path | None = None,
                        options: ValidateOptions | None = None,
                        dev_ref_path: str | Path | None = None) -> ValidationReport:
    """Validate a package folder, a bare folder of WAVs or a ``.zip`` of either; never raises for bad input.

    ``ref_path``: the evaluation set the estimates belong to; its ``oracle_target/``
    is not needed (an evaluation set as participants get it is enough).
    ``dev_ref_path``: the development test set that ``dev_set_test_results.json``
    must cover.
    """
    options = options or ValidateOptions()
    started = time.perf_counter()
    report = ValidationReport(str(sub_path), None if ref_path is None else str(ref_path), strict=options.strict)
    try:
        labels = resolve_label_set(options.label_set)
    except ValueError as exc:
        report.findings = [error("E_LABEL_SET", str(options.label_set), str(exc))]
        report.exit_code = EXIT_USAGE
        return report
    try:
        reference = (load_reference_set(ref_path, labels, require_targets=False, prefer="eval")
                     if ref_path is not None else None)
        dev_reference = (load_reference_set(dev_ref_path, labels, require_targets=False, prefer="test")
                         if dev_ref_path is not None else None)
        with submission_folder(sub_path, options.limits) as folder:
            package = find_submission_package(folder)
            if package is not None:  # the submission package (meta YAMLs, report, URLs), not the audio
                from .submission_package import check_submission_package
                findings = check_submission_package(package, str(sub_path), options)
                report.n_systems = len(package.systems)
            else:
                submission = open_submission(folder)
                ctx = context_for(submission, labels, options, reference, shown_root=str(sub_path),
                                  dev_reference=dev_reference)
                findings = run_checks(ctx)
                report.n_estimates = len(ctx.estimates)
    except S5InputError as exc:
        findings = list(exc.findings)
        if exc.exit_code == EXIT_USAGE:
            report.findings, report.exit_code = findings, EXIT_USAGE
            return report
    if options.strict:
        findings = _strict(findings)
    report.findings = findings
    report.exit_code = exit_code_for(findings)
    report.elapsed_s = time.perf_counter() - started
    return report
