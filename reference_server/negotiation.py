"""Manifest content negotiation (the Accept rule). Stored bytes are NEVER converted: digests must hold.

The rule, for GET/HEAD ``/v2/<name>/manifests/<reference>``:

1. By digest: always serve exactly that manifest, with its stored media type as Content-Type.
2. By tag, if ``Accept`` is absent, or names the stored type, ``*/*`` or ``application/*`` (q > 0): serve the
   stored manifest.
3. By tag, if the tag resolves to an index / manifest list and the client accepts NO index or list type but
   DOES accept a single-manifest type (OCI image manifest or Docker schema 2): serve the ``linux/amd64``
   child (else the first child) whose media type the client accepts and which this repository holds
   (what Docker Hub did for clients that predate manifest lists). ``Docker-Content-Digest`` is then the
   child's digest.
4. Otherwise serve the stored bytes with their true Content-Type (RFC 9110 lets a server ignore Accept;
   clients decide by Content-Type). A 406 is never sent.

Accept parsing: several header lines are joined with ","; media ranges may carry parameters and ``q``;
``q=0`` means "not acceptable".
"""

from __future__ import annotations

from typing import Any

from reference_server import media_types as mt


def parse_accept(header: str | None) -> list[str] | None:
    """Acceptable media ranges (lower-case, q > 0); None when the client sent no Accept at all."""
    if header is None or not header.strip():
        return None
    ranges: list[str] = []
    for item in header.split(","):
        parts = [part.strip() for part in item.split(";")]
        media_range = parts[0].lower()
        if not media_range:
            continue
        quality = 1.0
        for param in parts[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 1.0
        if quality > 0:
            ranges.append(media_range)
    return ranges


def accepts(ranges: list[str] | None, media_type: str) -> bool:
    """True when `media_type` is acceptable to a client with `ranges` (absent Accept accepts anything)."""
    if ranges is None:
        return True
    top = media_type.split("/", 1)[0]
    return any(r in {media_type, "*/*", f"{top}/*"} for r in ranges)


def wants_single_manifest(ranges: list[str] | None, stored_type: str) -> bool:
    """True when a tag resolving to an index should be answered with one of its children (rule 3)."""
    if ranges is None or stored_type not in mt.INDEX_TYPES:
        return False
    if any(accepts(ranges, index_type) for index_type in mt.INDEX_TYPES):
        return False
    return any(accepts(ranges, manifest_type) for manifest_type in mt.IMAGE_MANIFEST_TYPES)


def child_candidates(index: dict[str, Any], ranges: list[str] | None) -> list[dict[str, Any]]:
    """Index entries the client accepts, linux/amd64 ones first, in index order otherwise."""
    entries = [
        e
        for e in index.get("manifests", [])
        if isinstance(e, dict)
        and isinstance(e.get("mediaType"), str)
        and accepts(ranges, e["mediaType"])
        and e["mediaType"] in mt.IMAGE_MANIFEST_TYPES
    ]

    def is_amd64(entry: dict[str, Any]) -> bool:
        platform = entry.get("platform")
        return (
            isinstance(platform, dict)
            and platform.get("os") == "linux"
            and platform.get("architecture") == "amd64"
        )

    return [e for e in entries if is_amd64(e)] + [e for e in entries if not is_amd64(e)]
