"""Helpers for the reference server's HTTP tests: an httpx client bound to a running server, push helpers."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from conformance.registries import RegistryProcess

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def unique_repo(prefix: str = "test") -> str:
    return f"{prefix}/r{uuid.uuid4().hex[:12]}"


@dataclass
class Pushed:
    """A manifest pushed by `Registry.push_image` (digest, bytes and the blobs it references)."""

    digest: str
    body: bytes
    media_type: str
    config: bytes
    layers: list[bytes]


class Registry:
    """An httpx client bound to one running server, with push helpers."""

    def __init__(self, process: RegistryProcess) -> None:
        self.process = process
        self.url = process.url
        self.client = httpx.Client(base_url=process.url, timeout=30.0)

    def push_blob(self, repo: str, data: bytes) -> str:
        digest = sha256(data)
        response = self.client.post(f"/v2/{repo}/blobs/uploads/", params={"digest": digest}, content=data)
        assert response.status_code == 201, response.text
        return digest

    def put_manifest(
        self,
        repo: str,
        reference: str,
        document: dict[str, Any] | bytes,
        media_type: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        if media_type is None and isinstance(document, dict):
            media_type = document.get("mediaType")
        headers = {"Content-Type": media_type} if media_type else {}
        return self.client.put(f"/v2/{repo}/manifests/{reference}", content=body, headers=headers, **kwargs)

    def image_manifest(
        self,
        repo: str,
        *,
        layers: int = 1,
        media_type: str = OCI_MANIFEST,
        config_type: str = OCI_CONFIG,
        extra: dict[str, Any] | None = None,
    ) -> Pushed:
        config = json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "nonce": uuid.uuid4().hex,
                "rootfs": {"type": "layers", "diff_ids": []},
            }
        ).encode()
        layer_bytes = [uuid.uuid4().bytes * (i + 1) for i in range(layers)]
        document: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {"mediaType": config_type, "digest": self.push_blob(repo, config), "size": len(config)},
            "layers": [
                {"mediaType": OCI_LAYER, "digest": self.push_blob(repo, data), "size": len(data)}
                for data in layer_bytes
            ],
        }
        document.update(extra or {})
        body = json.dumps(document).encode()
        return Pushed(sha256(body), body, media_type, config, layer_bytes)

    def push_image(self, repo: str, reference: str | None = None, **kwargs: Any) -> Pushed:
        pushed = self.image_manifest(repo, **kwargs)
        response = self.put_manifest(repo, reference or pushed.digest, pushed.body, pushed.media_type)
        assert response.status_code == 201, response.text
        assert response.headers["docker-content-digest"] == pushed.digest
        return pushed

    def close(self) -> None:
        self.client.close()


def error_codes(response: httpx.Response) -> list[str]:
    """The OCI error codes of an error answer (asserting the envelope shape)."""
    assert response.headers["content-type"].startswith("application/json"), response.headers
    document = response.json()
    assert set(document) == {"errors"}
    for entry in document["errors"]:
        assert isinstance(entry["code"], str)
        assert isinstance(entry.get("message", ""), str)
    return [entry["code"] for entry in document["errors"]]
