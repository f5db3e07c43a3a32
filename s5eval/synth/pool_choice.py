"""Which pool a config asks for: the procedural one (:mod:`.pools`) or the DCASE dev set (:mod:`.devset`).

Its own module so that :mod:`.devset` can build on :mod:`.pools` without the two importing each other.
"""
from __future__ import annotations

from .pools import PROCEDURAL_POOL, ProceduralPool


def pool_for(config) -> ProceduralPool:
    """The pool a config asks for: procedural by default, the DCASE dev set when ``source_dir`` is set."""
    if config.source_dir:
        from .devset import dev_set_pool

        return dev_set_pool(config.source_dir)
    return PROCEDURAL_POOL
