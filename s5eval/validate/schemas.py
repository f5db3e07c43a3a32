"""The JSON Schemas shipped in ``s5eval/schemas`` (also ``schemas/`` at the repository top).

They are the single source of truth for the file layouts: the checks here
validate against them and the documentation points at them.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any, Iterator

import jsonschema
from referencing import Registry, Resource

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


def schema_errors(name: str, instance: Any) -> Iterator[jsonschema.ValidationError]:
    """Every violation of schema ``name`` by ``instance``, in document order."""
    try:
        errors = list(validator(name).iter_errors(instance))
    except RecursionError:  # pathologically deep documents
        raise ValueError("the document is nested too deeply to be checked") from None
    yield from sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])


def json_path(err: jsonschema.ValidationError) -> str:
    """``$.probabilities[3].estimate[0].probability`` style location of an error."""
    out = "$"
    for part in err.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def describe(err: jsonschema.ValidationError) -> str:
    """A short sentence for a schema violation: where, and what is wrong."""
    message = err.message
    if len(message) > 200:
        message = message[:197] + "..."
    return f"{json_path(err)}: {message}"
