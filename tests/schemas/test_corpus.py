"""The hand-written corpus: spec examples and rule-by-rule valid, invalid and SHOULD-only documents.

Layout: ``corpus/<schema>/valid/*.json`` are plain documents that pass both layers;
``corpus/<schema>/invalid/*.json`` and ``corpus/<schema>/should/*.json`` are cases
``{"why", "path", "keyword", "document"}``: an invalid document has a MUST violation of ``keyword`` at
``path``; a SHOULD case passes the MUST layer and has a SHOULD violation of ``keyword`` at ``path``.
Files named ``spec-*`` are the specs' own example documents written out as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import schemas

CORPUS = Path(__file__).parent / "corpus"


def _files(kind: str) -> list[Any]:
    params = []
    for path in sorted(CORPUS.glob(f"*/{kind}/*.json")):
        schema = path.parent.parent.name
        params.append(pytest.param(schema, path, id=f"{schema}/{path.stem}"))
    return params


def _case(path: Path) -> tuple[object, str, str]:
    case = json.loads(path.read_text(encoding="utf-8"))
    assert set(case) == {"why", "path", "keyword", "document"}, path
    assert case["why"], path
    return case["document"], case["path"], case["keyword"]


def _show(violations: list[schemas.SchemaViolation]) -> str:
    return "\n".join(str(v) for v in violations) or "(none)"


@pytest.mark.parametrize(("schema", "path"), _files("valid"))
def test_valid_document_passes_both_layers(schema: str, path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    must = schemas.validate(document, schema)
    assert must == [], _show(must)
    should = schemas.validate(document, schema, level="should")
    assert should == [], _show(should)


@pytest.mark.parametrize(("schema", "path"), _files("invalid"))
def test_invalid_document_has_must_violation_at_path(schema: str, path: Path) -> None:
    document, where, keyword = _case(path)
    violations = schemas.validate(document, schema)
    assert any(v.path == where and v.rule.startswith(f"{keyword} at must/") for v in violations), (
        f"expected {keyword} at {where}, got:\n{_show(violations)}"
    )


@pytest.mark.parametrize(("schema", "path"), _files("should"))
def test_should_case_passes_must_and_warns_at_path(schema: str, path: Path) -> None:
    document, where, keyword = _case(path)
    must = schemas.validate(document, schema)
    assert must == [], _show(must)
    warnings = schemas.validate(document, schema, level="should")
    assert any(v.path == where and v.rule.startswith(f"{keyword} at should/") for v in warnings), (
        f"expected {keyword} at {where}, got:\n{_show(warnings)}"
    )


def test_every_schema_has_valid_and_invalid_cases() -> None:
    for name in schemas.names():
        assert list((CORPUS / name / "valid").glob("*.json")), name
        assert list((CORPUS / name / "invalid").glob("*.json")), name


def test_every_should_layer_has_cases() -> None:
    for name in schemas.names():
        if schemas.schema_json(name, "should") is not None:
            assert list((CORPUS / name / "should").glob("*.json")), name
