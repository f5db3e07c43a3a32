"""Discovery of a reference set.

Accepted layouts (README.md, "Scoring"; docs/codabench.md for ``INPUT/ref``):

* ``REF/soundscape/<mix>.wav`` + ``REF/oracle_target/<mix>_<i>_<Label>.wav``
  (+ optional ``REF/subsets.csv``)
* a DCASE dataset root or one of its folders: 2026 ``dev_set/synthesized/test/...``
  and ``eval_set/synthesized/eval/...``; 2025 ``dev_set/test/...`` and
  ``eval_set/...``.

A mixture with no target file is a zero-target mixture. An evaluation set as
participants get it has ``soundscape/`` only: :func:`load_reference_set` with
``require_targets=False`` accepts it (``ReferenceSet.has_targets`` is False),
for the checks that need only the mixtures.

Folders are listed with :func:`list_folder`, which says what each entry is
without opening it: a regular file, a folder, something else (FIFO, socket,
device: never read), a symbolic link that leads nowhere, or one that leaves
the folder tree it must stay in (a submission). A reference set may be built
of links; a FIFO or a dangling link named like a WAV in it is a reference
finding (exit 3), as is a folder that cannot be listed.
"""
from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..findings import Finding, ReferenceSetError, error
from ..labels import SILENCE
from .filenames import FilenameError, SourceName, parse_source_filename
from .wav import file_type

SOUNDSCAPE_DIR = "soundscape"
TARGET_DIR = "oracle_target"
SUBSETS_FILE = "subsets.csv"

_DCASE_SUBDIRS = (
    Path("."),
    Path("synthesized/test"),
    Path("synthesized/eval"),
    Path("dev_set/synthesized/test"),
    Path("eval_set/synthesized/eval"),
    Path("test"),                      # 2025 dev_set/
    Path("dev_set/test"),              # 2025 dataset root
    Path("eval_set"),                  # 2025 dataset root (eval_set/soundscape)
)


def folder_prefix(folder: str | os.PathLike[str]) -> str:
    """The text that goes before a file name to give the path of a file in ``folder``: ``folder`` and a
    separator (nothing for ``.``), so that ``folder_prefix(folder) + name == str(Path(folder) / name)``.

    A run holds thousands of files: each keeps its name and shares its folder's prefix, rather than a
    ``Path`` object (several hundred bytes) of its own.
    """
    text = os.fspath(folder)
    return "" if text in ("", ".") else os.path.join(text, "")


class FileInFolder:
    """A file known by its ``filename`` and its folder's :func:`folder_prefix` (``folder``): its path on demand."""

    __slots__ = ()
    if TYPE_CHECKING:
        folder: str

        @property
        def filename(self) -> str: ...

    @property
    def path_text(self) -> str:
        """The file's path as text (what ``str(path)`` gives)."""
        return self.folder + self.filename

    @property
    def path(self) -> Path:
        return Path(self.path_text)


@dataclass(frozen=True, slots=True)
class SourceFile(FileInFolder):
    """A WAV file holding one source, with its parsed name; ``folder`` is its folder's :func:`folder_prefix`."""

    name: SourceName
    folder: str

    @property
    def label(self) -> str:
        return self.name.label

    @property
    def filename(self) -> str:
        return self.name.filename


@dataclass(slots=True)
class RefMixture(FileInFolder):
    """One soundscape of the reference set and its dry target sources.

    ``name`` is the soundscape (the file name without its extension), ``filename`` the mixture WAV's file name
    and ``folder`` its folder's :func:`folder_prefix`.
    """

    name: str
    folder: str
    filename: str
    targets: list[SourceFile] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [t.label for t in self.targets]


@dataclass
class ReferenceSet:
    """A discovered reference set; mixtures are kept in sorted name order."""

    root: Path
    mixtures: dict[str, RefMixture]
    subsets_csv: Path | None
    has_targets: bool = True  # False for an evaluation set without oracle_target/

    def __len__(self) -> int:
        return len(self.mixtures)

    @property
    def names(self) -> list[str]:
        return list(self.mixtures)


# what a folder entry is (FolderEntry.kind)
FILE = "file"          # a regular file (directly, or through a link that stays where it must)
FOLDER = "folder"
SPECIAL = "special"    # FIFO, socket, device: never opened
BROKEN = "broken"      # a link that leads nowhere (dangling, a loop) or an entry that cannot be examined
OUTSIDE = "outside"    # a link whose target leaves the tree it must stay in


@dataclass(slots=True)
class FolderEntry:
    """One entry of a listed folder: its name and path (as the listing gives them: text, no ``Path`` parsed per
    entry), what it is, whether it is a link, and why (for messages)."""

    name: str
    path_text: str
    kind: str
    link: bool = False
    detail: str = ""

    @property
    def path(self) -> Path:
        return Path(self.path_text)


def file_stamp(path: str | os.PathLike[str]) -> list[int]:
    """What tells a file's content changed without reading it: size (bytes), mtime (ns), inode, ctime (ns).

    The ctime changes on any write, also one that puts the mtime back. The caches of ``score`` and
    ``score-all`` trust it.
    """
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]


def real_root(path: str | os.PathLike) -> str:
    """The resolved path of a folder, the tree its links must stay in (the folder itself when it cannot be resolved)."""
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return os.path.abspath(path)


def is_within(path: str, root: str) -> bool:
    """True when the resolved ``path`` is ``root`` or lies below it (both resolved)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def link_target_leaves(path: str | os.PathLike, within: str) -> str | None:
    """The resolved target of a link when it lies outside ``within`` (resolved), else None."""
    try:
        target = os.path.realpath(path)
    except (OSError, ValueError):
        return None  # cannot be resolved: reported as a link that leads nowhere
    return None if is_within(target, within) else target


def describe(entry: os.DirEntry, within: str | None = None) -> FolderEntry:
    """What a folder entry is, from the scan itself and, for links only, one resolution and one stat.

    ``within``: the resolved folder that links must not leave (None: links may
    point anywhere, as in a reference set).
    """
    name, path = entry.name, entry.path
    try:
        if not entry.is_symlink():  # the d_type of the scan: no system call on most file systems
            if entry.is_file(follow_symlinks=False):
                return FolderEntry(name, path, FILE)
            if entry.is_dir(follow_symlinks=False):
                return FolderEntry(name, path, FOLDER)
            return FolderEntry(name, path, SPECIAL, detail=file_type(entry.stat(follow_symlinks=False).st_mode))
        if within is not None:
            target = link_target_leaves(entry.path, within)
            if target is not None:
                return FolderEntry(name, path, OUTSIDE, True, target)
        try:
            mode = os.stat(entry.path).st_mode
        except (OSError, ValueError) as exc:
            return FolderEntry(name, path, BROKEN, True, _reason(exc))
    except (OSError, ValueError) as exc:
        return FolderEntry(name, path, BROKEN, False, _reason(exc))
    if stat.S_ISREG(mode):
        return FolderEntry(name, path, FILE, True)
    if stat.S_ISDIR(mode):
        return FolderEntry(name, path, FOLDER, True)
    return FolderEntry(name, path, SPECIAL, True, file_type(mode))


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def list_folder(folder: str | os.PathLike[str], within: str | None = None) -> list[FolderEntry]:
    """Every entry of ``folder`` (:func:`describe`), sorted by name.

    Raises ``OSError`` when the folder cannot be listed (also ``ValueError``
    turned into ``OSError`` for a path the system cannot take).
    """
    try:
        with os.scandir(folder) as entries:
            listed = [describe(entry, within) for entry in entries]
    except ValueError as exc:  # NUL or characters the file system cannot encode
        raise OSError(f"the path cannot be used: {exc}") from None
    listed.sort(key=lambda e: e.name)
    return listed


def scan_wav_names(folder: Path, within: str | None = None) -> tuple[list[str], list[FolderEntry]]:
    """The regular ``.wav`` files (any case) directly in ``folder``, sorted by name, and the ``.wav`` entries
    that are none (FIFO and other special files, links that lead nowhere or leave ``within``): never opened.

    Folders named ``*.wav`` are neither. Raises ``OSError`` when the folder cannot be listed.
    """
    names: list[str] = []
    refused: list[FolderEntry] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if not name.lower().endswith(".wav"):
                    continue
                if not entry.is_symlink() and entry.is_file(follow_symlinks=False):  # d_type: no system call
                    names.append(name)
                    continue
                described = describe(entry, within)
                if described.kind == FILE:
                    names.append(name)
                elif described.kind != FOLDER:
                    refused.append(described)
    except ValueError as exc:  # NUL or characters the file system cannot encode
        raise OSError(f"the path cannot be used: {exc}") from None
    names.sort()
    refused.sort(key=lambda e: e.name)
    return names, refused


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _text_name(folder: Path, name: str, findings: list[Finding]) -> bool:
    """True for a file name that is text (UTF-8); else a finding: such a name cannot be written to the results."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        findings.append(error("E_REF_NAME_ENCODING", str(folder / name),
                              f"the file name {name!r} is not valid UTF-8 text; rename it"))
        return False
    return True


def _reference_listing(folder: Path) -> list[str]:
    """The names of :func:`scan_wav_names` of a reference folder; a folder that cannot be listed or a WAV that
    is not a regular file (or a link that leads nowhere) raises :class:`ReferenceSetError`."""
    try:
        names, refused = scan_wav_names(folder)
    except OSError as exc:
        raise ReferenceSetError([error("E_REF_UNREADABLE", str(folder), f"cannot list the folder: {_reason(exc)}")])
    findings = []
    for entry in refused:
        if entry.kind == SPECIAL:
            findings.append(error("E_REF_NOT_REGULAR_FILE", entry.path_text,
                                  f"is {entry.detail}, not a regular file; it is not read"))
        else:
            findings.append(error("E_REF_UNREADABLE", entry.path_text,
                                  f"is a symbolic link that leads nowhere ({entry.detail})"))
    if findings:
        raise ReferenceSetError(findings)
    return names


def find_reference_root(path: str | Path, prefer: str | None = None) -> Path:
    """Return the folder holding ``soundscape/`` and ``oracle_target/`` under ``path``.

    ``prefer`` ("test" or "eval") picks among several sets under a dataset root
    holding both ``dev_set/`` and ``eval_set/``: the one whose path names it.
    """
    root = Path(path)
    try:
        root_mode = os.stat(root).st_mode
    except (OSError, ValueError) as exc:
        missing = isinstance(exc, FileNotFoundError)
        raise ReferenceSetError([error("E_REF_MISSING", str(root), "the reference set folder does not exist"
                                       if missing else f"the reference set folder cannot be used: {_reason(exc)}")])
    if not stat.S_ISDIR(root_mode):
        raise ReferenceSetError([error("E_REF_MISSING", str(root), "the reference set must be a folder")])
    found = [root / sub for sub in _DCASE_SUBDIRS if _is_dir(root / sub / SOUNDSCAPE_DIR)]
    if not found:
        raise ReferenceSetError([
            error("E_REF_LAYOUT", str(root),
                  f"no '{SOUNDSCAPE_DIR}/' folder found here or in a DCASE dataset layout "
                  "(dev_set/synthesized/test, eval_set/synthesized/eval, eval_set/soundscape)")
        ])
    if len(found) > 1 and prefer is not None:
        preferred = [p for p in found if prefer in p.parts or f"{prefer}_set" in p.parts]
        found = preferred if len(preferred) == 1 else found
    if len(found) > 1:
        listing = ", ".join(str(p) for p in found)
        raise ReferenceSetError([
            error("E_REF_AMBIGUOUS", str(root), f"several reference sets found ({listing}); point --ref at one of them")
        ])
    return found[0].resolve() if found[0] != root else root


def load_reference_set(path: str | Path, labels: tuple[str, ...], require_targets: bool = True,
                       prefer: str | None = None) -> ReferenceSet:
    """Discover the mixtures and targets of a reference set.

    ``require_targets``: a set without ``oracle_target/`` is an error (what
    scoring needs); with False it is read as an evaluation set without
    references. ``prefer``: see :func:`find_reference_root`. Raises
    :class:`ReferenceSetError` (exit code 3) on any problem.
    """
    root = find_reference_root(path, prefer)
    soundscape_dir = root / SOUNDSCAPE_DIR
    target_dir = root / TARGET_DIR
    findings: list[Finding] = []
    mixtures: dict[str, RefMixture] = {}
    mixture_folder = folder_prefix(soundscape_dir)
    for filename in _reference_listing(soundscape_dir):
        if _text_name(soundscape_dir, filename, findings):
            stem = sys.intern(filename[:-4] if len(filename) > 4 else filename)  # as pathlib gives it; shared
            mixtures[stem] = RefMixture(stem, mixture_folder, filename)
    if findings:
        raise ReferenceSetError(findings)
    if not mixtures:
        raise ReferenceSetError([error("E_REF_EMPTY", str(soundscape_dir), "the reference set holds no soundscape WAV")])
    if not _is_dir(target_dir):
        if not require_targets:
            return ReferenceSet(root, mixtures, None, has_targets=False)
        raise ReferenceSetError([
            error("E_REF_NO_TARGETS", str(root),
                  f"this set has no references ('{TARGET_DIR}/' is missing): it is an evaluation set as "
                  "participants get it, which can be used to validate a submission (s5eval validate --ref) "
                  "but not to score one; scoring needs the set with its oracle targets")
        ])
    known_labels = tuple(labels)
    target_folder = folder_prefix(target_dir)
    for filename in _reference_listing(target_dir):
        if not _text_name(target_dir, filename, findings):
            continue
        try:
            name = parse_source_filename(filename, mixtures, known_labels)
        except FilenameError as exc:
            findings.append(error("E_REF_TARGET_NAME", str(target_dir / filename), str(exc)))
            continue
        if name.label == SILENCE:
            continue
        mixtures[name.soundscape].targets.append(SourceFile(name, target_folder))
    if findings:
        raise ReferenceSetError(findings)
    subsets = root / SUBSETS_FILE
    return ReferenceSet(root, mixtures, subsets if _is_file(subsets) else None)
