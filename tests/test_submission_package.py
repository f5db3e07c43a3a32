"""The DCASE submission package (meta YAMLs, technical report, audio URL file): detection, checks, score-all --meta."""
from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from s5eval.calibration.writer import write_reference_submission
from s5eval.cli import cli
from s5eval.io.package import zip_package
from s5eval.io.submission_package import find_submission_package
from s5eval.validate.submission_package import load_meta_by_label
from s5eval.scoring.config import ScoreConfig
from s5eval.results.store import PACKAGE_INFO
from s5eval.scoring.batch import score_all
from s5eval.validate import ValidateOptions, validate_submission
from s5eval.validate.codes import CATALOGUE
from s5fixtures import make_case

SAMPLE_META = (Path(__file__).resolve().parent.parent / "sample_submissions" / "valid" / "Smith_ACME_task4_1"
               / "Smith_ACME_task4_1.meta.yaml")
TEAM = "Nguyen_NTT"
def tiny_pdf() -> bytes:
    """The smallest well-formed PDF: catalog, one empty page, a cross-reference table with the true offsets."""
    objects = [b"<</Type /Catalog /Pages 2 0 R>>", b"<</Type /Pages /Kids [3 0 R] /Count 1>>",
               b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]>>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d /Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


TINY_PDF = tiny_pdf()


def meta_for(label: str, number: int) -> dict:
    """The valid sample meta YAML with the label (and, to tell systems apart, name and abbreviation) changed."""
    meta = yaml.safe_load(SAMPLE_META.read_text())
    meta["submission"].update(label=label, name=f"NTT separator {number}", abbreviation=f"NTT-{number}")
    return meta


def write_package(parent: Path, top: str | None = "task4", team: str = TEAM, systems=(1, 2)) -> Path:
    """A submission package as a team uploads it; returns the folder holding the report (``parent/top``)."""
    root = parent / top if top else parent
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{team}_task4.technical_report.pdf").write_bytes(TINY_PDF)
    (root / f"{team}_task4.audio_url.txt").write_text(
        "# audio packages\n" + "".join(f"https://zenodo.org/records/1/files/{team}_task4_{n}.zip\n" for n in systems)
        + "\n")
    for n in systems:
        label = f"{team}_task4_{n}"
        (root / label).mkdir()
        (root / label / f"{label}.meta.yaml").write_text(yaml.safe_dump(meta_for(label, n), sort_keys=False))
    return root


def zip_folder(folder: Path, target: Path, with_top: bool = True) -> Path:
    """Zip as ``zip -r task4.zip task4`` does (folder entries, one top folder), or the contents without it."""
    base = folder.parent if with_top else folder
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in [folder, *sorted(folder.rglob("*"))]:
            name = path.relative_to(base).as_posix()
            if name == ".":
                continue
            if path.is_dir():
                archive.write(path, name + "/")
            else:
                archive.write(path, name)
    return target


def validate(path: Path):
    return validate_submission(path, options=ValidateOptions(workers=1))


def codes(path: Path) -> set[str]:
    return {f.code for f in validate(path).findings}


@pytest.fixture()
def package(tmp_path) -> Path:
    return write_package(tmp_path / "upload")


# --- valid packages in every form ---------------------------------------------------------------------


@pytest.mark.parametrize("form", ["folder", "top-folder", "flat", "zip", "zip-flat"])
def test_valid_package_validates_clean_in_every_form(tmp_path, form):
    root = write_package(tmp_path / "made", top=None if form in ("flat", "zip-flat") else "task4")
    given = {"folder": root, "top-folder": root.parent, "flat": root,
             "zip": zip_folder(root, tmp_path / "task4.zip") if form == "zip" else None,
             "zip-flat": zip_folder(root, tmp_path / "Nguyen.zip", with_top=False) if form == "zip-flat" else None}[form]
    result = CliRunner().invoke(cli, ["validate", str(given), "--strict", "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert "submission package: 2 systems checked" in result.output
    summary = json.loads((tmp_path / "r.json").read_text())["summary"]
    assert summary["n_systems"] == 2 and summary["n_estimates"] == 0 and summary["by_code"] == {}


def test_detection(tmp_path, package):
    found = find_submission_package(package)
    assert found is not None and found.team == TEAM and found.labels == [f"{TEAM}_task4_1", f"{TEAM}_task4_2"]
    assert found.report.name == f"{TEAM}_task4.technical_report.pdf" and found.stray == []
    assert all(s.meta is not None for s in found.systems)
    outer = find_submission_package(package.parent)  # one top folder: looked into
    assert outer is not None and outer.root == package and outer.base == package.parent
    # an audio package is no submission package, nor is a bare folder of WAVs or one system folder alone
    audio = tmp_path / "Nguyen_NTT_task4_1"
    (audio / "eval_out").mkdir(parents=True)
    (audio / "Nguyen_NTT_task4_1.meta.yaml").write_text("x: 1\n")
    (audio / "x.technical_report.pdf").write_bytes(TINY_PDF)
    assert find_submission_package(audio) is None
    assert find_submission_package(tmp_path) is None  # a folder of audio packages
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "mix_0_0_Speech.wav").write_bytes(b"")
    assert find_submission_package(bare) is None
    assert find_submission_package(package / f"{TEAM}_task4_1") is None
    lone = tmp_path / "lone"
    shutil.copytree(package / f"{TEAM}_task4_1", lone / f"{TEAM}_task4_1")
    assert find_submission_package(lone) is not None  # a system folder with its meta YAML makes one


def test_audio_package_still_validates_as_before(tmp_path):
    sample = Path(__file__).resolve().parent.parent / "sample_submissions" / "valid" / "Smith_ACME_task4_1"
    report = validate(sample)
    assert report.n_systems is None and report.n_estimates > 0


def test_findings_name_files_below_what_the_user_gave(tmp_path, package):
    (package / f"{TEAM}_task4.technical_report.pdf").write_bytes(b"not a pdf")
    archive = zip_folder(package, tmp_path / "task4.zip")
    report = validate(archive)
    assert [f.file for f in report.findings] == [f"{archive}/{TEAM}_task4.technical_report.pdf"]
    report = validate(package.parent)
    assert [f.file for f in report.findings] == [f"{package.parent}/task4/{TEAM}_task4.technical_report.pdf"]


# --- one test per code --------------------------------------------------------------------------------


def test_no_systems(package):
    for n in (1, 2):
        shutil.rmtree(package / f"{TEAM}_task4_{n}")
    assert codes(package) == {"E_SUBPKG_NO_SYSTEMS"}
    assert validate(package).exit_code == 1


def test_too_many_systems(tmp_path):
    root = write_package(tmp_path / "up", systems=(1, 2, 3, 4))
    extra = root / "Nguyen_NTT_task4_5"
    shutil.copytree(root / f"{TEAM}_task4_1", extra)
    assert codes(root) == {"E_SUBPKG_TOO_MANY_SYSTEMS", "E_SUBPKG_SYSTEM_NAME", "E_META_FILENAME", "E_META_LABEL"}


def test_system_name_not_a_label(package):
    (package / f"{TEAM}_task4_2").rename(package / "system_two")
    found = validate(package).findings
    assert {f.code for f in found} == {"E_SUBPKG_SYSTEM_NAME", "E_META_FILENAME", "E_META_LABEL"}
    assert any(f.code == "E_SUBPKG_SYSTEM_NAME" and f.file.endswith("/system_two") for f in found)


def test_system_name_of_another_team(package):
    old = package / f"{TEAM}_task4_2"
    label = "Smith_ACME_task4_2"
    old.rename(package / label)
    (package / label / f"{TEAM}_task4_2.meta.yaml").unlink()
    (package / label / f"{label}.meta.yaml").write_text(yaml.safe_dump(meta_for(label, 2)))
    found = validate(package).findings
    assert [f.code for f in found] == ["E_SUBPKG_SYSTEM_NAME"] and "'Smith_ACME'" in found[0].message


def test_report_and_url_file_names(package):
    (package / f"{TEAM}_task4.audio_url.txt").rename(package / "Other_Lab_task4.audio_url.txt")
    found = validate(package).findings
    assert [f.code for f in found] == ["E_SUBPKG_FILE_NAME"] and "different teams" in found[0].message
    (package / f"{TEAM}_task4.technical_report.pdf").rename(package / "report.technical_report.pdf")
    assert codes(package) == {"E_SUBPKG_FILE_NAME", "E_SUBPKG_SYSTEM_NAME"}  # team now from the URL file


def test_report_missing(package):
    (package / f"{TEAM}_task4.technical_report.pdf").unlink()
    assert codes(package) == {"E_SUBPKG_REPORT_MISSING"}


@pytest.mark.parametrize("content", [b"", b"<html>not a pdf</html>", b"%PDF"])
def test_report_not_pdf(package, content):
    (package / f"{TEAM}_task4.technical_report.pdf").write_bytes(content)
    assert codes(package) == {"E_SUBPKG_REPORT_NOT_PDF"}


def test_audio_url_file_missing(package):
    (package / f"{TEAM}_task4.audio_url.txt").unlink()
    assert codes(package) == {"E_SUBPKG_AUDIO_URL_MISSING"}


@pytest.mark.parametrize("text, n_findings", [
    ("", 1), ("# nothing yet\n\n", 1), ("ftp://host/x.zip\n", 1), ("zenodo.org/records/1\n", 1),
    ("https://host/a.zip\nsee the report\nhttps:///nohost.zip\n", 2), ("https://host/a b.zip\n", 1)])
def test_audio_url_content(package, text, n_findings):
    (package / f"{TEAM}_task4.audio_url.txt").write_text(text)
    found = validate(package).findings
    assert {f.code for f in found} == {"E_SUBPKG_AUDIO_URL"} and len(found) == n_findings


def test_audio_url_file_may_have_comments_blank_lines_bom_and_crlf(package):
    (package / f"{TEAM}_task4.audio_url.txt").write_bytes(
        "\ufeff# two zips\r\n\r\n  http://example.org/a.zip  \r\nHTTPS://example.org/b.zip\r\n".encode())
    assert codes(package) == set()
    (package / f"{TEAM}_task4.audio_url.txt").write_bytes(b"\xff\xfe h\x00")
    assert codes(package) == {"E_SUBPKG_AUDIO_URL"}


def test_stray_and_junk_files(package):
    (package / "notes.docx").write_bytes(b"x")
    (package / "old").mkdir()
    (package / ".DS_Store").write_bytes(b"x")
    (package / f"{TEAM}_task4_1" / "model.ckpt").write_bytes(b"x")
    found = validate(package)
    assert sorted(f.code for f in found.findings) == ["W_JUNK_FILE"] + ["W_SUBPKG_STRAY"] * 3
    assert found.exit_code == 0
    assert validate_submission(package, options=ValidateOptions(strict=True)).exit_code == 1


def test_missing_meta(package):
    (package / f"{TEAM}_task4_2" / f"{TEAM}_task4_2.meta.yaml").unlink()
    found = validate(package).findings
    assert [f.code for f in found] == ["E_MISSING_META"] and found[0].file.endswith(f"/{TEAM}_task4_2")


def test_meta_yaml_is_checked_against_its_folder(package):
    path = package / f"{TEAM}_task4_2" / f"{TEAM}_task4_2.meta.yaml"
    meta = meta_for(f"{TEAM}_task4_1", 2)  # the label of the other system
    meta["submission"]["abbreviation"] = "far too long an abbreviation"
    meta["submission"]["authors"][1]["corresponding"] = True
    path.write_text(yaml.safe_dump(meta))
    assert codes(package) == {"E_META_LABEL", "E_META_ABBREVIATION", "E_META_CORRESPONDING"}
    path.write_text("submission: [unclosed\n")
    assert codes(package) == {"E_YAML_SYNTAX"}


def test_every_added_code_is_catalogued():
    added = {"E_SUBPKG_NO_SYSTEMS", "E_SUBPKG_TOO_MANY_SYSTEMS", "E_SUBPKG_SYSTEM_NAME", "E_SUBPKG_FILE_NAME",
             "E_SUBPKG_REPORT_MISSING", "E_SUBPKG_REPORT_NOT_PDF", "E_SUBPKG_AUDIO_URL_MISSING", "E_SUBPKG_AUDIO_URL",
             "W_SUBPKG_STRAY", "W_SUBPKG_NOT_A_PACKAGE", "W_SUBPKG_DUPLICATE_LABEL"}
    assert {CATALOGUE[code].family for code in added} == {"submission"}


# --- reading the meta YAMLs for score-all --meta ------------------------------------------------------


def test_load_meta_by_label_from_a_folder_of_packages(tmp_path):
    teams = tmp_path / "packages"
    write_package(teams / "ntt")                                         # a folder with a top folder
    other = write_package(tmp_path / "made", top="task4", team="Smith_ACME", systems=(1,))
    zip_folder(other, teams / "smith.zip")                               # a zip
    (teams / "notes.txt").write_text("ignored")                          # neither a folder nor a zip
    (teams / "empty").mkdir()                                            # not a package
    problems: list = []
    found = load_meta_by_label(teams, problems)
    assert sorted(found) == ["Nguyen_NTT_task4_1", "Nguyen_NTT_task4_2", "Smith_ACME_task4_1"]
    meta, source, report = found["Smith_ACME_task4_1"]
    assert meta["submission"]["name"] == "NTT separator 1" and report == "Smith_ACME_task4.technical_report.pdf"
    assert source == f"{teams / 'smith.zip'}/Smith_ACME_task4_1/Smith_ACME_task4_1.meta.yaml"
    assert found["Nguyen_NTT_task4_2"].source == f"{teams / 'ntt'}/task4/Nguyen_NTT_task4_2/Nguyen_NTT_task4_2.meta.yaml"
    assert [(p.code, Path(p.file).name) for p in problems] == [("W_SUBPKG_NOT_A_PACKAGE", "empty")]


def test_load_meta_by_label_reports_problems_and_keeps_going(tmp_path):
    teams = tmp_path / "packages"
    root = write_package(teams / "ntt")
    (root / f"{TEAM}_task4_2" / f"{TEAM}_task4_2.meta.yaml").write_text("submission: [unclosed\n")
    shutil.copytree(root, teams / "again" / "task4")                     # the same labels twice
    (teams / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    problems: list = []
    found = load_meta_by_label(teams, problems)
    assert sorted(found) == [f"{TEAM}_task4_1"]
    assert found[f"{TEAM}_task4_1"].source.startswith(str(teams / "again"))
    assert {p.code for p in problems} == {"E_YAML_SYNTAX", "W_SUBPKG_DUPLICATE_LABEL", "E_ZIP_CORRUPT"}
    single: list = []
    assert sorted(load_meta_by_label(root, single)) == [f"{TEAM}_task4_1"] and {p.code for p in single} == {
        "E_YAML_SYNTAX"}


# --- score-all --meta and the leaderboard -------------------------------------------------------------

MIXTURES = {"mix_0": ["Speech"], "mix_1": ["Dishes", "Cough"], "mix_2": ["Pour", "Pour"], "mix_3": []}


def test_score_all_takes_names_and_report_from_the_submission_package(tmp_path):
    ref, _ = make_case(tmp_path / "case", MIXTURES, seed=2)
    subs = tmp_path / "subs"
    write_reference_submission("oracle", ref, subs / f"{TEAM}_task4_1")
    noisy = write_reference_submission("oracle-labels-noisy", ref, tmp_path / "made" / f"{TEAM}_task4_2", snr_db=5)
    zip_package(noisy.root, subs / f"{TEAM}_task4_2.zip")                # one audio package as a zip
    root = write_package(tmp_path / "upload", systems=(1, 2, 3))
    meta2 = root / f"{TEAM}_task4_2" / f"{TEAM}_task4_2.meta.yaml"
    data = yaml.safe_load(meta2.read_text())
    data["submission"]["technical_report"] = "https://dcase.community/ntt.pdf"
    meta2.write_text(yaml.safe_dump(data))
    (root / "stray.bin").write_bytes(b"x")
    package_zip = zip_folder(root, tmp_path / "task4.zip")
    out, lb = tmp_path / "scores", tmp_path / "lb"
    result = CliRunner().invoke(cli, ["score-all", str(subs), "--ref", str(ref), "--out", str(out), "--workers", "1",
                                      "--bootstrap", "20", "--meta", str(package_zip)])
    assert result.exit_code == 0, result.output
    assert "W_SUBPKG_STRAY" in result.output and "stray.bin" in result.output          # a warning, not a failure
    assert "without a scored submission: Nguyen_NTT_task4_3" in result.output
    for n, report in ((1, f"{TEAM}_task4.technical_report.pdf"), (2, "https://dcase.community/ntt.pdf")):
        info = json.loads((out / f"{TEAM}_task4_{n}" / PACKAGE_INFO).read_text())
        assert info["name"] == f"NTT separator {n}" and info["abbreviation"] == f"NTT-{n}"
        assert info["technical_report"] == report and info["team"] == TEAM
        assert info["meta_source"] == f"{package_zip}/{TEAM}_task4_{n}/{TEAM}_task4_{n}.meta.yaml"
    result = CliRunner().invoke(cli, ["leaderboard", str(out), "--out", str(lb), "--bootstrap", "50"])
    assert result.exit_code == 0, result.output
    with (lb / "leaderboard.csv").open() as handle:
        rows = {row["label"]: row for row in csv.DictReader(handle)}
    board = {row["label"]: row for row in json.loads((lb / "leaderboard.json").read_text())["rows"]}
    for n, report in ((1, f"{TEAM}_task4.technical_report.pdf"), (2, "https://dcase.community/ntt.pdf")):
        for row in (rows[f"{TEAM}_task4_{n}"], board[f"{TEAM}_task4_{n}"]):
            assert (row["name"], row["code"], row["report"], row["team"]) == (f"NTT separator {n}", f"NTT-{n}",
                                                                                report, TEAM)


def test_score_all_api_without_meta_is_unchanged(tmp_path):
    ref, _ = make_case(tmp_path / "case", MIXTURES, seed=2)
    subs = tmp_path / "subs"
    write_reference_submission("oracle", ref, subs / f"{TEAM}_task4_1")
    (subs / f"{TEAM}_task4_1" / f"{TEAM}_task4_1.meta.yaml").unlink()
    config = ScoreConfig(workers=1, n_resamples=20)
    score_all(subs, ref, tmp_path / "plain", config)
    info = json.loads((tmp_path / "plain" / f"{TEAM}_task4_1" / PACKAGE_INFO).read_text())
    assert info["name"] is None and info["technical_report"] is None
    found = load_meta_by_label(write_package(tmp_path / "up"))
    score_all(subs, ref, tmp_path / "meta", config, meta_by_label=found)
    info = json.loads((tmp_path / "meta" / f"{TEAM}_task4_1" / PACKAGE_INFO).read_text())
    assert info["name"] == "NTT separator 1" and info["technical_report"] == f"{TEAM}_task4.technical_report.pdf"
