"""The catalogue of finding codes: severity, family, meaning and fix of each.

``docs/findings.md`` is generated from this table
(``python -m s5eval.validate.codes > docs/findings.md``) and a test keeps the
two in sync, so a code is documented where it is defined.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

from ..findings import ERROR, WARNING


@dataclass(frozen=True)
class CodeInfo:
    code: str
    severity: str
    family: str
    meaning: str
    fix: str


_E, _W = ERROR, WARNING

_TABLE: tuple[tuple[str, str, str, str, str], ...] = (
    # family: input (command line and paths)
    ("E_USAGE", _E, "input", "A command-line option has a value the command cannot use.", "See `s5eval COMMAND --help`."),
    ("E_LABEL_SET", _E, "input", "`--label-set` is neither a built-in set nor a readable file of class names.",
     "Use `dcase2026t4`, `dcase2025t4` or a text file with one class name a line."),
    ("E_SUB_MISSING", _E, "input",
     "The submission path does not exist (a usage error: exit 2 when the path was given on the command line).",
     "Check the path."),
    ("E_SUB_NOT_FOLDER", _E, "input", "The submission is a file but not a `.zip`.",
     "Give the package folder, a folder of WAVs or a `.zip` of either."),
    ("E_OUT_INSIDE_INPUT", _E, "input",
     "An output folder (`--out`, `--cache`, codabench `OUTPUT`) is, or lies inside, an input: the submission, "
     "the submissions folder, the reference set or a leaderboard input. Usage error (exit 2); nothing is written.",
     "Choose an output folder outside every input (next to a `.zip` submission is fine)."),
    ("E_OUT_IS_FILE", _E, "input", "An output folder names an existing file (or lies below one). Usage error (exit 2).",
     "Give a folder; it is created when missing."),
    ("E_OUT_WRITE", _E, "input",
     "An output cannot be written: the disk is full, the folder is read-only or not writable. Exit 2; no earlier "
     "result was removed or replaced, and `score-all` stops rather than record the submission as failed.",
     "Free space or choose a writable `--out`, then run again (`score-all` resumes from its cache)."),
    ("E_TEMP_WRITE", _E, "input",
     "A `.zip` cannot be extracted because the temporary folder is full or not writable (no fault of the zip). "
     "Exit 2; `score-all` stops.",
     "Free space in the temporary folder or point `TMPDIR` at one with room."),
    ("E_SUBS_DIR", _E, "input",
     "The submissions folder of `score-all` does not exist or is not a folder. Usage error (exit 2).",
     "Check the path; it holds one folder or `.zip` per submission."),
    # family: archive
    ("E_ZIP_CORRUPT", _E, "archive", "The zip cannot be read, a member fails its CRC, or expands beyond its declared size.",
     "Re-create the zip with a standard tool (`zip -r NAME.zip NAME/`)."),
    ("E_ZIP_ABSOLUTE", _E, "archive", "A member has an absolute path (`/x`, `C:\\x`).",
     "Zip the package folder from its parent folder so paths are relative."),
    ("E_ZIP_TRAVERSAL", _E, "archive", "A member path contains `..` (or a NUL) and would land outside the extraction folder.",
     "Remove such members; paths must stay inside the package."),
    ("E_ZIP_SYMLINK", _E, "archive", "A member is a symbolic link or another special file.",
     "Zip the real files (`zip -r` without `--symlinks`)."),
    ("E_ZIP_RATIO", _E, "archive", "A member expands more than the ratio limit (default 2000×): a zip bomb.",
     "Store audio with deflate or no compression; the limit is `--max-ratio`."),
    ("E_ZIP_TOO_LARGE", _E, "archive", "The members expand to more than the size limit (default 16 GiB).",
     "Remove stray files; the limit is `--max-unzipped-bytes`."),
    ("E_ZIP_TOO_MANY", _E, "archive", "The zip holds more members than the limit (default 50,000).",
     "Remove stray files; the limit is `--max-members`."),
    ("E_ZIP_OVERLAP", _E, "archive", "Two members share compressed bytes (the overlapping-file zip bomb).",
     "Re-create the zip with a standard tool."),
    ("E_ZIP_DUPLICATE_MEMBER", _E, "archive", "The same path appears twice (also when the names differ only in case).",
     "Keep one copy of each file."),
    ("E_ZIP_ENCRYPTED", _E, "archive", "A member is password-protected.", "Upload an unencrypted zip."),
    # family: layout
    ("E_PACKAGE_NAME", _E, "layout",
     "The package name is not `<Author>_<Affil>_task4_<N>` (N in 1–4, optionally followed by `_out`).",
     "Rename the package folder (and zip), e.g. `Smith_ACME_task4_1`."),
    ("W_NOT_A_PACKAGE", _W, "layout", "The submission is a bare folder of WAVs, not a DCASE package.",
     "Fine for `score`; for upload run the official `generate_waveform.sh`, which writes `<package>/eval_out/` "
     "beside `eval_results.json` and `dev_set_test_results.json`."),
    ("E_MISSING_EVAL_RESULTS", _E, "layout",
     "A 2026 package (estimates named `<mix>_<i>_<Label>.wav`) has no `eval_results.json`.",
     "Write it next to `eval_out/` as the official `generate_waveform.py` does "
     "(schema: `schemas/eval_results.schema.json`). 2025 packages (`<mix>_<Label>.wav`) need no JSON."),
    ("W_MISSING_DEV_RESULTS", _W, "layout",
     "A 2026 package has no `dev_set_test_results.json`, so its development-set figures cannot be shown.",
     "Keep the file the official `generate_waveform.py` writes beside `eval_results.json`."),
    ("E_MISSING_META", _E, "layout", "A system folder of a submission package has no `<label>.meta.yaml`.",
     "Add the DCASE meta file named after the system (schema: `schemas/meta.schema.json`). "
     "An audio package needs none: the meta YAML travels in the submission package."),
    ("E_META_FILENAME", _E, "layout", "A `*.meta.yaml` file is named after something other than the package.",
     "Rename it to `<package name>.meta.yaml`."),
    ("W_STRAY_FILE", _W, "layout", "A file at the package top level that the package layout does not define.",
     "Remove it unless the organizers asked for it."),
    ("W_JUNK_FILE", _W, "layout", "An operating-system file (`.DS_Store`, `Thumbs.db`, `._*`, `__MACOSX/`).",
     "Remove it; it is ignored."),
    ("E_NESTED_FILES", _E, "layout", "A folder inside `eval_out/`: estimates must lie directly in `eval_out/`.",
     "Move the WAVs up into `eval_out/` and remove the folder."),
    ("E_NOT_WAV", _E, "layout", "A file in `eval_out/` that is not a `.wav`.", "Remove it or convert it to WAV."),
    ("E_LINK_OUTSIDE", _E, "layout",
     "A symbolic link (an estimate, `eval_out/` itself or a top-level file) whose target lies outside the "
     "submission, e.g. in the reference set. It is not read.",
     "Copy the real files into the submission (`cp -L`) instead of linking to them."),
    ("W_LINK", _W, "layout", "A symbolic link whose target stays inside the submission; it is followed.",
     "Prefer real files: zips refuse links (`zip -r` without `--symlinks` stores the files)."),
    ("E_NOT_REGULAR_FILE", _E, "layout",
     "An entry of `eval_out/` (or of the package top level) that is not a regular file (a FIFO, socket or device), "
     "e.g. named like an estimate. It is never opened.",
     "Replace it with the WAV file it stands for."),
    ("E_NO_ESTIMATES", _E, "layout", "The submission holds no estimate WAV at all.",
     "Check that the WAVs are in `eval_out/` (package) or in the folder given (bare)."),
    # family: names
    ("E_BAD_NAME", _E, "names", "A filename follows neither `<mix>_<i>_<Label>.wav` (2026) nor `<mix>_<Label>.wav` (2025).",
     "Rename the file to one of the two forms."),
    ("E_UNKNOWN_LABEL", _E, "names", "A filename ends in a label that is not a class of the label set (names are case-sensitive).",
     "Use the exact class name, e.g. `FootSteps`, or `silence` for an empty slot."),
    ("E_UNKNOWN_SOUNDSCAPE", _E, "names", "A filename names a soundscape that is not in the reference set (exact match).",
     "Use the soundscape name exactly as in `soundscape/`, e.g. `eval_0007`."),
    ("E_AMBIGUOUS_NAME", _E, "names", "A filename reads as a 2025 name of one soundscape and a 2026 name of another.",
     "Use the 2026 form `<mix>_<i>_<Label>.wav` throughout."),
    ("W_SHARED_OUTPUT_INDEX", _W, "names",
     "Two estimates of a soundscape share the output index `<mix>_<i>_…` (with different labels).",
     "Both are scored, as the official scorer scores them; number the outputs without repeats to be safe."),
    ("E_DUPLICATE_FILE", _E, "names", "Two filenames differ only in letter case: they collide on Windows and macOS.",
     "Keep one of them."),
    ("W_MIXED_FORMS", _W, "names", "The package mixes the 2025 and the 2026 filename forms.",
     "Both are scored; prefer the 2026 form `<mix>_<i>_<Label>.wav`."),
    ("W_TOO_MANY_ESTIMATES", _W, "names", "A soundscape has more estimates than the limit (default 3, the most targets a mixture holds).",
     "Each estimate beyond the true sources counts as a false positive; the limit is `--max-estimates`."),
    # family: audio
    ("E_UNREADABLE", _E, "audio",
     "The WAV cannot be opened or decoded (also a link that leads nowhere, or a folder that cannot be listed).",
     "Write it again with a standard tool (soundfile, sox)."),
    ("E_TRUNCATED", _E, "audio", "The WAV holds fewer bytes than its header announces (an interrupted copy).",
     "Copy or write the file again."),
    ("E_EMPTY_AUDIO", _E, "audio", "The WAV holds no samples.", "Write the estimate with the mixture's length."),
    ("E_CHANNELS", _E, "audio", "An estimate is not mono.", "Write one channel per estimate file."),
    ("E_SAMPLE_RATE", _E, "audio", "The sample rate differs from the mixture's (or from `--rate`, default 32 kHz, without `--ref`).",
     "Resample to the mixture's rate (32 kHz in DCASE)."),
    ("E_LENGTH", _E, "audio", "The length in samples differs from the mixture's.",
     "Pad or trim to exactly the mixture's length (320,000 samples for 10 s at 32 kHz)."),
    ("E_LENGTH_MISMATCH", _E, "audio", "Without `--ref`: estimates of one soundscape have different lengths.",
     "Write every estimate with its mixture's length."),
    ("W_LENGTH_UNCOMMON", _W, "audio", "Without `--ref`: a length that differs from the most common length in the package.",
     "Check the file against its mixture with `--ref`."),
    ("E_NONFINITE", _E, "audio",
     "The estimate holds NaN or infinite samples, or finite samples so large (about 1e18 and more) that its "
     "float32 SDR overflows to ±inf or NaN, as in the official code.",
     "Fix the system output (e.g. a division by zero, a missing normalisation); `score --force` scores the other "
     "mixtures."),
    ("W_SILENT_ESTIMATE", _W, "audio", "The estimate is all zeros (it is scored as it is).",
     "Label an empty output `silence`, or leave it out."),
    ("W_CLIPPING", _W, "audio", "At least 0.1 % of the samples are at full scale: the estimate is clipped.",
     "Scale the output down before writing integer PCM."),
    # family: reference coverage
    ("W_UNCOVERED_SOUNDSCAPES", _W, "coverage",
     "With `--ref`: more than half of the reference soundscapes have no estimate file (a partial upload?).",
     "A soundscape without estimates is legal (nothing predicted), but check that no file went missing."),
    # family: eval_results.json and dev_set_test_results.json
    ("E_JSON_SYNTAX", _E, "results",
     "A JSON file is not valid JSON (also NaN/Infinity, a number beyond a double, an integer of more than 4300 "
     "digits, bad encoding, not a regular file, or nesting deeper than 64 levels).",
     "Write it with `json.dump`; the message gives line and column."),
    ("E_JSON_DUPLICATE_KEY", _E, "results", "A JSON object repeats a key.", "Keep one value per key."),
    ("E_JSON_TOO_LARGE", _E, "results", "A JSON file is larger than 256 MiB.", "Remove unrelated content."),
    ("E_RESULTS_SCHEMA", _E, "results", "`eval_results.json` does not follow its schema.",
     "Follow `schemas/eval_results.schema.json`; the message names the path inside the file."),
    ("E_NPARAMS", _E, "results", "`nparams` is missing or not a non-negative integer.", "Give the parameter count as an integer."),
    ("E_PROBABILITY", _E, "results", "A `probability` is not a number in [0, 1].", "Give label probabilities in [0, 1]."),
    ("E_RESULTS_MISSING_FILE", _E, "results", "`eval_results.json` lists a file that is not in `eval_out/`.",
     "Add the file or remove the entry."),
    ("E_RESULTS_UNLISTED_FILE", _E, "results", "A WAV in `eval_out/` is not listed in `eval_results.json`.",
     "List every estimate file once."),
    ("E_RESULTS_DUPLICATE_ENTRY", _E, "results", "A file is listed more than once.", "List every estimate file once."),
    ("E_RESULTS_DUPLICATE_SOUNDSCAPE", _E, "results", "A soundscape has more than one entry.", "Merge its entries."),
    ("E_RESULTS_LABEL_MISMATCH", _E, "results", "The listed label differs from the label in the filename.",
     "Make the `label` equal to the filename's label."),
    ("E_RESULTS_SOUNDSCAPE_MISMATCH", _E, "results", "A file is listed under a soundscape other than the one its name gives.",
     "List the file under its own soundscape."),
    ("E_RESULTS_UNKNOWN_SOUNDSCAPE", _E, "results", "With `--ref`: an entry names a soundscape that is not in the reference set.",
     "Use the soundscape names of the evaluation set."),
    ("W_RESULTS_MISSING_SOUNDSCAPE", _W, "results", "With `--ref`: reference soundscapes without an entry.",
     "Give every soundscape an entry, with an empty `estimate` list when nothing was found."),
    ("E_DEV_RESULTS_SCHEMA", _E, "results",
     "`dev_set_test_results.json` does not follow the layout the official `Evaluator` writes.",
     "Keep the file exactly as the official `generate_waveform.py` wrote it "
     "(`CAPI-SDRi`, `label_metrics`, `nparams`, `details`, `config`; schema: "
     "`schemas/dev_set_test_results.schema.json`)."),
    ("E_DEV_RESULTS_DUPLICATE_SOUNDSCAPE", _E, "results",
     "`dev_set_test_results.json` has more than one `details` entry for a soundscape.",
     "Evaluate every development test soundscape once (the official script checks this too)."),
    ("E_DEV_RESULTS_LABEL", _E, "results",
     "A `ref_labels`/`est_labels` entry of `dev_set_test_results.json` is not a class of the label set nor `silence`.",
     "Evaluate with the official label set (`dcase2026t4`)."),
    ("W_DEV_RESULTS_SUMMARY", _W, "results",
     "The summary of `dev_set_test_results.json` differs from what its `details` give.",
     "Do not edit the file by hand; re-run the official evaluation. The message gives both numbers."),
    ("W_DEV_RESULTS_DETAIL", _W, "results",
     "A `label_metrics` value (acc, tp, fp, fn) of `details` disagrees with its `ref_labels` and `est_labels`.",
     "Do not edit the file by hand; re-run the official evaluation."),
    ("W_DEV_RESULTS_COVERAGE", _W, "results",
     "With `--dev-ref`: `details` does not cover exactly the soundscapes of the development test set.",
     "Evaluate on the whole `dev_set/synthesized/test` set, as `generate_waveform.py` does."),
    ("W_NPARAMS_MISMATCH", _W, "results", "`nparams` differs from the meta YAML's `system.complexity.total_parameters`.",
     "Give the same parameter count in both files."),
    # family: meta YAML
    ("E_YAML_SYNTAX", _E, "meta",
     "The meta YAML cannot be parsed (also bad encoding, unsafe tags, an integer of more than 4300 digits, "
     "or nesting deeper than 64 levels, aliases followed).",
     "Fix the YAML; the message gives line and column. Only plain YAML is read (safe loader)."),
    ("E_YAML_ALIASES", _E, "meta",
     "The meta YAML uses more than 100 aliases, expands to more than 200,000 values once its aliases are followed, "
     "or has an alias inside its own anchor (billion-laughs patterns).",
     "Write the values out; the meta file needs no aliases."),
    ("E_YAML_TOO_LARGE", _E, "meta", "The meta YAML is larger than 1 MiB.", "Remove unrelated content."),
    ("E_YAML_DUPLICATE_KEY", _E, "meta", "A mapping of the meta YAML repeats a key (the safe loader would keep "
     "only the last value).", "Keep one value per key."),
    ("E_META_SCHEMA", _E, "meta", "The meta YAML does not follow the DCASE submission meta layout.",
     "Follow `schemas/meta.schema.json`; the message names the key."),
    ("E_META_LABEL", _E, "meta", "`submission.label` differs from the package name.", "Set it to the package name."),
    ("E_META_ABBREVIATION", _E, "meta", "`submission.abbreviation` is longer than 10 characters (or missing).",
     "Shorten it to at most 10 characters."),
    ("E_META_CORRESPONDING", _E, "meta", "Not exactly one author has `corresponding: true`.",
     "Mark exactly one author as corresponding."),
    ("E_META_PARAMETERS", _E, "meta", "`system.complexity.total_parameters` is not a non-negative integer.",
     "Give the parameter count as an integer."),
    # family: submission package (meta YAMLs, technical report, audio URL file)
    ("E_SUBPKG_NO_SYSTEMS", _E, "submission", "The submission package holds no system folder.",
     "Add one folder `<Author>_<Affil>_task4_<N>/` per system, each with its `<label>.meta.yaml`."),
    ("E_SUBPKG_TOO_MANY_SYSTEMS", _E, "submission", "The submission package holds more than 4 system folders.",
     "Submit at most 4 systems (`..._task4_1` to `..._task4_4`)."),
    ("E_SUBPKG_SYSTEM_NAME", _E, "submission",
     "A system folder is not named `<Author>_<Affil>_task4_<N>` (N in 1–4), or names another team than "
     "the technical report and audio URL file.",
     "Name each system folder after its label, with the `<Author>_<Affil>` of the report, e.g. `Smith_ACME_task4_1`."),
    ("E_SUBPKG_FILE_NAME", _E, "submission",
     "The technical report or audio URL file is not named `<Author>_<Affil>_task4.…`, or the two name different teams.",
     "Name them `<Author>_<Affil>_task4.technical_report.pdf` and `<Author>_<Affil>_task4.audio_url.txt`."),
    ("E_SUBPKG_REPORT_MISSING", _E, "submission", "The submission package has no `*.technical_report.pdf`.",
     "Add the technical report as `<Author>_<Affil>_task4.technical_report.pdf`."),
    ("E_SUBPKG_REPORT_NOT_PDF", _E, "submission", "The technical report is not a PDF (it does not start with `%PDF-`).",
     "Export the report as PDF."),
    ("E_SUBPKG_AUDIO_URL_MISSING", _E, "submission", "The submission package has no `*.audio_url.txt`.",
     "Add `<Author>_<Affil>_task4.audio_url.txt` with the URL of each audio zip."),
    ("E_SUBPKG_AUDIO_URL", _E, "submission",
     "The audio URL file holds no URL, a line that is not an http(s) URL, or is not UTF-8 text.",
     "Write one http(s) URL of an audio zip a line; blank lines and lines starting with `#` are allowed."),
    ("W_SUBPKG_STRAY", _W, "submission",
     "A file or folder the submission package layout does not define (also a second report or URL file).",
     "Remove it; only the report, the URL file and the system folders with their meta YAML are read."),
    ("W_SUBPKG_NOT_A_PACKAGE", _W, "submission",
     "`score-all --meta`: an entry of the folder is not a submission package; it is skipped.",
     "Point `--meta` at a submission package or a folder holding only submission packages (folders or zips)."),
    ("W_SUBPKG_DUPLICATE_LABEL", _W, "submission",
     "`score-all --meta`: two submission packages hold a meta YAML for the same system label; the first is kept.",
     "Keep each team's latest submission package only."),
    # family: reference set (exit code 3)
    ("E_REF_MISSING", _E, "reference",
     "The reference set folder does not exist or is not a folder (`score`, `validate`, `score-all`, `compare` and "
     "`explain` check the command line first and exit 2).", "Check `--ref`."),
    ("E_REF_LAYOUT", _E, "reference", "No `soundscape/` folder under `--ref`, nor a DCASE dataset layout.",
     "Point `--ref` at the folder holding `soundscape/` and `oracle_target/`."),
    ("E_REF_AMBIGUOUS", _E, "reference", "Several reference sets found under `--ref`.", "Point `--ref` at one of them."),
    ("E_REF_EMPTY", _E, "reference", "`soundscape/` holds no WAV.", "Check the reference set."),
    ("E_REF_NO_TARGETS", _E, "reference",
     "`score` was given a set without `oracle_target/` (an evaluation set as participants get it).",
     "Such a set serves `s5eval validate --ref`; scoring needs the set with its references."),
    ("E_REF_NAME_ENCODING", _E, "reference",
     "A file name in `soundscape/` or `oracle_target/` is not valid UTF-8 text, so results could not name it.",
     "Rename the file (soundscape names are ASCII in DCASE)."),
    ("E_REF_TARGET_NAME", _E, "reference", "A target filename does not parse against the soundscapes and labels.",
     "Check the reference set and `--label-set`."),
    ("E_REF_UNREADABLE", _E, "reference",
     "A mixture or target WAV cannot be read (also a link that leads nowhere, or a folder that cannot be listed).",
     "Check the reference set files."),
    ("E_REF_NOT_REGULAR_FILE", _E, "reference",
     "A `.wav` entry of `soundscape/` or `oracle_target/` is not a regular file (a FIFO, socket or device). "
     "It is never opened.", "Check the reference set files."),
    ("E_REF_TRUNCATED", _E, "reference",
     "A mixture or target holds fewer samples than its header announces (an interrupted copy). Its estimates "
     "are not blamed for their length.", "Copy the reference set again."),
    ("E_REF_EMPTY_AUDIO", _E, "reference", "A mixture holds no samples.", "Check the reference set files."),
    ("E_REF_CHANNELS", _E, "reference", "A target is not mono.", "Check the reference set files."),
    ("E_REF_SAMPLE_RATE", _E, "reference", "A target's rate differs from its mixture's.", "Check the reference set files."),
    ("E_REF_LENGTH", _E, "reference", "A target's length differs from its mixture's.", "Check the reference set files."),
    ("E_REF_NONFINITE", _E, "reference", "A mixture (channel 0, the one scored) or a target holds NaN or "
     "infinite samples.", "Check the reference set files."),
    ("E_SUBSETS_HEADER", _E, "reference", "`subsets.csv` lacks the columns `soundscape` and `subset`.",
     "Follow `schemas/subsets_row.schema.json`."),
    ("E_SUBSETS_UNREADABLE", _E, "reference", "`subsets.csv` cannot be read.", "Check the file's encoding (UTF-8)."),
    ("E_SUBSETS_UNKNOWN_SOUNDSCAPE", _E, "reference", "`subsets.csv` names soundscapes not in the reference set.",
     "Fix the names or the reference set."),
    ("E_SUBSETS_ROW", _E, "reference",
     "A row of `subsets.csv` (or of the `--subsets` file) is malformed: an unbalanced quote, a missing soundscape or "
     "subset cell, more cells than the header, an empty name, a quote or control character in a name, or a "
     "repeated row. The message names the line.",
     "Write one `soundscape,subset` pair a line, each pair once."),
    ("E_SUBSETS_RESERVED", _E, "reference",
     "A subsets file defines `all` or an automatic subset (`zero_target`, `single`, `distinct`, `duplicate`, "
     "`nodup`, `n_ref=K`), in any letter case: it would replace the headline or a computed subset.",
     "Rename the subset; the automatic subsets are always reported."),
    ("E_SUBSETS_CONFLICT", _E, "reference",
     "`--subsets` defines a subset that the reference set's `subsets.csv` also defines, with other soundscapes "
     "(e.g. `ranking` of a preset).",
     "Drop `--subsets` or rename the subset in one of the files."),
    # family: scoring
    ("E_NOTHING_SCORED", _E, "scoring", "No mixture could be scored.", "Fix the errors listed with it."),
    ("E_INTERNAL", _E, "scoring",
     "Scoring a submission failed with an unexpected error (a fault of s5eval, not of the submission): "
     "`score-all` records the submission as failed and goes on; the Codabench program writes the error on its page.",
     "Report it with the message; the other submissions are not affected."),
    ("E_WORKER_LOST", _E, "scoring",
     "A scoring process ended without reporting back, and so did one of the fresh processes that scored the "
     "rest again by reading the files (the first loss is recovered from: a file cut short while a worker had "
     "it mapped becomes the finding a read gives): the system killed it (most often because memory ran out) "
     "or a signal did. The run stops without results; nothing is written.",
     "Run again, with fewer `--workers` if memory is short. Changing or deleting files while they are being "
     "scored can also end a process."),
    # family: organizer runs (score-all, leaderboard, compare, explain)
    ("E_DUPLICATE_LABEL", _E, "runs",
     "Two submissions of a `score-all` folder (e.g. `X/` and `X.zip`, or `X` and `X_out`) have the same label; "
     "the second is recorded as failed. For `leaderboard`: several inputs are the same system (exit 2).",
     "Keep one submission per system label; give the leaderboard each system once."),
    ("E_DASK_MISSING", _E, "runs", "`score-all --scheduler` needs the `distributed` package, which is not installed "
     "(exit 2).", "`pip install \"s5eval[dask]\"`, or score without `--scheduler`."),
    ("E_DASK_CONNECT", _E, "runs", "The Dask scheduler given with `--scheduler` cannot be reached (exit 2).",
     "Check the address (`tcp://host:8786`) and that the scheduler runs."),
    ("E_NO_RESULTS", _E, "runs", "`leaderboard`: no input holds results (a `results.json`, a score output or a "
     "`score-all` folder); each skipped input is named.", "Point it at the output of `score` or `score-all`."),
    ("E_PER_MIXTURE", _E, "runs", "`compare`: the `per_mixture.csv` of a score output is unreadable or lacks columns.",
     "Score the submission again (`s5eval score`), or give the submission and `--ref`."),
    ("E_NO_COMMON_MIXTURES", _E, "runs", "`compare`: the two sides share no scored mixture.",
     "Score both on the same reference set."),
    ("E_UNKNOWN_MIXTURE", _E, "runs", "`explain`: no soundscape of that name in the reference set (exit 2); "
     "close names are suggested.", "Use a soundscape name of `soundscape/`, e.g. `eval_0007`."),
    ("E_REPORT_LIMIT", _E, "runs", "`score --report N`: N is not between 1 and 100 (the report holds the N worst and "
     "the N best mixtures, about 0.2–0.6 MB each). Usage error (exit 2); nothing is scored.",
     "Give N from 1 to 100; `s5eval explain SUB --ref REF MIX --html DIR` reports any single mixture."),
    ("E_REPORT_DEPENDENCY", _E, "runs", "`score --report`/`explain --html`: matplotlib (with Pillow), which draws the "
     "spectrograms, is not installed (exit 2).", "`pip install \"s5eval[report]\"`."),
    ("E_REPORT_DIR", _E, "runs", "`score --report`/`explain --html`: the report folder is an existing file, or a "
     "folder that holds files and is not an earlier report; it would be replaced (exit 2).",
     "Choose a new or empty folder (an earlier report's folder is replaced as a whole)."),
    # family: synthesizer, demo and calibration submissions
    ("E_SYNTH_OPTIONS", _E, "tools", "`synth`: the mixing options contradict each other (e.g. rates above 1 "
     "together). Usage error (exit 2).", "Follow the message; see `s5eval synth --help`."),
    ("E_SYNTH_OUTPUT_EXISTS", _E, "tools", "`synth`: the output folder already holds a reference set (`soundscape/`, `oracle_target/`, "
     "...). Exit 2.",
     "Choose another folder or pass `--overwrite`."),
    ("E_SYNTH_DEPENDENCY", _E, "tools", "`synth`/`demo`: a package the synthesizer needs (pyroomacoustics, "
     "sofar) is not installed (exit 2).", "`pip install \"s5eval[synth]\"`."),
    ("E_SYNTH_SOURCE_DIR", _E, "tools", "`synth --source-dir`: the folder is not a usable DCASE development set "
     "(no `sound_event/`, a class without audio, unreadable `room_ir/`). Exit 2.",
     "Point it at the dev set folder holding `sound_event/` (and optionally `interference/`, `noise/`, `room_ir/`)."),
    ("E_SYNTH_WRITE", _E, "tools", "`synth`: the reference set cannot be written (disk full, read-only). Exit 2.",
     "Free space or choose a writable folder."),
    ("E_DEMO_WRITE", _E, "tools", "`demo`: the demo folder cannot be written (exit 2).",
     "Free space or choose a writable folder."),
    ("E_REFERENCE_WRITE", _E, "tools", "`reference`: the calibration submission cannot be written (exit 2).",
     "Free space or choose a writable `--out`."),
    # family: baseline
    ("E_BASELINE_TORCH", _E, "baseline", "`baseline`: PyTorch is not installed (exit 2).",
     "`pip install \"s5eval[baseline]\"`."),
    ("E_BASELINE_CONFIG", _E, "baseline", "`baseline train`: the config is neither a bundled name nor a readable, "
     "valid YAML file (exit 2).", "Use `tiny`, `dcase` or a YAML file; the message names the key."),
    ("E_BASELINE_DEVICE", _E, "baseline", "`baseline`: the device cannot be used (e.g. `--device cuda` without a GPU). "
     "Exit 2.", "Choose an available device (`cpu`)."),
    ("E_BASELINE_CKPT", _E, "baseline", "`baseline infer`: a checkpoint is missing, cannot be loaded, is not the "
     "network's parameters, or the official system lacks `--tagger-ckpt` (exit 2).",
     "Give the checkpoint files as trained or published; the message says which."),
    ("E_BASELINE_CKPT_UNTRUSTED", _E, "baseline", "`baseline infer`: a checkpoint holds more than tensors and "
     "plain values, so it is not loaded with `weights_only` (exit 2).",
     "Pass `--trust-checkpoint` only if you trust where the file comes from."),
    ("E_BASELINE_ORACLE", _E, "baseline", "`baseline infer --oracle-labels`: the set has no `oracle_target/`, or a "
     "mixture has more targets than the separator has output tracks (exit 2).",
     "Use a set with references and at most as many targets a mixture as output tracks."),
    ("E_AUDIO_READ", _E, "baseline", "`baseline infer`: a mixture WAV cannot be read.",
     "Check the reference set files."),
    ("E_BASELINE_INPUT", _E, "baseline", "`baseline infer`: a mixture's channels or sample rate are not what the "
     "model expects.", "Use 4-channel FOA mixtures at the model's rate (32 kHz in DCASE)."),
    ("E_BASELINE_OUTPUT", _E, "baseline", "`baseline infer`: the separator returned another length than its mixture's.",
     "A fault of the model or its checkpoint; check the separator's configuration."),
)

CATALOGUE: dict[str, CodeInfo] = {row[0]: CodeInfo(*row) for row in _TABLE}
FAMILY_TITLES = {
    "input": "Command line and paths",
    "archive": "Zip archives",
    "layout": "Package layout",
    "names": "Estimate filenames",
    "audio": "Estimate audio",
    "coverage": "Coverage of the reference set",
    "results": "eval_results.json and dev_set_test_results.json",
    "submission": "Submission package (meta YAMLs, technical report, audio URL file)",
    "meta": "Meta YAML (<label>.meta.yaml)",
    "reference": "Reference set (exit code 3)",
    "scoring": "Scoring",
    "runs": "Organizer runs (score-all, leaderboard, compare, explain)",
    "tools": "Synthesizer, demo and calibration submissions (synth, demo, reference)",
    "baseline": "Baseline (s5eval baseline train and infer)",
}


def family_of(code: str) -> str:
    """The family of a code ('other' for codes defined outside this catalogue)."""
    info = CATALOGUE.get(code)
    return info.family if info else "other"


def render_markdown() -> str:
    """``docs/findings.md``: every code with its severity, meaning and fix, by family."""
    lines = [
        "# Findings: codes, severities, meanings and fixes",
        "",
        "Every problem `s5eval` finds in a submission or a reference set is a *finding*",
        "`{code, severity, file, message}`. Codes are stable: `E_…` are errors, `W_…` warnings.",
        "`s5eval validate` exits 0 without errors (warnings allowed; `--strict` turns warnings into",
        "errors), 1 when the submission is invalid, 2 on a usage error, 3 when the reference set has a problem.",
        "`s5eval score` refuses a submission with errors unless `--force`.",
        "",
        "Generated from `s5eval/validate/codes.py` (`python -m s5eval.validate.codes > docs/findings.md`).",
        "",
    ]
    for family, title in FAMILY_TITLES.items():
        rows = [c for c in CATALOGUE.values() if c.family == family]
        lines += [f"## {title}", "", "| code | severity | meaning | fix |", "|---|---|---|---|"]
        for c in rows:
            cells = [f"`{c.code}`", c.severity, c.meaning, c.fix]
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - documentation generator
    sys.stdout.write(render_markdown())
