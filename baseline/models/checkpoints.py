"""Reading PyTorch (Lightning) checkpoints safely and matching their parameter names to a network.

:func:`read_checkpoint` loads with ``weights_only=True`` and refuses a file that
needs full unpickling unless trusted; :func:`state_dict_of` takes its
``state_dict``; :func:`match_state_dict` removes the prefix (Lightning's
``model.``) that makes the stored names exactly the network's. Shared by the
official-checkpoint loader (:mod:`baseline.official`) and the model modules.
"""
from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any, Iterable, Mapping

import torch

LIGHTNING_PREFIX = "model."  # the official Lightning modules keep the network in ``self.model``


class OfficialCheckpointError(ValueError):
    """A checkpoint that cannot be used: unreadable, untrusted, or not the network's parameters."""

    def __init__(self, message: str, untrusted: bool = False):
        super().__init__(message)
        self.untrusted = untrusted


# --- reading checkpoints ---------------------------------------------------------------------------------


def _unpickling_detail(exc: BaseException) -> str:
    """The ``WeightsUnpickler error: ...`` line of torch's message (what was refused), else its first line."""
    text = str(exc)
    for line in text.splitlines():
        if "WeightsUnpickler error" in line and line.split(":", 1)[1].strip():
            return line.strip()
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def read_checkpoint(path: str | Path, trust: bool = False) -> Any:
    """The object stored in ``path``, loaded on the CPU.

    First with ``weights_only=True``; when that fails because the file needs full
    unpickling, an :class:`OfficialCheckpointError` (``untrusted=True``) unless ``trust``,
    in which case it is loaded with ``weights_only=False``.
    """
    path = Path(path)
    if not path.is_file():
        raise OfficialCheckpointError(f"{path}: the checkpoint file does not exist")
    try:
        return torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as exc:
        needs_objects = "Unsupported global" in str(exc) or zipfile.is_zipfile(path)
        if not needs_objects:
            raise OfficialCheckpointError(f"{path}: not a PyTorch checkpoint ({_unpickling_detail(exc)})") from None
        if not trust:
            raise OfficialCheckpointError(
                f"{path}: the checkpoint holds Python objects besides tensors ({_unpickling_detail(exc)}); "
                "loading it needs full unpickling, which can run arbitrary code. Pass --trust-checkpoint "
                "(trust=True) only if you trust where the file comes from", untrusted=True) from None
        detail = _unpickling_detail(exc)
    except Exception as exc:  # not a zip/pickle at all, truncated, ...
        raise OfficialCheckpointError(f"{path}: cannot read the checkpoint ({_unpickling_detail(exc)})") from None
    try:
        return torch.load(path, weights_only=False, map_location="cpu")
    except Exception as exc:  # trusted but still unreadable (a class that no longer exists, ...)
        raise OfficialCheckpointError(f"{path}: cannot read the checkpoint even with full unpickling "
                                      f"({type(exc).__name__}: {exc}; first refused: {detail})") from None


def state_dict_of(checkpoint: Any, where: str = "checkpoint") -> dict[str, torch.Tensor]:
    """The ``state_dict`` entry of a Lightning checkpoint (or a bare state dict), names kept as stored."""
    if isinstance(checkpoint, Mapping) and "state_dict" in checkpoint:
        state = checkpoint["state_dict"]
    elif isinstance(checkpoint, Mapping) and checkpoint and all(torch.is_tensor(v) for v in checkpoint.values()):
        state = checkpoint  # a bare state dict (model.state_dict() saved directly)
    else:
        raise OfficialCheckpointError(f"{where}: no 'state_dict' in the checkpoint (not a Lightning checkpoint)")
    if not isinstance(state, Mapping) or not all(isinstance(k, str) and torch.is_tensor(v) for k, v in state.items()):
        raise OfficialCheckpointError(f"{where}: its 'state_dict' is not a mapping of names to tensors")
    return dict(state)


def _listing(names: Iterable[str], limit: int = 8) -> str:
    names = sorted(names)
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def match_state_dict(state: Mapping[str, torch.Tensor], model_keys: Iterable[str],
                     where: str = "checkpoint") -> dict[str, torch.Tensor]:
    """``state`` with the prefix removed that makes its names those of the model.

    Candidate prefixes are what precedes a model name at the end of a stored name
    (``model.`` for the official Lightning modules, ``""`` for a bare state dict);
    stored names outside the prefix (a loss module's buffers, ...) are ignored, as by
    the official ``_load_ckpt``. When no prefix gives exactly the model's names, the
    error names the closest prefix and lists the missing and unexpected names.
    """
    wanted = set(model_keys)
    if not wanted:
        raise OfficialCheckpointError(f"{where}: the model has no parameters to load")
    stored = list(state)
    candidates = {""}
    # a few model names are enough to find the prefix; take the longest (most specific) ones
    for name in sorted(wanted, key=len, reverse=True)[:16]:
        candidates.update(k[: -len(name)] for k in stored
                          if k.endswith(name) and (k == name or k[-len(name) - 1] == "."))

    def strip(prefix: str) -> dict[str, torch.Tensor]:
        return {k[len(prefix):]: state[k] for k in stored if k.startswith(prefix)}

    best, best_score = "", float("-inf")
    for prefix in sorted(candidates, key=lambda p: (len(p), p)):
        names = set(strip(prefix))
        if names == wanted:
            return strip(prefix)
        score = len(wanted & names) - len(names - wanted)
        if score > best_score:
            best, best_score = prefix, score
    names = set(strip(best))
    missing, unexpected = wanted - names, names - wanted
    shown = f"prefix '{best}'" if best else "no prefix"
    message = (f"{where}: its parameters do not match the network ({shown}: {len(wanted) - len(missing)} of "
               f"{len(wanted)} names found)")
    if missing:
        message += f"; missing: {_listing(missing)}"
    if unexpected:
        message += f"; unexpected: {_listing(unexpected)}"
    raise OfficialCheckpointError(message)
