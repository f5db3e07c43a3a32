"""``s5eval validate SUB [--ref REF] [--label-set NAME] [--json FILE] [--strict]``."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..io.archive import ArchiveLimits
from ..findings import EXIT_USAGE, S5InputError, error
from .common import check_paths_exist, exits_on_input_error

_DEFAULT_LIMITS = ArchiveLimits()


@click.command("validate")
@click.argument("submission", type=click.Path(path_type=str))
@click.option("--ref", "reference", type=click.Path(path_type=str), default=None,
              help="The set the estimates belong to (an evaluation set without oracle_target/ is enough): "
                   "soundscape names exactly, coverage, rate, channels and length against each mixture.")
@click.option("--dev-ref", "dev_reference", type=click.Path(path_type=str), default=None,
              help="The development test set (dev_set/synthesized/test or a dataset root): "
                   "dev_set_test_results.json must cover its soundscapes.")
@click.option("--label-set", default=None, help="dcase2026t4 (default), dcase2025t4 or a file with one class a line.")
@click.option("--json", "json_file", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Write every finding {code, severity, file, message} and a summary to this file.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--no-decode", is_flag=True,
              help="Read headers only: skip the NaN/Inf, all-zero and clipping checks that need the samples.")
@click.option("--max-estimates", type=click.IntRange(min=1), default=3, show_default=True,
              help="Warn about soundscapes with more estimates than this.")
@click.option("--rate", type=click.IntRange(min=1), default=32000, show_default=True,
              help="Expected sample rate in Hz when no --ref is given.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Threads reading audio (default: all cores).")
@click.option("--max-unzipped-bytes", type=click.IntRange(min=1), default=_DEFAULT_LIMITS.max_total_bytes,
              show_default=True, help="Zip: largest total uncompressed size in bytes.")
@click.option("--max-members", type=click.IntRange(min=1), default=_DEFAULT_LIMITS.max_members, show_default=True,
              help="Zip: most members.")
@click.option("--max-ratio", type=click.FloatRange(min=1.0), default=_DEFAULT_LIMITS.max_ratio, show_default=True,
              help="Zip: largest uncompressed/compressed size ratio of one member.")
@click.option("--quiet", is_flag=True, help="Print only the verdict line.")
@exits_on_input_error
def validate_command(submission, reference, dev_reference, label_set, json_file, strict, no_decode, max_estimates, rate, workers,
                     max_unzipped_bytes, max_members, max_ratio, quiet):
    """Check a submission SUBMISSION (package folder, folder of WAVs or .zip) and report every problem at once.

    Exit code: 0 valid (warnings allowed unless --strict), 1 invalid, 2 usage error (also a path that does not
    exist), 3 reference-set problem.
    """
    from ..atomic import write_json_atomic
    from ..validate import ValidateOptions, validate_submission
    from ..validate.render import print_report
    check_paths_exist([(submission, "E_SUB_MISSING", "the submission"),
                       (reference, "E_REF_MISSING", "the reference set (--ref)"),
                       (dev_reference, "E_REF_MISSING", "the development test set (--dev-ref)")])
    options = ValidateOptions(label_set=label_set, strict=strict, decode=not no_decode, max_estimates=max_estimates,
                              rate=rate, workers=workers,
                              limits=ArchiveLimits(max_unzipped_bytes, max_members, max_ratio))
    if json_file:  # never write into what is being checked
        from ..results.files import check_out_dir
        check_out_dir(Path(json_file).parent, [(submission, "the submission"), (reference, "the reference set"),
                                               (dev_reference, "the development test set")], option="--json")
    report = validate_submission(submission, reference, options, dev_ref_path=dev_reference)
    if json_file:
        try:
            write_json_atomic(json_file, report.to_dict())
        except OSError as exc:
            raise S5InputError([error("E_USAGE", json_file, f"cannot write the JSON report: {exc}")],
                               exit_code=EXIT_USAGE) from None
    print_report(report, per_code=0 if quiet else 10)
    sys.exit(report.exit_code)
