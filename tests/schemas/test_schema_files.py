"""The schema files themselves: valid draft 2020-12 documents, resolvable $refs, compilable patterns."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import schemas
from schemas import catalog, loader
from schemas.dialect import build_format_checker, compile_pattern

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
LOADED = loader.loaded_schemas()


def _walk(node: object, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            yield from _walk(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{index}")


@pytest.mark.parametrize("uri", sorted(LOADED))
def test_schema_is_valid_against_the_2020_12_metaschema(uri: str) -> None:
    contents = LOADED[uri]
    assert contents["$schema"] == DRAFT_2020_12
    assert contents["$id"] == uri
    Draft202012Validator.check_schema(contents)


@pytest.mark.parametrize("uri", sorted(LOADED))
def test_every_ref_resolves_offline(uri: str) -> None:
    resolver = loader.registry().resolver(base_uri=uri)
    refs = [
        (pointer, node["$ref"]) for pointer, node in _walk(LOADED[uri]) if isinstance(node.get("$ref"), str)
    ]
    for pointer, ref in refs:
        resolved = resolver.lookup(ref)
        assert isinstance(resolved.contents, dict), f"{uri}#{pointer}: $ref {ref!r}"


@pytest.mark.parametrize("uri", sorted(LOADED))
def test_patterns_compile_and_use_no_unicode_classes(uri: str) -> None:
    for pointer, node in _walk(LOADED[uri]):
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            compile_pattern(pattern)
            for shorthand in (r"\d", r"\w", r"\s"):
                assert shorthand not in pattern, (
                    f"{uri}#{pointer}: {shorthand} differs between ECMA-262 and re"
                )


@pytest.mark.parametrize("uri", sorted(LOADED))
def test_unknown_fields_are_never_refused(uri: str) -> None:
    # image-spec: unknown fields, annotations and media types MUST NOT make an implementation error.
    for pointer, node in _walk(LOADED[uri]):
        assert node.get("additionalProperties") is not False, f"{uri}#{pointer}"
        assert "unevaluatedProperties" not in node, f"{uri}#{pointer}"


def test_every_json_file_in_the_package_is_registered() -> None:
    package = resources.files("schemas")
    on_disk = {
        catalog.schema_uri(level, item.name)
        for level in catalog.LEVELS
        for item in package.joinpath(level).iterdir()
        if item.name.endswith(".json")
    }
    assert on_disk == set(LOADED)


def test_every_should_layer_has_a_must_layer() -> None:
    for name in schemas.names():
        assert schemas.schema_json(name, "must") is not None, name


def test_format_checker_enforces_uri_and_date_time() -> None:
    checker = build_format_checker()
    assert not checker.conforms("not a uri", "uri")
    assert checker.conforms("https://example.com/x", "uri")
    assert not checker.conforms("2015-10-31 22:22", "date-time")
    assert checker.conforms("2015-10-31T22:22:56.015925234Z", "date-time")
