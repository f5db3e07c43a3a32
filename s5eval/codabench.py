"""Codabench: the scoring program (``s5eval codabench INPUT OUTPUT``) and the competition bundle.

Scoring program. Codabench mounts the reference data at ``INPUT/ref`` and the
participant's upload at ``INPUT/res`` (a package folder, a bare folder of WAVs,
a folder holding one of those, or a single ``.zip``). The program writes
``OUTPUT/detailed_results.html`` (results per subset and per class, a legend
and the provenance, or the findings) and, only when scoring succeeded,
``OUTPUT/scores.json`` (:func:`s5eval.results.files.flat_scores`: a fixed key set),
atomically and last: a failure never leaves a partial or stale ``scores.json``.

Bundle (``s5eval codabench bundle --ref REF --out DIR``, :func:`write_bundle`):
a Codabench competition bundle (``competition.yaml`` version 2) whose
leaderboard columns are exactly the keys of ``scores.json`` for the chosen
options and whose scoring program runs the command above. See docs/codabench.md.
"""
from __future__ import annotations

import datetime as _dt
import os
import shlex
import shutil
import struct
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TextIO


from . import __version__
from .atomic import atomic_batch, write_atomic, write_error, write_json_atomic, write_text_atomic, writing_outputs
from .findings import EXIT_INVALID, EXIT_USAGE, Finding, S5InputError, error
from .io.package import ESTIMATE_DIR
from .results.files import UNDEFINED_SCORE, check_out_dir, flat_scores, scores_key_layout
from .render.terminal import print_package_findings
from .render.html import findings_html, results_html
from .results.figures import METRIC_KEYS, figure
from .scoring.config import ScoreConfig
from .scoring.run import run_score

SCORES = "scores.json"
DETAILS = "detailed_results.html"


def submission_in(res: Path) -> Path:
    """The submission inside ``INPUT/res``: a single zip, a single folder, or ``res`` itself."""
    if not res.is_dir():
        return res
    entries = [p for p in res.iterdir() if not p.name.startswith(".") and p.name != "__MACOSX"]
    wavs = [p for p in entries if p.suffix.lower() == ".wav"]
    if not wavs and len(entries) == 1 and (entries[0].is_dir() or entries[0].suffix.lower() == ".zip"):
        if entries[0].name != ESTIMATE_DIR:
            return entries[0]
    return res


# --- progress lines ------------------------------------------------------------------------------------


class ProgressLines:
    """A ``progress(done, total)`` callback printing ``scored 500/2567 mixtures (19 %, 42 s)`` lines.

    For logs that are not a terminal (Codabench, CI): a line at the start, then
    whenever ``every_s`` seconds have passed or another ``every_fraction`` of the
    mixtures is done, and at the end.
    """

    def __init__(self, stream: TextIO | None = None, every_s: float = 10.0, every_fraction: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.every_s = every_s
        self.every_fraction = every_fraction
        self.clock = clock
        self.start = clock()
        self.last_time = self.start
        self.last_done = -1

    def _line(self, done: int, total: int) -> None:
        elapsed = self.clock() - self.start
        share = f"{100 * done // total} %, " if total else ""
        stream = self.stream or sys.stderr
        stream.write(f"scored {done}/{total} mixtures ({share}{elapsed:.0f} s)\n")
        stream.flush()
        self.last_time, self.last_done = self.clock(), done

    def __call__(self, done: int, total: int) -> None:
        if self.last_done < 0:
            (self.stream or sys.stderr).write(f"scoring {total} mixtures\n")
        step = max(1, int(total * self.every_fraction))
        if (done == total or self.last_done < 0 or done - self.last_done >= step
                or self.clock() - self.last_time >= self.every_s):
            self._line(done, total)


# --- detailed_results.html -----------------------------------------------------------------------------


# --- the scoring program -------------------------------------------------------------------------------


def run_codabench(input_dir: str | Path, output_dir: str | Path, config: ScoreConfig | None = None,
                  progress: Callable[[int, int], None] | None = None) -> int:
    """Score ``INPUT/res`` against ``INPUT/ref``; return the exit code (0 on success).

    ``OUTPUT`` may not lie in ``INPUT/res`` or ``INPUT/ref`` nor be a file
    (exit 2). When ``OUTPUT`` cannot be written (full disk, read-only) the
    finding ``E_OUT_WRITE`` is raised (exit 2); no page can be left then.
    ``progress(done, total)`` is called as mixtures are scored.
    """
    inp, out = Path(input_dir), Path(output_dir)
    check_out_dir(out, [(inp / "res", "INPUT/res (the submission)"), (inp / "ref", "INPUT/ref (the reference set)")],
                  option="OUTPUT", probe=True)
    with writing_outputs(out):
        (out / SCORES).unlink(missing_ok=True)
    try:
        submission = submission_in(inp / "res")
        run = run_score(submission, inp / "ref", config or ScoreConfig(), progress=progress)  # a zip: extracted there
        scores = flat_scores(run.results)
        page = results_html(run.results, run.findings + run.package_findings, run.records, run.subsets)
    except S5InputError as exc:  # also E_TEMP_WRITE: the page says so
        findings, code = exc.findings, exc.exit_code
    except Exception as exc:  # the scoring program must always leave a page saying what went wrong
        findings, code = [error("E_INTERNAL", str(inp), f"{type(exc).__name__}: {exc}")], EXIT_INVALID
    else:
        print_package_findings(run.findings + run.package_findings)  # to the scoring log
        with writing_outputs(out), atomic_batch():
            write_atomic(out / DETAILS, lambda h: h.write(page))
            write_json_atomic(out / SCORES, scores)
        return 0
    try:
        (out / SCORES).unlink(missing_ok=True)
        write_atomic(out / DETAILS, lambda h: h.write(findings_html(findings, code)))
    except OSError as problem:  # the submission's findings still come first
        findings = [*findings, *write_error(problem, out).findings]
    raise S5InputError(findings, code)


# --- the competition bundle ----------------------------------------------------------------------------

BUNDLE_FILES = ("competition.yaml", "logo.png", "pages", "scoring_program", "reference_data")
MAX_TITLE = 36  # Codabench: Column.title and Column.key are CharField(max_length=36)


@dataclass
class BundleOptions:
    """What a bundle needs besides the scoring options (see ``s5eval codabench bundle --help``)."""

    title: str = "DCASE 2026 Task 4 (S5): spatial semantic segmentation of sound scenes"
    docker_image: str = f"s5eval/s5eval:{__version__}"
    start: str | None = None          # "YYYY-MM-DD HH:MM:SS" UTC; default: today 00:00:00
    end: str | None = None
    execution_time_limit: int = 3600  # seconds
    zip_path: str | Path | None = None


def leaderboard_columns(metric: str = "capi-sdri", subsets_spec: str | None = None) -> list[dict]:
    """Codabench columns, one per :func:`s5eval.results.files.scores_keys` key; index 0 (the primary) is the headline.

    The headline is ``--metric``'s figure on ``ranking`` with a preset, else on ``all``.
    """
    layout = scores_key_layout(metric, subsets_spec)
    ranked_on = "ranking" if any(subset == "ranking" for _, _, subset in layout) else "all"
    primary = next(key for key, figure_key, subset in layout
                   if figure_key == METRIC_KEYS[metric] and subset == ranked_on)
    ordered = sorted(layout, key=lambda item: item[0] != primary)  # stable: the rest keep their order
    columns = []
    for index, (key, figure_key, subset) in enumerate(ordered):
        shown = figure(figure_key)
        title = shown.title if subset == "all" else f"{shown.title} {subset}"
        title = (title + (f" ({shown.unit})" if shown.unit else ""))[:MAX_TITLE]
        columns.append({"title": title, "key": key, "index": index,
                        "sorting": "desc" if shown.higher_is_better else "asc",
                        "precision": shown.decimals,
                        "hidden": shown.is_count and subset != "all"})
    return columns


def _png(width: int = 96, height: int = 96) -> bytes:
    """A small PNG logo (Codabench requires an image): a blue square with a lighter band."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + (bytes((70, 130, 200)) if height // 3 <= y < 2 * height // 3
                               else bytes((30, 60, 120))) * width for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def scoring_command(config: ScoreConfig, subsets_arg: str | None = None, label_set_arg: str | None = None) -> str:
    """The command line of the scoring program in the container."""
    parts = ["s5eval", "codabench", "/app/input", "/app/output", "--metric", config.metric,
             "--selection", config.selection, "--penalty-fn", repr(float(config.penalty_fn)),
             "--penalty-fp", repr(float(config.penalty_fp)), "--bootstrap", str(config.n_resamples),
             "--seed", str(config.seed)]
    if subsets_arg:
        parts += ["--subsets", subsets_arg]
    if label_set_arg:
        parts += ["--label-set", label_set_arg]
    if config.workers:
        parts += ["--workers", str(config.workers)]
    return shlex.join(parts)


def _place(source: Path, target: Path) -> None:
    """A hard link where the file system allows it (the eval set is large), else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _pages(config: ScoreConfig, reference_digest: str, n_mixtures: int, keys: list[str], command: str,
           docker_image: str) -> dict[str, tuple[str, str]]:
    """file name -> (page title, markdown)."""
    options = (f"`--metric {config.metric}`, `--selection {config.selection}`, `--penalty-fn {config.penalty_fn:g}`, "
               f"`--penalty-fp {config.penalty_fp:g}`, `--bootstrap {config.n_resamples}`, `--seed {config.seed}`"
               + (f", `--subsets {config.subsets}`" if config.subsets else ""))
    key_list = "\n".join(f"- `{key}`" for key in keys)
    return {
        "overview.md": ("Overview", (
            "# Overview\n\nSpatial semantic segmentation of sound scenes (DCASE Task 4, S5): separate and label "
            "the target sources of each 4-channel mixture.\n\nSubmissions are scored by "
            f"s5eval {__version__} with CAPI-SDRi, the DCASE 2026 headline metric, and the "
            "mixture and source label accuracies.\n")),
        "submission.md": ("How to submit", (
            "# How to submit\n\nUpload a `.zip` of your audio package as the official `generate_waveform.sh` "
            "writes it (`<Author>_<Affil>_task4_<N>/eval_out/<mix>_<i>_<Label>.wav`), or a zip of a folder of "
            "estimate WAVs named `<mix>_<i>_<Label>.wav`.\n\nCheck it before uploading:\n\n"
            "```\ns5eval validate YOUR_SUBMISSION.zip --ref EVAL_SET\n```\n\nA submission that cannot be scored "
            "gets a page listing every problem, the error that stopped the scoring first.\n")),
        "evaluation.md": ("Evaluation", (
            "# Evaluation\n\nThe scoring program runs\n\n"
            f"```\n{command}\n```\n\nin the Docker image `{docker_image}` (with s5eval {__version__} installed). "
            f"Options: {options}.\n\n"
            "Every submission gets the same leaderboard columns, one per key of `scores.json`:\n\n"
            f"{key_list}\n\n"
            f"A figure that is undefined (an empty subset, every mixture of it excluded) is `{UNDEFINED_SCORE:g}`; "
            "`n_undefined` counts them. The detailed results of a submission show every subset and class with "
            "95 % bootstrap intervals, a legend and the provenance (version, options, digests).\n")),
        "data.md": ("Data", (
            f"# Data\n\nThe reference data holds {n_mixtures} mixtures with their oracle targets.\n\n"
            "Reference set digest (sha256 of the file names and sizes, as s5eval reports it): "
            f"`{reference_digest}`.\n")),
        "terms.md": ("Terms", (
            "# Terms\n\nOrganizers: replace this page with the terms of participation of the challenge.\n")),
    }


def write_bundle(ref: str | Path, out_dir: str | Path, config: ScoreConfig | None = None,
                 options: BundleOptions | None = None) -> Path:
    """Write a Codabench competition bundle for the reference set ``ref`` into ``out_dir``; return it.

    ``out_dir`` must be new or empty and may not lie inside ``ref`` (exit 2); a
    broken reference set is exit 3. The reference files (mixtures, targets,
    ``subsets.csv``) are hard-linked into ``reference_data/`` where possible, else
    copied. A ``--subsets`` or ``--label-set`` file travels in ``scoring_program/``.
    With ``options.zip_path`` the bundle is zipped there too, ready for upload.
    """
    import yaml

    from .io.refset import load_reference_set
    from .labels import LABEL_SETS, UnknownLabelSet, resolve_label_set
    from .scoring.aggregate import listing_digest
    from .results.subsets import PRESETS, check_subsets_spec, load_extra_subsets

    config = config or ScoreConfig()
    options = options or BundleOptions()
    out = Path(out_dir)
    check_out_dir(out, [(ref, "the reference set")], option="--out")
    if out.is_dir() and any(out.iterdir()):
        raise S5InputError([error("E_USAGE", str(out), "--out is not empty; give a new or empty folder for the "
                                                       "bundle")], exit_code=EXIT_USAGE)
    if options.zip_path is not None:
        check_out_dir(Path(options.zip_path).parent, [(ref, "the reference set")], option="--zip")
        if Path(os.path.realpath(options.zip_path)).is_relative_to(os.path.realpath(out)):
            raise S5InputError([error("E_USAGE", str(options.zip_path), "--zip may not lie inside --out")],
                               exit_code=EXIT_USAGE)
    if config.metric not in METRIC_KEYS:
        raise S5InputError([error("E_USAGE", "", f"unknown metric {config.metric!r}")], exit_code=EXIT_USAGE)
    start_at, end_at = _phase_date("--start", options.start), _phase_date("--end", options.end)
    if start_at is not None and end_at is not None and end_at <= start_at:
        raise S5InputError([error("E_USAGE", "", "--end must come after --start")], exit_code=EXIT_USAGE)
    try:
        labels = resolve_label_set(config.label_set)
    except (UnknownLabelSet, ValueError) as exc:
        raise S5InputError([error("E_LABEL_SET", str(config.label_set), str(exc))], exit_code=EXIT_USAGE) from None
    if config.subsets is not None:
        check_subsets_spec(config.subsets)
    reference = load_reference_set(ref, labels)  # exit 3 when broken
    _check_reference_headers(reference)
    load_extra_subsets(config.subsets, reference.subsets_csv, reference.names)  # a bad subsets file: exit 3 now
    files = [p for m in reference.mixtures.values() for p in [m.path, *(t.path for t in m.targets)]]
    if reference.subsets_csv is not None:
        files.append(reference.subsets_csv)

    subsets_arg = label_set_arg = None
    program_files: dict[str, Path] = {}
    if config.subsets is not None:
        if config.subsets in PRESETS:
            subsets_arg = config.subsets
        else:
            program_files["subsets.csv"] = Path(config.subsets)
            subsets_arg = "/app/program/subsets.csv"
    if config.label_set is not None:
        if config.label_set in LABEL_SETS:
            label_set_arg = config.label_set
        else:  # a file of class names (resolve_label_set read it above)
            program_files["labels.txt"] = Path(config.label_set)
            label_set_arg = "/app/program/labels.txt"
    command = scoring_command(config, subsets_arg, label_set_arg)
    keys = [key for key, _, _ in scores_key_layout(config.metric, config.subsets)]
    columns = leaderboard_columns(config.metric, config.subsets)
    digest = listing_digest(files, reference.root)
    pages = _pages(config, digest, len(reference.mixtures), keys, command, options.docker_image)
    start = options.start or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d 00:00:00")
    phase = {"index": 0, "name": "Evaluation", "description": "Score the evaluation set estimates",
             "start": start, "execution_time_limit": int(options.execution_time_limit), "tasks": [0]}
    if options.end:
        phase["end"] = options.end
    competition = {
        "version": 2,
        "title": options.title,
        "description": f"Scored with s5eval {__version__} (CAPI-SDRi and label accuracies).",
        "image": "logo.png",
        "terms": "pages/terms.md",
        "docker_image": options.docker_image,
        "enable_detailed_results": True,
        "show_detailed_results_in_submission_panel": True,
        "show_detailed_results_in_leaderboard": True,
        "make_programs_available": True,
        "make_input_data_available": False,
        "pages": [{"title": title, "file": f"pages/{name}"} for name, (title, _) in pages.items()
                  if name != "terms.md"],  # the terms have their own place
        "phases": [phase],
        "tasks": [{"index": 0, "name": "S5 evaluation", "description": "Score the separated and labelled sources",
                   "scoring_program": "scoring_program", "reference_data": "reference_data"}],
        "leaderboards": [{"title": "Results", "key": "main", "submission_rule": "Add_And_Delete_Multiple",
                          "columns": columns}],
    }
    metadata = {"command": command}
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, (_, text) in pages.items():
            (out / "pages").mkdir(exist_ok=True)
            write_text_atomic(out / "pages" / name, text, durable=False)
        (out / "logo.png").write_bytes(_png())
        program = out / "scoring_program"
        program.mkdir()
        write_text_atomic(program / "metadata.yaml",
                          f"# s5eval {__version__}: the image must have s5eval installed (docs/codabench.md)\n"
                          + yaml.safe_dump(metadata, sort_keys=False, width=1000), durable=False)
        for name, source in program_files.items():
            shutil.copy2(source, program / name)
        for path in files:
            _place(Path(path), out / "reference_data" / Path(path).relative_to(reference.root))
        (out / "reference_data").mkdir(exist_ok=True)
        write_text_atomic(out / "competition.yaml",
                          f"# Codabench competition bundle written by s5eval {__version__} (docs/codabench.md)\n"
                          + yaml.safe_dump(competition, sort_keys=False, width=1000, allow_unicode=True))
        if options.zip_path is not None:
            _zip_folder(out, Path(options.zip_path))
    except OSError as exc:
        raise write_error(exc, out) from None
    return out


def _phase_date(option: str, value: str | None) -> _dt.datetime | None:
    """``YYYY-MM-DD HH:MM:SS`` or ``YYYY-MM-DD`` (what Codabench's phases take), else a usage error."""
    if value is None:
        return None
    for form in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return _dt.datetime.strptime(value, form)
        except ValueError:
            pass
    raise S5InputError([error("E_USAGE", "", f"{option} {value!r} is not a date 'YYYY-MM-DD HH:MM:SS' (UTC)")],
                       exit_code=EXIT_USAGE)


def _check_reference_headers(reference) -> None:
    """Every mixture and target WAV header readable and complete, else :class:`ReferenceSetError` (exit 3).

    A bundle with a broken reference set would fail every submission; headers
    only, so a large evaluation set is checked in seconds.
    """
    from .findings import ReferenceSetError
    from .io.audio import AudioReadError, NotRegularAudioError, header_facts
    from .validate.audio import mixture_problem

    findings: list[Finding] = []
    for mixture in reference.mixtures.values():
        problem = mixture_problem(mixture.path_text, decode=False)
        if isinstance(problem, Finding):
            findings.append(problem)
        for target in mixture.targets:
            try:
                _, layout = header_facts(target.path_text)
            except (NotRegularAudioError, AudioReadError) as exc:
                findings.append(error("E_REF_UNREADABLE", target.path_text, str(exc)))
                continue
            if layout is not None and layout.truncated:
                findings.append(error("E_REF_TRUNCATED", target.path_text, "the target is truncated: its header "
                                      "announces more samples than the file holds"))
    if findings:
        raise ReferenceSetError(findings)


def _zip_folder(folder: Path, zip_path: Path) -> None:
    """Zip the bundle with ``competition.yaml`` at the top level (what Codabench's upload expects)."""
    import zipfile

    zip_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = zip_path.with_name(f".{zip_path.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    # WAVs hardly compress: store them, deflate the rest
                    kind = zipfile.ZIP_STORED if path.suffix.lower() == ".wav" else zipfile.ZIP_DEFLATED
                    archive.write(path, path.relative_to(folder).as_posix(), compress_type=kind)
        os.replace(tmp, zip_path)
    finally:
        tmp.unlink(missing_ok=True)
