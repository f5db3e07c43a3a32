"""``s5eval reference KIND --ref REF --out SUB``: calibration submissions with known scores."""
from __future__ import annotations

import click

from ..calibration import KINDS
from ..findings import EXIT_USAGE, S5InputError, error
from ..labels import UnknownLabelSet
from .common import exits_on_input_error


@click.command("reference")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--ref", "reference", required=True, type=click.Path(path_type=str), help="Reference set folder.")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=str, file_okay=False),
              help="Package folder to write (e.g. Oracle_S5eval_task4_1).")
@click.option("--snr", "snr_db", type=float, default=10.0, show_default=True,
              help="oracle-labels-noisy: SNR in dB of the white noise added to each reference target.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the noisy and random kinds.")
@click.option("--label-set", default=None, help="dcase2026t4 (default), dcase2025t4 or a file with one class a line.")
@click.option("--quiet", is_flag=True, help="Print nothing on success.")
@exits_on_input_error
def reference_command(kind, reference, out_dir, snr_db, seed, label_set, quiet):
    """Write the calibration submission KIND (oracle, mixture, silence, oracle-labels-noisy, random-labels)."""
    from ..calibration.writer import write_reference_submission
    from ..render.terminal import stdout
    from ..results.files import check_out_dir
    check_out_dir(out_dir, [(reference, "the reference set")])
    try:
        info = write_reference_submission(kind, reference, out_dir, snr_db=snr_db, seed=seed, label_set=label_set)
    except UnknownLabelSet as exc:
        raise S5InputError([error("E_USAGE", "", str(exc))], EXIT_USAGE) from None
    except OSError as exc:
        raise S5InputError([error("E_REFERENCE_WRITE", out_dir, f"cannot write the submission: {exc}")],
                           EXIT_USAGE) from None
    if not quiet:
        stdout.print(f"{kind}: {info.n_files} estimate files written to {info.root}/")
