"""Image configuration blobs: the OCI image config (image-spec `config.md`) and Docker's container config.

Both list the layers' `diff_ids` in `rootfs`; `architecture`, `os` and `rootfs` are required.
The JSON is compact with keys in insertion order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from conformance.content.blobs import Blob
from conformance.spec import media_types

FIXED_CREATED = "2000-01-01T00:00:00Z"


def canonical_json(document: Any) -> bytes:
    """Compact UTF-8 JSON in insertion order: the byte form our builders push."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def config_document(
    diff_ids: Sequence[str],
    *,
    architecture: str = "amd64",
    os: str = "linux",
    variant: str | None = None,
    os_version: str | None = None,
    labels: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON object of an image config for layers with `diff_ids`."""
    document: dict[str, Any] = {"created": FIXED_CREATED, "architecture": architecture, "os": os}
    if variant is not None:
        document["variant"] = variant
    if os_version is not None:
        document["os.version"] = os_version
    document["config"] = {
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        "Cmd": ["/bin/sh"],
        "Labels": dict(labels or {}),
    }
    document["rootfs"] = {"type": "layers", "diff_ids": list(diff_ids)}
    document["history"] = [
        {"created": FIXED_CREATED, "created_by": "registry-harness builder"} for _ in diff_ids
    ]
    document.update(extra or {})
    return document


def image_config(
    diff_ids: Sequence[str],
    *,
    architecture: str = "amd64",
    os: str = "linux",
    variant: str | None = None,
    os_version: str | None = None,
    labels: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
    algorithm: str = "sha256",
) -> Blob:
    """An OCI image config blob (`application/vnd.oci.image.config.v1+json`)."""
    document = config_document(
        diff_ids,
        architecture=architecture,
        os=os,
        variant=variant,
        os_version=os_version,
        labels=labels,
        extra=extra,
    )
    return Blob(canonical_json(document), media_types.OCI_CONFIG, algorithm)


def docker_container_config(
    diff_ids: Sequence[str],
    *,
    architecture: str = "amd64",
    os: str = "linux",
    os_version: str | None = None,
) -> Blob:
    """A Docker container config blob (`application/vnd.docker.container.image.v1+json`)."""
    document = config_document(diff_ids, architecture=architecture, os=os, os_version=os_version)
    return Blob(canonical_json(document), media_types.DOCKER_CONFIG)
