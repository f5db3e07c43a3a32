"""The official validation list, ``dev_set/metadata/valid.json``, read and written.

As the official ``DatasetS3`` reads it (``mode: metadata``): a JSON list, one entry
per validation mixture, whose ``metadata_path`` is the mixture's SpAudSyn metadata
file relative to the list's folder (``valid/<name>.json``). Each metadata file holds
``config``, ``fg_events``, ``bg_events``, ``int_events`` and ``room``, written by
SpAudSyn's ``generate_metadata`` with ``json.dump(..., indent=4)``; events are
sorted by onset. The mixtures are rendered in list order, targets in onset order
(the official validation does not shuffle labels).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import numpy as np

from .devset import DevSetError


def read_metadata_list(path: str | Path) -> list[Path]:
    """The metadata files listed by ``valid.json`` (absolute); :class:`DevSetError` when unusable."""
    path = Path(path)
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DevSetError(f"cannot read the validation list {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise DevSetError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("metadata_path"), str)
                                                 for e in entries):
        raise DevSetError(f"{path}: expected a list of {{\"metadata_path\": ...}} entries (the official layout)")
    if not entries:
        raise DevSetError(f"{path} lists no mixture")
    files = [path.parent / e["metadata_path"] for e in entries]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise DevSetError(f"{path}: {len(missing)} listed metadata file(s) are missing, e.g. {missing[0]}")
    return files


def read_metadata(path: str | Path) -> dict:
    """One mixture's metadata dictionary."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DevSetError(f"cannot read the mixture metadata {path}: {exc}") from None


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_metadata_list(metadata_dir: str | Path, scenes: Iterable[dict], split: str = "valid",
                        prefix: str = "soundscape") -> Path:
    """Write ``<metadata_dir>/<split>/<prefix>_NNNN.json`` per scene and ``<metadata_dir>/<split>.json`` listing them,
    as the official dev set holds ``metadata/valid.json``; returns the list's path."""
    metadata_dir = Path(metadata_dir)
    (metadata_dir / split).mkdir(parents=True, exist_ok=True)
    entries = []
    for i, scene in enumerate(scenes):
        name = f"{split}/{prefix}_{i:04d}.json"
        (metadata_dir / name).write_text(json.dumps(_plain(scene), indent=4), encoding="utf-8")
        entries.append({"metadata_path": name})
    out = metadata_dir / f"{split}.json"
    out.write_text(json.dumps(entries, indent=4), encoding="utf-8")
    return out
