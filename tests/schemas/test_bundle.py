"""Tests of $ref bundling: same verdicts as the reference-resolving validator, origins kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import schemas
from schemas import catalog, loader
from schemas.bundle import bundle
from schemas.dialect import ProtocolValidator, build_format_checker

CORPUS = Path(__file__).parent / "corpus"
BASE = "https://example.test/s/"


def _documents(schema: str) -> list[Any]:
    found = []
    for path in sorted((CORPUS / schema).rglob("*.json")):
        data = json.loads(path.read_bytes())
        found.append(data["document"] if path.parent.name in ("invalid", "should") else data)
    real = CORPUS / "real" / schema
    found.extend(json.loads(path.read_bytes()) for path in sorted(real.glob("*.json")))
    return found


def _verdicts(validator: Any, document: Any) -> list[tuple[str, str]]:
    return sorted((str(list(e.absolute_path)), e.validator) for e in validator.iter_errors(document))


LAYERS = [
    (name, level)
    for name in schemas.names()
    for level in catalog.LEVELS
    if schemas.schema_json(name, level) is not None
]


@pytest.mark.parametrize(("name", "level"), LAYERS)
def test_bundled_validator_agrees_with_ref_resolving_validator(name: str, level: catalog.Level) -> None:
    contents = schemas.schema_json(name, level)
    assert contents is not None
    resolving = ProtocolValidator(contents, registry=loader.registry(), format_checker=build_format_checker())
    bundled = schemas.validator_for(name, level)
    documents = _documents(name)
    assert documents
    for document in documents:
        assert _verdicts(bundled, document) == _verdicts(resolving, document)


def test_pure_ref_is_replaced_by_the_shared_target() -> None:
    documents = {
        BASE + "a.json": {
            "$id": BASE + "a.json",
            "properties": {"x": {"$ref": "b.json#/$defs/t"}, "y": {"$ref": "b.json#/$defs/t"}},
        },
        BASE + "b.json": {"$id": BASE + "b.json", "$defs": {"t": {"description": "t", "type": "string"}}},
    }
    result = bundle(documents, BASE + "a.json")
    x, y = result.root["properties"]["x"], result.root["properties"]["y"]
    assert x == {"description": "t", "type": "string"}
    assert x is y
    assert result.origins[id(x)] == (BASE + "b.json", "/$defs/t")
    assert result.origins[id(result.root)] == (BASE + "a.json", "")


def test_ref_with_siblings_becomes_all_of() -> None:
    documents = {
        BASE + "a.json": {
            "$id": BASE + "a.json",
            "$ref": "#/$defs/base",
            "required": ["k"],
            "allOf": [{"type": "object"}],
            "$defs": {"base": {"minProperties": 1}},
        },
    }
    root = bundle(documents, BASE + "a.json").root
    assert "$ref" not in root
    assert root["required"] == ["k"]
    assert root["allOf"] == [{"type": "object"}, {"minProperties": 1}]


def test_inlined_document_roots_lose_their_scope_keywords() -> None:
    documents: dict[str, dict[str, Any]] = {
        BASE + "a.json": {"$id": BASE + "a.json", "allOf": [{"$ref": "b.json"}]},
        BASE + "b.json": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": BASE + "b.json",
            "type": "object",
        },
    }
    root = bundle(documents, BASE + "a.json").root
    assert root["allOf"] == [{"type": "object"}]


def test_recursive_refs_are_refused() -> None:
    documents: dict[str, dict[str, Any]] = {BASE + "a.json": {"$id": BASE + "a.json", "items": {"$ref": "#"}}}
    with pytest.raises(ValueError, match="recursive"):
        bundle(documents, BASE + "a.json")
