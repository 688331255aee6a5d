"""Loads the schema files once, resolves ``$ref`` offline, and validates documents into violations.

All schema files are read from package data into one :class:`referencing.Registry`, keyed by ``$id``
(``https://registry-harness.example/schemas/<level>/<file>``); nothing is ever fetched over a network.
Each (schema, level) validator is compiled on first use and cached; validators are immutable and may be
called from many threads at once.

A :class:`SchemaViolation` names the JSON path of the offending value (``$.layers[0].digest``), the
failing keyword with the location of the schema that holds it (``pattern at must/defs.json#/$defs/
sha256-digest``) and a readable message.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, cast

from jsonschema import ValidationError
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from schemas.bundle import bundle
from schemas.catalog import (
    BASE_URI,
    ENTRIES,
    LEVELS,
    SHARED_FILES,
    Level,
    entry_for,
    name_for_media_type,
    schema_uri,
)
from schemas.dialect import ProtocolValidator, build_format_checker

_MAX_MESSAGE = 300
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True, slots=True)
class SchemaViolation:
    """One way a document breaks a schema rule."""

    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} ({self.rule})"


class UnknownSchemaError(LookupError):
    """Raised when a schema name or media type is not in the catalogue."""


class SchemaError(ValueError):
    """Raised by :func:`check` when a document has violations; carries them in ``violations``."""

    def __init__(
        self, violations: Sequence[SchemaViolation], *, schema: str = "document", level: Level = "must"
    ) -> None:
        self.schema = schema
        self.level = level
        self.violations = list(violations)
        lines = [f"document violates the {level.upper()} layer of schema {schema!r}:"]
        lines.extend(f"  {violation}" for violation in self.violations)
        super().__init__("\n".join(lines))


@dataclass(frozen=True, slots=True)
class _Loaded:
    registry: Registry[Any]
    contents: dict[str, dict[str, Any]]
    locations: dict[int, tuple[str, str]]
    nodes: dict[tuple[str, str], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _Compiled:
    validator: Validator
    origins: dict[int, tuple[str, str]]


_lock = threading.Lock()
_state: dict[str, _Loaded] = {}
_compiled: dict[tuple[str, Level], _Compiled | None] = {}


def _read(level: Level, file: str) -> dict[str, Any] | None:
    path = resources.files("schemas").joinpath(level, file)
    if not path.is_file():
        return None
    contents: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    expected = schema_uri(level, file)
    if contents.get("$id") != expected:
        found = contents.get("$id")
        raise RuntimeError(f"schema file {level}/{file} has $id {found!r}, expected {expected!r}")
    return contents


def _index_locations(uri: str, node: object, pointer: str, loaded: _Loaded) -> None:
    """Record where every schema object lives, so a violation can name its rule's location."""
    if isinstance(node, dict):
        loaded.locations.setdefault(id(node), (uri, pointer))
        loaded.nodes[(uri, pointer)] = node
        for key, value in node.items():
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            _index_locations(uri, value, f"{pointer}/{escaped}", loaded)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _index_locations(uri, value, f"{pointer}/{index}", loaded)


def _load() -> _Loaded:
    try:
        return _state["loaded"]
    except KeyError:
        pass
    with _lock:
        if "loaded" not in _state:
            contents: dict[str, dict[str, Any]] = {}
            for level in LEVELS:
                for file in (*SHARED_FILES, *(entry.file for entry in ENTRIES)):
                    document = _read(level, file)
                    if document is not None:
                        contents[schema_uri(level, file)] = document
            registry: Registry[Any] = Registry().with_resources(
                (uri, Resource.from_contents(document, default_specification=DRAFT202012))
                for uri, document in contents.items()
            )
            loaded = _Loaded(registry.crawl(), contents, {}, {})
            for uri, document in contents.items():
                _index_locations(uri, document, "", loaded)
            _state["loaded"] = loaded
    return _state["loaded"]


def resolve_name(schema: str) -> str:
    """Return the schema name for a schema name or a media type; raise UnknownSchemaError otherwise."""
    if entry_for(schema) is not None:
        return schema
    name = name_for_media_type(schema)
    if name is None:
        raise UnknownSchemaError(f"no schema named or selected by media type {schema!r}")
    return name


def _check_level(level: str) -> Level:
    if level == "must":
        return "must"
    if level == "should":
        return "should"
    raise ValueError(f"level must be 'must' or 'should', not {level!r}")


def schema_json(schema: str, level: Level = "must") -> dict[str, Any] | None:
    """Return the parsed JSON of a schema's layer (None when the schema has no such layer)."""
    name = resolve_name(schema)
    entry = entry_for(name)
    assert entry is not None
    return _load().contents.get(schema_uri(_check_level(level), entry.file))


def loaded_schemas() -> dict[str, dict[str, Any]]:
    """Return every loaded schema file (shared definitions included), keyed by ``$id``."""
    return dict(_load().contents)


def registry() -> Registry[Any]:
    """Return the referencing registry holding every schema file."""
    return _load().registry


def _compiled_for(schema: str, level: Level) -> _Compiled | None:
    level = _check_level(level)
    name = resolve_name(schema)
    key = (name, level)
    try:
        return _compiled[key]
    except KeyError:
        pass
    loaded = _load()
    with _lock:
        if key not in _compiled:
            entry = entry_for(name)
            assert entry is not None
            uri = schema_uri(level, entry.file)
            compiled = None
            if uri in loaded.contents:
                bundled = bundle(loaded.contents, uri)
                validator = ProtocolValidator(
                    bundled.root, registry=loaded.registry, format_checker=build_format_checker()
                )
                compiled = _Compiled(validator, bundled.origins)
            _compiled[key] = compiled
        return _compiled[key]


def validator_for(schema: str, level: Level = "must") -> Validator | None:
    """Return the compiled, cached validator for a schema layer (None when it has no such layer).

    The validator runs on a bundled copy of the schema with every ``$ref`` inlined (see
    :mod:`schemas.bundle`); it accepts and rejects exactly what the schema files say.
    """
    compiled = _compiled_for(schema, level)
    return None if compiled is None else compiled.validator


def json_path(parts: Sequence[str | int]) -> str:
    """Render an instance location as a JSON path such as ``$.layers[0].digest``."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.match(part):
            out.append(f".{part}")
        else:
            out.append("[" + json.dumps(part) + "]")
    return "".join(out)


def _relative(uri: str) -> str:
    return uri[len(BASE_URI) :] if uri.startswith(BASE_URI) else uri


def _description(loaded: _Loaded, uri: str, pointer: str) -> str | None:
    """Return the description of the schema at pointer or of its nearest described ancestor (not the root)."""
    while pointer:
        node = loaded.nodes.get((uri, pointer))
        if node is not None and isinstance(node.get("description"), str):
            return str(node["description"])
        pointer = pointer.rsplit("/", 1)[0]
    return None


def _violation(
    error: ValidationError, loaded: _Loaded, origins: dict[int, tuple[str, str]]
) -> SchemaViolation:
    where = origins.get(id(error.schema)) or loaded.locations.get(id(error.schema))
    description = None
    if where is None:
        location = "#/" + "/".join(str(part) for part in list(error.schema_path)[:-1])
    else:
        uri, pointer = where
        location = f"{_relative(uri)}#{pointer}"
        description = _description(loaded, uri, pointer)
    message = error.message
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 3] + "..."
    if description:
        message = f"{description}: {message}"
    return SchemaViolation(
        path=json_path(list(error.absolute_path)), rule=f"{error.validator} at {location}", message=message
    )


def _path_key(path: Sequence[str | int]) -> list[tuple[int, str, int]]:
    return [(1, "", part) if isinstance(part, int) else (0, part, 0) for part in path]


def iter_violations(document: object, schema: str, *, level: Level = "must") -> Iterator[SchemaViolation]:
    """Yield the violations of one schema layer, in document order."""
    compiled = _compiled_for(schema, level)
    if compiled is None:
        return
    loaded = _load()
    errors = compiled.validator.iter_errors(cast(Any, document))
    for error in sorted(errors, key=lambda error: _path_key(error.absolute_path)):
        yield _violation(error, loaded, compiled.origins)


def validate(document: object, schema: str, *, level: Level = "must") -> list[SchemaViolation]:
    """Validate a parsed JSON document against one layer of a schema (a name or a media type).

    ``level="must"`` checks what the specs require; ``level="should"`` checks only the SHOULD layer,
    whose violations are warnings. Call both for the full picture. Returns [] when the document passes.
    """
    return list(iter_violations(document, schema, level=level))


def check(document: object, schema: str, *, level: Level = "must") -> None:
    """Like :func:`validate`, but raise :class:`SchemaError` listing every violation."""
    violations = validate(document, schema, level=level)
    if violations:
        raise SchemaError(violations, schema=resolve_name(schema), level=level)
