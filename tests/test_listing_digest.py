"""The listing digests of results.json: sha256 of the sorted ``relative path<TAB>size`` lines of a file listing.

s5eval sorts by folder and then by name (one sort key per folder); that must give the order of the full
relative paths, component by component, for any listing: checked against a plain implementation on random
trees, nested folders and files at the root included.
"""
from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest

from s5eval.scoring.aggregate import listing_digest

ALPHABET = ["a", "b", "a-b", "a.b", "a_b", "ab", "B", "é", "a b", "0", "_"]


def _plain_digest(files: list[Path], root: Path) -> str:
    """The definition: lines sorted by the relative path's components."""
    lines = sorted((f.relative_to(root).parts, f.stat().st_size) for f in files)
    digest = hashlib.sha256()
    for parts, size in lines:
        digest.update(f"{'/'.join(parts)}\t{size}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _random_tree(root: Path, rng: random.Random) -> list[Path]:
    files = []
    for _ in range(rng.randint(1, 25)):
        depth = rng.randint(0, 3)
        folder = root.joinpath(*(rng.choice(ALPHABET) for _ in range(depth)))
        name = rng.choice(ALPHABET) + rng.choice(["", ".wav", "_1.wav", "-1.wav", ".wav.wav"])
        path = folder / name
        if any(p.exists() and not p.is_dir() for p in path.parents if root in p.parents):
            continue  # a file where a folder must go
        if path.is_dir():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * rng.randint(0, 40))
        files.append(path)
    return sorted(set(files))


@pytest.mark.parametrize("seed", range(40))
def test_the_digest_is_the_sorted_listing_for_any_tree(tmp_path, seed):
    rng = random.Random(seed)
    files = _random_tree(tmp_path / "root", rng)
    rng.shuffle(files)
    expected = _plain_digest(files, tmp_path / "root")
    assert listing_digest(files, tmp_path / "root") == expected
    sizes = {str(f): f.stat().st_size for f in files[: len(files) // 2]}  # half the sizes known, half asked for
    assert listing_digest(files, tmp_path / "root", sizes) == expected


def test_a_relative_root(tmp_path, monkeypatch):
    root = tmp_path / "set"
    (root / "soundscape").mkdir(parents=True)
    files = [root / "top.wav", root / "soundscape" / "a.wav", root / "soundscape-1.wav"]
    for path in files:
        path.write_bytes(b"abc")
    expected = _plain_digest(files, root)
    monkeypatch.chdir(root)
    relative = [Path(os.path.relpath(f, root)) for f in files]
    assert listing_digest(relative, Path(".")) == expected
