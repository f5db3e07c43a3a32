"""Shared test set-up: no test writes to the user's cache folder."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory, monkeypatch):
    """`s5eval score` keeps reference figures in a user cache; tests get their own (also in subprocesses)."""
    monkeypatch.setenv("S5EVAL_CACHE_DIR", str(tmp_path_factory.mktemp("s5eval-cache")))
