"""Safe zip reading: each attack fails with its own code and writes nothing outside the temporary folder."""
from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import pytest

from s5eval.findings import S5InputError
from s5eval.io.archive import ArchiveLimits, extract_zip, extracted_zip, scan_zip, submission_folder
from s5eval.validate import ValidateOptions, validate_submission

TIME = (2026, 1, 1, 0, 0, 0)


def member(name: str, mode: int = 0o100644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=TIME)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


def make_zip(path: Path, members: list[tuple[zipfile.ZipInfo | str, bytes]], method=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for info, data in members:
            archive.writestr(info if isinstance(info, zipfile.ZipInfo) else member(info), data, compress_type=method)
    return path


def snapshot(folder: Path) -> set[str]:
    return {str(p) for p in folder.rglob("*")}


def tmp_entries() -> set[str]:
    return set(os.listdir(tempfile.gettempdir()))


ATTACKS = {
    "traversal": ("E_ZIP_TRAVERSAL", [("pkg/eval_out/a.wav", b"x"), ("pkg/../../escaped.txt", b"escape")]),
    "absolute": ("E_ZIP_ABSOLUTE", [("pkg/eval_out/a.wav", b"x"), ("/tmp/s5eval-test-escaped.txt", b"escape")]),
    "windows-absolute": ("E_ZIP_ABSOLUTE", [("C:\\escaped.txt", b"escape")]),
    "symlink": ("E_ZIP_SYMLINK", [("pkg/eval_out/a.wav", b"x"), (member("pkg/link", 0o120777), b"/etc/passwd")]),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_fails_with_its_own_code_and_writes_nothing(tmp_path, attack):
    code, members = ATTACKS[attack]
    work = tmp_path / "work"
    work.mkdir()
    archive = make_zip(work / "pkg.zip", members)
    before_work, before_tmp, before_parent = snapshot(work), tmp_entries(), snapshot(tmp_path)
    assert [f.code for f in scan_zip(archive)] == [code]
    report = validate_submission(archive)
    assert [f.code for f in report.findings] == [code] and report.exit_code == 1
    with pytest.raises(S5InputError) as caught:
        with extracted_zip(archive):
            pass
    assert [f.code for f in caught.value.findings] == [code]
    assert snapshot(work) == before_work and snapshot(tmp_path) == before_parent
    assert tmp_entries() == before_tmp  # the private extraction folder is gone too
    assert not Path("/tmp/s5eval-test-escaped.txt").exists()


def test_high_ratio_bomb_fails_with_its_own_code(tmp_path):
    archive = make_zip(tmp_path / "bomb.zip", [("pkg/zeros.bin", bytes(4 * 1024**2))], method=zipfile.ZIP_BZIP2)
    before = tmp_entries()
    assert [f.code for f in scan_zip(archive)] == ["E_ZIP_RATIO"]
    assert [f.code for f in validate_submission(archive).findings] == ["E_ZIP_RATIO"]
    assert tmp_entries() == before


def test_ratio_limit_is_settable_for_deflate(tmp_path):
    archive = make_zip(tmp_path / "zeros.zip", [("pkg/zeros.bin", bytes(1024**2))])
    assert scan_zip(archive) == []  # deflate tops out near 1032:1, below the default limit
    assert [f.code for f in scan_zip(archive, ArchiveLimits(max_ratio=100))] == ["E_ZIP_RATIO"]


def test_total_size_and_member_count_limits(tmp_path):
    archive = make_zip(tmp_path / "many.zip", [(f"pkg/f{i}.bin", bytes(1000)) for i in range(20)])
    assert [f.code for f in scan_zip(archive, ArchiveLimits(max_total_bytes=10_000))] == ["E_ZIP_TOO_LARGE"]
    assert [f.code for f in scan_zip(archive, ArchiveLimits(max_members=10))] == ["E_ZIP_TOO_MANY"]
    options = ValidateOptions(limits=ArchiveLimits(max_members=10))
    assert [f.code for f in validate_submission(archive, options=options).findings] == ["E_ZIP_TOO_MANY"]


def test_size_that_lies_in_the_header_is_caught_while_extracting(tmp_path):
    archive = make_zip(tmp_path / "lie.zip", [("pkg/data.bin", bytes(5000))], method=zipfile.ZIP_STORED)
    raw = bytearray(archive.read_bytes())
    # shrink the uncompressed size declared in the central directory (offset 24 of the entry)
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24:central + 28] = (100).to_bytes(4, "little")
    archive.write_bytes(bytes(raw))
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(S5InputError) as caught:
        extract_zip(archive, dest)
    assert caught.value.findings[0].code == "E_ZIP_CORRUPT"


def test_every_problem_is_reported_at_once(tmp_path):
    archive = make_zip(tmp_path / "all.zip", [("../a", b"x"), ("/b", b"x"), (member("c", 0o120777), b"x"),
                                               ("d.wav", b"x"), ("D.WAV", b"y")])
    codes = sorted(f.code for f in scan_zip(archive))
    assert codes == ["E_ZIP_ABSOLUTE", "E_ZIP_DUPLICATE_MEMBER", "E_ZIP_SYMLINK", "E_ZIP_TRAVERSAL"]


def test_overlapping_members_are_refused(tmp_path):
    """Two central-directory entries pointing at the same local data: the overlapping-file bomb."""
    archive = make_zip(tmp_path / "overlap.zip", [("a.bin", bytes(10_000))])
    with zipfile.ZipFile(archive) as z:
        info = z.infolist()[0]
    raw = archive.read_bytes()
    central = raw.rfind(b"PK\x01\x02")
    end = raw.rfind(b"PK\x05\x06")
    entry = bytearray(raw[central:end])
    entry[46:46 + len("a.bin")] = b"b.bin"  # same data, another name
    eocd = bytearray(raw[end:])
    eocd[8:10] = (2).to_bytes(2, "little")
    eocd[10:12] = (2).to_bytes(2, "little")
    eocd[12:16] = (2 * len(entry)).to_bytes(4, "little")
    archive.write_bytes(raw[:end] + bytes(entry) + bytes(eocd))
    assert info.header_offset == 0
    assert "E_ZIP_OVERLAP" in [f.code for f in scan_zip(archive)]


def test_encrypted_member_is_refused(tmp_path):
    archive = make_zip(tmp_path / "enc.zip", [("a.bin", b"data")], method=zipfile.ZIP_STORED)
    raw = bytearray(archive.read_bytes())
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.find(sig)
        raw[at + flag_at] |= 0x1
    archive.write_bytes(bytes(raw))
    assert [f.code for f in scan_zip(archive)] == ["E_ZIP_ENCRYPTED"]


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04" + bytes(40)])
def test_corrupt_zip(tmp_path, content):
    archive = tmp_path / "bad.zip"
    archive.write_bytes(content)
    report = validate_submission(archive)
    assert [f.code for f in report.findings] == ["E_ZIP_CORRUPT"] and report.exit_code == 1


def test_extraction_is_private_and_removed_afterwards(tmp_path):
    archive = make_zip(tmp_path / "Smith_ACME_task4_1.zip", [("Smith_ACME_task4_1/eval_out/a.wav", b"x"),
                                                             ("__MACOSX/._a.wav", b"junk")])
    with submission_folder(archive) as root:
        assert root.name == "Smith_ACME_task4_1" and (root / "eval_out" / "a.wav").read_bytes() == b"x"
        assert oct(root.parent.parent.stat().st_mode & 0o777) == oct(0o700)
        assert not (root.parent / "__MACOSX").exists()
        extraction = root.parent.parent
    assert not extraction.exists()


def test_a_folder_is_used_in_place(tmp_path):
    with submission_folder(tmp_path) as root:
        assert root == tmp_path
