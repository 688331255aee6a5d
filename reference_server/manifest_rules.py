"""Manifest validation on PUT: the rules a JSON Schema cannot express, plus the schema check via the adapter.

`inspect(body, content_type)` parses and checks a manifest and returns what the handler needs (media type,
descriptors that must exist in the repository, subject, referrer descriptor fields). Every violation is
collected (not just the first) and raised as one `ManifestInvalidError` carrying a list of reasons; the
handler turns it into 400 MANIFEST_INVALID. Existence of referenced blobs and child manifests is checked
by the handler against the stores (400 MANIFEST_BLOB_UNKNOWN per missing digest).

Media type: the body's ``mediaType`` when present, and then a Content-Type (parameters ignored) must equal
it; without ``mediaType`` the Content-Type decides, and a missing or generic one (``application/json``,
``application/octet-stream``) lets the structure decide (``manifests`` -> OCI index, else OCI manifest).

Accepted formats: OCI image manifest, OCI image index (nested indexes too), artifacts (``artifactType``,
empty config), Docker schema 2 manifest and manifest list. Schema 1 and any other type -> MANIFEST_INVALID.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from reference_server import media_types as mt
from reference_server.digests import digest_bytes
from reference_server.grammar import Digest, GrammarError, is_grammatical_digest, parse_digest
from reference_server.schema_adapter import schema_violations


class ManifestInvalidError(ValueError):
    """A manifest breaks one or more rules; `reasons` lists them (path + message)."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True, slots=True)
class Reference:
    """A descriptor the repository must hold: a blob (config/layer) or a child manifest."""

    path: str
    media_type: str
    digest: Digest | None  # None: grammatical digest of an algorithm this registry does not store
    raw_digest: str
    size: int


@dataclass
class ManifestInfo:
    """What a valid manifest tells the handler."""

    media_type: str
    document: dict[str, Any]
    blobs: list[Reference] = field(default_factory=list)
    children: list[Reference] = field(default_factory=list)
    subject: str | None = None
    artifact_type: str | None = None
    annotations: dict[str, str] | None = None


def inspect(body: bytes, content_type: str | None) -> ManifestInfo:
    """Parse and validate a manifest body sent with `content_type`; raise ManifestInvalidError."""
    try:
        document = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestInvalidError([f"body is not valid JSON: {str(exc)[:200]}"]) from None
    except RecursionError:
        raise ManifestInvalidError(["body nests JSON too deeply"]) from None
    if not isinstance(document, dict):
        raise ManifestInvalidError(["manifest must be a JSON object"])
    reasons: list[str] = []
    schema_version = document.get("schemaVersion")
    if type(schema_version) is not int or schema_version != 2:
        raise ManifestInvalidError([f"schemaVersion must be 2, got {schema_version!r}"])
    media_type = _media_type(document, mt.bare(content_type))
    info = ManifestInfo(media_type, document)
    if media_type in mt.IMAGE_MANIFEST_TYPES:
        _check_image_manifest(document, info, reasons)
    else:
        _check_index(document, info, reasons)
    _check_common(document, info, reasons)
    try:
        reasons.extend(schema_violations(document, media_type))
    except RecursionError:
        reasons.append("document nests too deeply to validate")
    if reasons:
        raise ManifestInvalidError(reasons)
    return info


def _reject_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (RFC 8259); Python's parser would accept them."""
    raise ValueError(f"{name} is not a JSON value")


def _media_type(document: dict[str, Any], content_type: str) -> str:
    declared = document.get("mediaType")
    if declared is not None:
        if not isinstance(declared, str):
            raise ManifestInvalidError(["mediaType must be a string"])
        if content_type and content_type != declared:
            raise ManifestInvalidError(
                [f"mediaType {declared!r} does not match Content-Type {content_type!r}"]
            )
        media_type = declared
    elif content_type and content_type not in mt.GENERIC_TYPES:
        media_type = content_type
    else:
        media_type = mt.OCI_INDEX if "manifests" in document else mt.OCI_MANIFEST
    if media_type not in mt.MANIFEST_TYPES:
        raise ManifestInvalidError([f"unsupported manifest media type {media_type!r}"])
    return media_type


def _check_image_manifest(document: dict[str, Any], info: ManifestInfo, reasons: list[str]) -> None:
    config = document.get("config")
    if _check_descriptor(config, "config", reasons):
        assert isinstance(config, dict)
        info.blobs.append(_reference("config", config))
        if config["mediaType"] == mt.OCI_EMPTY and "artifactType" not in document:
            reasons.append("config: the empty config requires a top-level artifactType")
    layers = document.get("layers")
    if not isinstance(layers, list):
        reasons.append("layers: must be an array")
        layers = []
    for index, layer in enumerate(layers):
        path = f"layers[{index}]"
        if not _check_descriptor(layer, path, reasons):
            continue
        if layer["mediaType"] in mt.FOREIGN_LAYER_TYPES and layer.get("urls"):
            continue
        info.blobs.append(_reference(path, layer))
    artifact_type = document.get("artifactType")
    if artifact_type is not None:
        info.artifact_type = artifact_type
    elif isinstance(config, dict) and isinstance(config.get("mediaType"), str):
        info.artifact_type = config["mediaType"]


def _check_index(document: dict[str, Any], info: ManifestInfo, reasons: list[str]) -> None:
    manifests = document.get("manifests")
    if not isinstance(manifests, list):
        reasons.append("manifests: must be an array")
        return
    for index, entry in enumerate(manifests):
        path = f"manifests[{index}]"
        if not _check_descriptor(entry, path, reasons):
            continue
        platform = entry.get("platform")
        if platform is not None and not (
            isinstance(platform, dict)
            and isinstance(platform.get("architecture"), str)
            and isinstance(platform.get("os"), str)
        ):
            reasons.append(f"{path}.platform: must be an object with string architecture and os")
        info.children.append(_reference(path, entry))
    artifact_type = document.get("artifactType")
    if artifact_type is not None:
        info.artifact_type = artifact_type


def _check_common(document: dict[str, Any], info: ManifestInfo, reasons: list[str]) -> None:
    artifact_type = document.get("artifactType")
    if artifact_type is not None and not (
        isinstance(artifact_type, str) and mt.MEDIA_TYPE_RE.fullmatch(artifact_type)
    ):
        reasons.append("artifactType: must be a media type (type/subtype)")
        info.artifact_type = None
    annotations = document.get("annotations")
    if annotations is not None:
        if _is_string_map(annotations):
            info.annotations = annotations
        else:
            reasons.append("annotations: must map strings to strings")
    subject = document.get("subject")
    if subject is not None and _check_descriptor(subject, "subject", reasons):
        info.subject = subject["digest"]


def _reference(path: str, descriptor: dict[str, Any]) -> Reference:
    try:
        digest: Digest | None = parse_digest(descriptor["digest"])
    except GrammarError:
        digest = None
    return Reference(path, descriptor["mediaType"], digest, descriptor["digest"], descriptor["size"])


def _check_descriptor(value: Any, path: str, reasons: list[str]) -> bool:
    """Check one descriptor; True when it is usable (mediaType, digest, size all sound)."""
    if not isinstance(value, dict):
        reasons.append(f"{path}: must be a descriptor object")
        return False
    sound = True
    media_type = value.get("mediaType")
    if not (isinstance(media_type, str) and mt.MEDIA_TYPE_RE.fullmatch(media_type)):
        reasons.append(f"{path}.mediaType: missing or not a media type")
        sound = False
    digest = value.get("digest")
    if not (isinstance(digest, str) and is_grammatical_digest(digest)):
        reasons.append(f"{path}.digest: missing or malformed digest {digest!r}")
        sound = False
    elif ":" in digest and digest.split(":", 1)[0] in ("sha256", "sha512"):
        try:
            parse_digest(digest)
        except GrammarError as exc:
            reasons.append(f"{path}.digest: {exc}")
            sound = False
    size = value.get("size")
    if type(size) is not int or size < 0:
        reasons.append(f"{path}.size: must be a non-negative integer, got {size!r}")
        sound = False
    urls = value.get("urls")
    if urls is not None and not (isinstance(urls, list) and all(isinstance(url, str) for url in urls)):
        reasons.append(f"{path}.urls: must be an array of strings")
    annotations = value.get("annotations")
    if annotations is not None and not _is_string_map(annotations):
        reasons.append(f"{path}.annotations: must map strings to strings")
    artifact_type = value.get("artifactType")
    if artifact_type is not None and not (
        isinstance(artifact_type, str) and mt.MEDIA_TYPE_RE.fullmatch(artifact_type)
    ):
        reasons.append(f"{path}.artifactType: must be a media type")
    if sound and "data" in value:
        _check_data(value, path, reasons)
    return sound


def _check_data(descriptor: dict[str, Any], path: str, reasons: list[str]) -> None:
    data = descriptor["data"]
    try:
        content = base64.b64decode(data, validate=True) if isinstance(data, str) else None
    except (binascii.Error, ValueError):
        content = None
    if content is None:
        reasons.append(f"{path}.data: must be base64")
        return
    if len(content) != descriptor["size"]:
        reasons.append(f"{path}.data: decodes to {len(content)} bytes, size says {descriptor['size']}")
        return
    try:
        digest = parse_digest(descriptor["digest"])
    except GrammarError:
        return
    if digest_bytes(content, digest.algorithm) != digest:
        reasons.append(f"{path}.data: content does not match digest {digest}")


def _is_string_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )
