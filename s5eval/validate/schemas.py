"""The JSON Schemas shipped in ``s5eval/schemas`` (also ``schemas/`` at the repository top).

They are the single source of truth for the file layouts: the checks here
validate against them and the documentation points at them.
"""
from __future__ import annotations

import json
from functools import lru_cache
from itertools import islice
from importlib.resources import files
from typing import Any, Iterator

import jsonschema
from referencing import Registry, Resource

from ..io.loaders import MAX_NESTING, cut, nesting_exceeds, preview

SCHEMA_FILES = {
    "eval_results": "eval_results.schema.json",
    "dev_set_test_results": "dev_set_test_results.schema.json",
    "meta": "meta.schema.json",
    "subsets_row": "subsets_row.schema.json",
    "results": "results.schema.json",
}


def load_schema(name: str) -> dict:
    """The schema document ``name`` (a key of :data:`SCHEMA_FILES`)."""
    text = files("s5eval").joinpath("schemas", SCHEMA_FILES[name]).read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def _registry() -> Registry:
    resources = []
    for name in SCHEMA_FILES:
        schema = load_schema(name)
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


@lru_cache(maxsize=None)
def validator(name: str) -> jsonschema.protocols.Validator:
    """A validator for schema ``name`` that resolves references between the shipped schemas."""
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, registry=_registry())


class _Text(str):
    """A string whose repr is cut short: jsonschema quotes the instance in its messages."""

    __slots__ = ()

    def __repr__(self) -> str:
        return preview(str(self))


class _List(list):
    __slots__ = ()

    def __repr__(self) -> str:
        return preview(self)


class _Dict(dict):
    __slots__ = ()

    def __repr__(self) -> str:
        return preview(self)


class _Tuple(tuple):
    __slots__ = ()

    def __repr__(self) -> str:
        return preview(self)


class _Set(frozenset):
    __slots__ = ()

    def __repr__(self) -> str:
        return preview(self)


class _Bytes(bytes):
    __slots__ = ()

    def __repr__(self) -> str:
        return preview(bytes(self))


_SHORT = 60
MAX_SCHEMA_ERRORS = 1000  # violations listed per file; a hostile file could have millions


def _bounded(value: Any) -> Any:
    """A copy of ``value`` whose containers and long strings have bounded reprs.

    jsonschema builds every message eagerly with ``repr`` of the failing
    instance; on the copy that costs at most a few hundred characters whatever
    the document's size.
    """
    if isinstance(value, str):
        return _Text(value) if len(value) > _SHORT else value
    if isinstance(value, dict):
        return _Dict((_bounded(k), _bounded(v)) for k, v in value.items())
    if isinstance(value, list):
        return _List(_bounded(v) for v in value)
    if isinstance(value, tuple):  # YAML !!omap and !!pairs
        return _Tuple(_bounded(v) for v in value)
    if isinstance(value, (set, frozenset)):  # YAML !!set
        return _Set(_bounded(v) for v in value)
    if isinstance(value, bytes):  # YAML !!binary
        return _Bytes(value) if len(value) > _SHORT else value
    return value


def schema_errors(name: str, instance: Any) -> Iterator[jsonschema.ValidationError]:
    """Every violation of schema ``name`` by ``instance``, in document order.

    Messages quote the instance only through bounded previews. Raises
    :class:`ValueError` for a document nested too deeply to be checked.
    """
    if nesting_exceeds(instance):
        raise ValueError(f"the document is nested more than {MAX_NESTING} levels deep")
    try:
        errors = list(islice(validator(name).iter_errors(_bounded(instance)), MAX_SCHEMA_ERRORS + 1))
    except RecursionError:  # pathologically deep documents
        raise ValueError("the document is nested too deeply to be checked") from None
    more = len(errors) > MAX_SCHEMA_ERRORS
    yield from sorted(errors[:MAX_SCHEMA_ERRORS], key=lambda e: [str(p) for p in e.absolute_path])
    if more:
        yield jsonschema.ValidationError(f"more than {MAX_SCHEMA_ERRORS} violations; the first "
                                         f"{MAX_SCHEMA_ERRORS} are listed")


def json_path(err: jsonschema.ValidationError) -> str:
    """``$.probabilities[3].estimate[0].probability`` style location of an error (long keys cut short)."""
    out = "$"
    for part in err.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else f".{cut(str(part), 40)}"
    return cut(out, 300)


def describe(err: jsonschema.ValidationError) -> str:
    """A short sentence for a schema violation: where, and what is wrong (at most a few hundred characters)."""
    return f"{json_path(err)}: {cut(err.message, 200)}"
