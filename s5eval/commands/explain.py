"""``s5eval explain SUB --ref REF MIX``."""
from __future__ import annotations

import json
import sys

import click

from ..findings import Finding
from .common import check_paths_exist, exits_on_input_error


def _db(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def _print(data: dict) -> None:
    from ..render.terminal import stdout
    from rich.markup import escape
    from rich.table import Table
    stdout.print(f"[bold]{escape(data['soundscape'])}[/]  TP {data['tp']}  FP {data['fp']}  FN {data['fn']}  "
                 f"mixture correct: {'yes' if data['mixture_correct'] else 'no'}")
    stdout.print("reference: " + (escape(", ".join(f"{r['label']} ({r['file']})" for r in data["reference"])) or "none"),
                 soft_wrap=True)
    stdout.print("estimates: " + (escape(", ".join(f"{e['label']} ({e['file']})" for e in data["estimates"])) or "none"),
                 soft_wrap=True)
    if data["excluded"]:
        stdout.print("No class in either list: the mixture is excluded from CAPI-SDRi (no value).")
        return
    measure = data.get("measure", "SDR")  # SDR or SI-SDR
    figure = "CAPI-SDRi" if measure == "SDR" else "CAPI-SI-SDRi"
    for cls in data["classes"]:
        if not cls["estimates"] or not cls["references"]:
            continue
        table = Table(title=f"{escape(cls['label'])}: {measure} (dB) of each estimate against each reference; "
                            f"{measure}i in brackets", title_justify="left")
        table.add_column("estimate \\ reference")
        for name, mix_sdr in zip(cls["references"], cls["sdr_mixture"]):
            table.add_column(f"{escape(name)}\n(mixture {measure} {mix_sdr:.2f})", justify="right")
        for name, sdr_row, sdri_row in zip(cls["estimates"], cls["sdr"], cls["sdri"]):
            table.add_row(escape(name), *(f"{s:.3f} [{d:.3f}]" for s, d in zip(sdr_row, sdri_row)))
        stdout.print(table)
    chosen = data[data["selection"]]
    table = Table(title=f"entries of the mean ({data['selection']} selection)", title_justify="left")
    for name in ("kind", "class / file", measure, f"{measure} mixture", f"{measure}i / penalty"):
        table.add_column(name, justify="right" if name.startswith(measure) else "left")
    for p in chosen["pairs"]:
        table.add_row("TP", escape(f"{p['label']}: {p['estimate']} → {p['reference']}"), _db(p["sdr"]),
                      _db(p["sdr_mixture"]), _db(p["sdri"]))
    for m in chosen["missed"]:
        table.add_row("FN", escape(m["reference"]), "", "", _db(m["penalty"]))
    for s in chosen["spurious"]:
        table.add_row("FP", escape(s["estimate"]), "", "", _db(s["penalty"]))
    stdout.print(table)
    stdout.print(f"{figure} = ({_db(chosen['tp_sdri_sum'])} + {_db(chosen['penalty_mass'])}) / "
                 f"{chosen['n_entries']} = [bold]{_db(chosen['capi_sdri'])} dB[/]")
    stdout.print(f"official selection (max mean {measure}): {_db(data['official']['capi_sdri'])} dB; "
                 f"paper selection (max summed {measure}i, eq. 10): {_db(data['paper']['capi_sdri'])} dB")
    if data["pairs_only_official"] or data["pairs_only_paper"]:
        stdout.print("The paper selection would pair differently: "
                     + escape("; ".join(f"{e} → {r}" for e, r in data["pairs_only_paper"]))
                     + " instead of " + escape("; ".join(f"{e} → {r}" for e, r in data["pairs_only_official"]))
                     + f" (change {_db(data['paper_minus_official'])} dB).", soft_wrap=True)
    else:
        stdout.print("Both selections choose the same pairs.")


@click.command("explain")
@click.argument("submission", type=click.Path(path_type=str))
@click.argument("mixture")
@click.option("--ref", "reference", required=True, type=click.Path(path_type=str), help="Reference set folder.")
@click.option("--selection", type=click.Choice(["official", "paper"]), default="official", show_default=True)
@click.option("--penalty-fn", type=float, default=0.0, show_default=True, help="Penalty in dB per missed source.")
@click.option("--penalty-fp", type=float, default=0.0, show_default=True, help="Penalty in dB per false source.")
@click.option("--label-set", default=None, help="dcase2026t4 (default), dcase2025t4 or a file with one class a line.")
@click.option("--metric", type=click.Choice(["capi-sdri", "capi-si-sdri", "ca-si-sdri"]), default="capi-sdri",
              show_default=True, help="Explain CAPI-SDRi, or the same pairing with SI-SDR in place of SDR "
                                      "(capi-si-sdri; ca-si-sdri shows the same SI-SDR matrices).")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@click.option("--html", "html_dir", type=click.Path(path_type=str), default=None,
              help="Also write a report folder DIR (index.html): audio players, spectrograms and the pairing "
                   "(needs the extra s5eval[report]).")
@exits_on_input_error
def explain_command(submission, mixture, reference, selection, penalty_fn, penalty_fp, label_set, metric, as_json,
                    html_dir):
    """Explain the score of soundscape MIXTURE: labels, pairing, per-pair SDR/SDRi, penalties, both selections.

    SUBMISSION is a package folder, a folder of estimate WAVs or a .zip of either.
    """
    from ..render.terminal import print_findings, stderr
    from ..scoring.config import ScoreConfig
    from ..scoring.explain import explain_mixture
    from rich.markup import escape
    check_paths_exist([(submission, "E_SUB_MISSING", "the submission"),
                       (reference, "E_REF_MISSING", "the reference set (--ref)")])
    from ..io.archive import submission_folder
    config = ScoreConfig(metric=metric, selection=selection, penalty_fn=penalty_fn, penalty_fp=penalty_fp,
                         label_set=label_set)
    from pathlib import Path
    if html_dir:  # before any work: the extra, an output outside the inputs, never over other files
        from ..mixture_report import check_report_dir, require_report_dependencies
        from ..results.files import check_out_dir
        require_report_dependencies()
        check_out_dir(html_dir, [(reference, "the reference set"), (submission, "the submission")], option="--html")
        check_report_dir(html_dir)
    with submission_folder(Path(submission)) as root:
        if html_dir:
            from ..mixture_report import write_explain_report
            written, data = write_explain_report(html_dir, root, reference, mixture, config, source=submission)
            stderr.print(escape(f"report written to {written.index} ({written.n_bytes / 1e6:.1f} MB)"))
        else:
            data = explain_mixture(root, reference, mixture, config)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    _print(data)
    if data["findings"]:
        print_findings([Finding(**f) for f in data["findings"]])
