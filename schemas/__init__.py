"""registry-harness schemas: JSON Schemas (draft 2020-12) for every protocol document, and their loader.

Each document schema has a MUST layer (what the specs require) and an optional SHOULD layer (strict
recommendations whose violations are warnings). Typical use::

    import schemas
    for violation in schemas.validate(manifest, "application/vnd.oci.image.manifest.v1+json"):
        print(violation)                      # $.layers[0].digest: ... (pattern at must/defs.json#/...)
    warnings = schemas.validate(manifest, "image-manifest", level="should")
    schemas.check(tags_body, "tags-list")     # raises schemas.SchemaError on any MUST violation
"""

from __future__ import annotations

from schemas.catalog import Level, name_for_media_type, names
from schemas.loader import (
    SchemaError,
    SchemaViolation,
    UnknownSchemaError,
    check,
    iter_violations,
    resolve_name,
    schema_json,
    validate,
    validator_for,
)

__all__ = [
    "Level",
    "SchemaError",
    "SchemaViolation",
    "UnknownSchemaError",
    "check",
    "iter_violations",
    "name_for_media_type",
    "names",
    "resolve_name",
    "schema_json",
    "validate",
    "validator_for",
]
