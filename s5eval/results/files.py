"""The four output files of ``s5eval score --out DIR``, each written atomically.

* ``results.json``: summary, subsets, per_class, provenance (schema: schemas/results.schema.json)
* ``scores.json``: the figures flattened for Codabench, a fixed key set (:func:`scores_keys`)
* ``per_mixture.csv``: one row per mixture
* ``per_source.csv``: one row per TP pair or penalty entry
"""
from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from itertools import chain
from typing import Any, Iterable, Iterator, Mapping, TextIO

from ..atomic import atomic_batch, write_atomic, write_json_atomic
from .document import ResultsDocument
from .record import MixtureRecord, SourceRow
from ..findings import EXIT_USAGE, S5InputError, error
from .figures import SI_METRICS
from .subsets import AUTOMATIC_ORDER, PRESETS, preset_subsets

OUTPUT_FILES = ("results.json", "scores.json", "per_mixture.csv", "per_source.csv")
PER_MIXTURE_COLUMNS = ("soundscape", "subsets", "n_ref", "n_est", "tp", "fp", "fn", "mixture_correct",
                       "capi_sdri", "ca_sdri_2025", "ref_labels", "est_labels", "pairing")
PER_SOURCE_COLUMNS: tuple[str, ...] = SourceRow._fields  # a row's fields, in order
# with a scale-invariant metric, per_source.csv holds the CAPI-SDRi entries (measure SDR) and then the
# CAPI-SI-SDRi entries (measure SI-SDR: sdr, sdr_mixture and sdri hold SI-SDR values; the SI pairing may differ)
SI_PER_SOURCE_COLUMNS = PER_SOURCE_COLUMNS + ("measure",)

# --- scores.json: a fixed key set (a Codabench leaderboard has one column per key) ------------------------
#
# The keys depend on two scoring options only, never on the submission or on the reference set:
#
# * always: for each subset of SCORES_SUBSETS (``all`` and the automatic subsets) each figure of
#   SCORES_FIGURES, named ``<figure>`` for ``all`` and ``<figure>_<subset>`` for the others, plus
#   SCORES_HEADLINE_EXTRA (the 95 % interval of CAPI-SDRi on ``all``) and ``n_undefined``;
# * ``--metric casa-sdr``: the CASA_FIGURES too (they are computed only then);
# * ``--subsets PRESET``: the preset's subsets (``ranking``, ``analysis``) as more subsets.
#
# Subsets from a subsets file (``REF/subsets.csv``, ``--subsets FILE``) and ``n_ref=K`` are in
# results.json and on the results page, not in scores.json: their names come from the data.
#
# A figure that is undefined (no mixture of the subset, every mixture of it excluded, a count of
# zero under a ratio, no bootstrap) is UNDEFINED_SCORE: Codabench stores every score as a decimal
# number and has no "missing" value (null is refused, NaN is not JSON). ``n_undefined`` counts them;
# ``n_mixtures[_<subset>]`` and ``n_scored[_<subset>]`` say which subsets are empty. See docs/codabench.md.
SCORES_SUBSETS = AUTOMATIC_ORDER  # all, zero_target, single, distinct, duplicate, nodup
SCORES_FIGURES = ("capi_sdri", "accuracy_mix", "accuracy_src", "ca_sdri_2025", "n_mixtures", "n_scored")
CASA_FIGURES = ("casa_sdr_sb", "casa_sdr_eb")
SI_FIGURES = ("capi_si_sdri", "ca_si_sdri_2025")  # with --metric capi-si-sdri / ca-si-sdri (computed only then)
SCORES_HEADLINE_EXTRA = ("capi_sdri_ci_low", "capi_sdri_ci_high")
COUNT_FIGURES = ("n_mixtures", "n_scored")  # always defined: 0 for an empty subset
UNDEFINED_SCORE = -999.0
DECIMALS = 6


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).strip("_")


def scores_subsets(subsets_spec: str | None = None) -> tuple[str, ...]:
    """The subsets in scores.json: the automatic ones, then a preset's (``--subsets PRESET``)."""
    if subsets_spec in PRESETS:
        return SCORES_SUBSETS + tuple(preset_subsets(subsets_spec, []))
    return SCORES_SUBSETS


def scores_figures(metric: str = "capi-sdri") -> tuple[str, ...]:
    """The figures of every subset in scores.json (the CASA-SDR figures with ``--metric casa-sdr``)."""
    return SCORES_FIGURES + (CASA_FIGURES if metric == "casa-sdr" else ()) + (
        SI_FIGURES if metric in SI_METRICS else ())


def score_key(figure: str, subset: str) -> str:
    """``capi_sdri`` for ``all``, ``capi_sdri_duplicate`` for the subset ``duplicate``."""
    return figure if subset == "all" else f"{figure}_{_slug(subset)}"


def scores_key_layout(metric: str = "capi-sdri", subsets_spec: str | None = None) -> list[tuple[str, str, str]]:
    """``(key, figure, subset)`` of every scores.json key, in the order written (``all`` first)."""
    layout = []
    for subset in scores_subsets(subsets_spec):
        for figure in scores_figures(metric):
            layout.append((score_key(figure, subset), figure, subset))
            if subset == "all" and figure == "capi_sdri":
                layout += [(key, key, "all") for key in SCORES_HEADLINE_EXTRA]
            if subset == "all" and figure in SI_FIGURES:
                layout += [(f"{figure}_ci_{end}", f"{figure}_ci_{end}", "all") for end in ("low", "high")]
    layout.append(("n_undefined", "n_undefined", "all"))
    return layout


def scores_keys(metric: str = "capi-sdri", subsets_spec: str | None = None) -> list[str]:
    """The fixed key set of scores.json for these options (see the comment above :data:`SCORES_SUBSETS`)."""
    return [key for key, _, _ in scores_key_layout(metric, subsets_spec)]


def flat_scores(results: Mapping[str, Any]) -> dict:
    """Codabench ``scores.json``: exactly :func:`scores_keys` of the run's options, every value a number.

    Undefined figures are :data:`UNDEFINED_SCORE`; ``n_undefined`` counts them.
    """
    provenance = results.get("provenance", {})
    metric, spec = provenance.get("metric") or "capi-sdri", provenance.get("subsets_source")
    out: dict[str, float | int] = {}
    n_undefined = 0
    for key, figure, subset in scores_key_layout(metric, spec):
        if key == "n_undefined":
            continue
        value = results["subsets"].get(subset, {}).get(figure)
        if figure in COUNT_FIGURES:
            out[key] = int(value or 0)
        elif value is not None and math.isfinite(value):
            out[key] = round(float(value), DECIMALS)
        else:
            out[key] = UNDEFINED_SCORE
            n_undefined += 1
    out["n_undefined"] = n_undefined
    return out


def _fmt(value) -> str:
    """A CSV cell: "" for None, true/false, floats rounded to 6 decimals (shortest repr), the rest as str()."""
    kind = type(value)
    if kind is float:
        return repr(round(value, 6))
    if value is None:
        return ""
    if kind is bool:  # (bool cannot be subclassed)
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


def _write_csv(handle: TextIO, columns: Iterable[str], rows: Iterable[dict]) -> None:
    """A CSV of dict rows: each row's values of ``columns`` (a missing one is empty)."""
    columns = list(columns)
    _write_csv_values(handle, columns, (map(row.get, columns) for row in rows))


def _write_csv_values(handle: TextIO, columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    """A CSV of rows given as their values in column order (cells as :func:`_fmt` writes them)."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(list(columns))
    writer.writerows([value if type(value) is str else _fmt(value) for value in row] for row in rows)


def mixture_rows(records: list[MixtureRecord], subsets: dict[str, list[str]]) -> list[dict]:
    member_of: dict[str, list[str]] = {}
    for name, mixes in subsets.items():
        for mix in mixes:
            member_of.setdefault(mix, []).append(name)
    return [{
        "soundscape": r.soundscape, "subsets": "|".join(member_of.get(r.soundscape, [])),
        "n_ref": r.n_ref, "n_est": r.n_est, "tp": r.tp, "fp": r.fp, "fn": r.fn,
        "mixture_correct": r.mixture_correct, "capi_sdri": r.capi_sdri, "ca_sdri_2025": r.ca_sdri_2025,
        "ref_labels": "|".join(r.ref_labels), "est_labels": "|".join(r.est_labels), "pairing": r.pairing,
        "capi_si_sdri": r.capi_si_sdri, "ca_si_sdri_2025": r.ca_si_sdri_2025,
    } for r in records]


def per_mixture_columns(metric: str = "capi-sdri") -> tuple[str, ...]:
    """The per_mixture.csv columns: the SI-SDR ones only with a scale-invariant metric."""
    return PER_MIXTURE_COLUMNS + (SI_FIGURES if metric in SI_METRICS else ())


def source_rows(records: list[MixtureRecord],
                metric: str = "capi-sdri") -> tuple[tuple[str, ...], Iterator[tuple[Any, ...]]]:
    """The columns and rows (values in column order) of per_source.csv: every TP pair and penalty entry of
    CAPI-SDRi, and with a scale-invariant metric also those of CAPI-SI-SDRi (column ``measure``: ``SDR`` or
    ``SI-SDR``)."""
    if metric not in SI_METRICS:
        return PER_SOURCE_COLUMNS, (row for r in records for row in r.sources)
    rows = chain(((*row, "SDR") for r in records for row in r.sources),
                 ((*row, "SI-SDR") for r in records for row in r.si_sources))
    return SI_PER_SOURCE_COLUMNS, rows


def write_outputs(out_dir: str | Path, results: ResultsDocument, records: list[MixtureRecord],
                  subsets: dict[str, list[str]]) -> list[Path]:
    """Write the four files; ``scores.json`` last, so its presence means the others are complete.

    All four are written to temporary files first and renamed into place only
    when every one is complete (:func:`s5eval.atomic.atomic_batch`): a full disk
    leaves the earlier results as they were. Raises ``OSError``.
    """
    out = Path(out_dir)
    scored = [r for r in records if r.scored]
    metric = results.get("provenance", {}).get("metric") or "capi-sdri"
    with atomic_batch():
        write_json_atomic(out / "results.json", results)
        write_atomic(out / "per_mixture.csv",
                     lambda h: _write_csv(h, per_mixture_columns(metric), mixture_rows(scored, subsets)))
        write_atomic(out / "per_source.csv", lambda h: _write_csv_values(h, *source_rows(scored, metric)))
        write_json_atomic(out / "scores.json", flat_scores(results))
    return [out / name for name in OUTPUT_FILES]


def remove_stale_outputs(out_dir: str | Path) -> None:
    """After a failed run, remove results a leaderboard could mistake for this run's."""
    for name in ("scores.json", "results.json"):
        (Path(out_dir) / name).unlink(missing_ok=True)


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_out_dir(out_dir: str | Path, protected: Iterable[tuple[str | Path | None, str]] = (),
                  option: str = "--out", probe: bool = False) -> Path:
    """Refuse an output folder that would write into an input; return it resolved.

    ``protected``: (path, what) of the inputs; an output folder equal to or
    inside one that is a folder is refused (``E_OUT_INSIDE_INPUT``; next to a
    ``.zip`` is fine). An output that is an existing file, or lies below one,
    is refused (``E_OUT_IS_FILE``). Paths are compared resolved (symbolic
    links, ``..``). Both are usage errors (exit 2). ``probe``: create the folder
    and a test file in it now, so a read-only or full disk is reported
    (``E_OUT_WRITE``) before any work is done.
    """
    shown = str(out_dir)
    resolved = Path(os.path.realpath(out_dir))
    ancestor = resolved
    while not os.path.lexists(ancestor) and ancestor.parent != ancestor:
        ancestor = ancestor.parent
    if os.path.lexists(ancestor) and not ancestor.is_dir():
        where = "is" if ancestor == resolved else f"lies below {ancestor}, which is"
        raise S5InputError([error("E_OUT_IS_FILE", shown, f"{option} {where} an existing file, not a folder; "
                                  "give a folder (it is created when missing)")], exit_code=EXIT_USAGE)
    for path, what in protected:
        if path is None or not _is_folder(path):
            continue
        folder = Path(os.path.realpath(path))
        if _within(resolved, folder):
            how = "is" if resolved == folder else "lies inside"
            raise S5InputError([error("E_OUT_INSIDE_INPUT", shown,
                                      f"{option} {how} {what} ({path}); results would be written into the input: "
                                      "choose a folder outside it")], exit_code=EXIT_USAGE)
    if probe:
        probe_writable(out_dir)
    return resolved


def _is_folder(path: str | Path) -> bool:
    """``Path.is_dir`` that answers False where the path cannot even be looked at (e.g. a name too long)."""
    try:
        return Path(path).is_dir()
    except OSError:
        return False


def probe_writable(out_dir: str | Path) -> None:
    """Create the folder and a test file in it: a read-only or full disk is ``E_OUT_WRITE`` (exit 2) now."""
    from ..atomic import create_temporary, write_error

    try:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        fd, tmp = create_temporary(Path(out_dir) / "write-test")
        os.close(fd)
        tmp.unlink()
    except OSError as exc:
        raise write_error(exc, out_dir) from None
