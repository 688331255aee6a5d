"""Adapter to the project's JSON Schemas (`schemas.validate`), used when that package provides it.

`schemas.validate(document, name_or_media_type, level="must") -> list[violation]` (violations carry
``.path``, ``.rule``, ``.message``) is written by another part of the project. Until it exists, or for media
types it does not know, this adapter returns no violations and `manifest_rules` alone decides.
One schema rule is deliberately not enforced: ``layers`` ``minItems: 1`` (image-spec prose only says SHOULD,
and the official conformance suite pushes manifests with ``layers: []``).
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("reference_server")

_Validator = Callable[..., list[Any]]


@functools.cache
def _load() -> _Validator | None:
    try:
        module = importlib.import_module("schemas")
    except ImportError:
        return None
    candidate = getattr(module, "validate", None)
    return candidate if callable(candidate) else None


def _tolerated(violation: Any) -> bool:
    path = str(getattr(violation, "path", ""))
    rule = str(getattr(violation, "rule", ""))
    return path.rstrip("/").endswith("layers") and "minItems" in rule


def schema_violations(document: dict[str, Any], media_type: str) -> list[str]:
    """MUST-level schema violations of `document` as 'path: message' strings (empty when no schema)."""
    validate = _load()
    if validate is None:
        return []
    try:
        violations = validate(document, media_type, level="must")
    except (KeyError, LookupError, ValueError, FileNotFoundError) as exc:
        log.debug("no schema check for %s: %s", media_type, exc)
        return []
    return [
        f"{getattr(v, 'path', '') or '/'}: {getattr(v, 'message', v)}"
        for v in violations
        if not _tolerated(v)
    ]
