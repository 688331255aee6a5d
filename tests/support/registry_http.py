"""Small registry-protocol helpers for the harness's own tests: push/fetch blobs and manifests, check errors.

The error-code table here is the tests' own copy of the distribution-spec table (never imported from
the server: a fact shared by the server and its checker cannot be checked).
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

# The distribution-spec error codes (spec.md "Error Codes"), plus the two legacy Docker codes it allows.
OCI_ERROR_CODES = frozenset({
    "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID", "MANIFEST_BLOB_UNKNOWN",
    "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID", "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED",
    "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS", "TAG_INVALID", "MANIFEST_UNVERIFIED",
})
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
TIMEOUT = httpx.Timeout(30.0)


def digest_of(data: bytes) -> str:
    """`sha256:<hex>` of `data`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def error_codes(body: bytes) -> list[str]:
    """Codes of an OCI error envelope (`{"errors": [{"code": ...}]}`); empty when the body is not one."""
    try:
        document = json.loads(body)
    except ValueError:
        return []
    if not isinstance(document, dict) or not isinstance(document.get("errors"), list):
        return []
    return [str(item.get("code")) for item in document["errors"] if isinstance(item, dict)]


def describe(method: str, target: str, status: int, body: bytes) -> str:
    """One line saying what was sent and what came back, for assertion messages."""
    return f"{method} {target[:200]} -> {status} {body[:300]!r}"


@dataclass(frozen=True)
class Answer:
    """What was asked and what came back, whichever client sent it."""

    method: str
    target: str
    status: int
    body: bytes

    @classmethod
    def of(cls, response: httpx.Response) -> Answer:
        """The answer of an httpx response."""
        request = response.request
        return cls(request.method, str(request.url), response.status_code, response.content)

    def __str__(self) -> str:
        return describe(self.method, self.target, self.status, self.body)


def assert_oci_error(answer: Answer, statuses: Iterable[int], codes: Iterable[str]) -> None:
    """Assert a 4xx answer with an allowed status and an OCI error envelope whose first code is allowed."""
    allowed_statuses, allowed_codes = set(statuses), set(codes)
    context = str(answer)
    assert answer.status in allowed_statuses, f"expected status in {sorted(allowed_statuses)}: {context}"
    if answer.method == "HEAD":
        return
    found = error_codes(answer.body)
    assert found, f"expected an OCI error envelope: {context}"
    assert set(found) <= OCI_ERROR_CODES, f"codes outside the OCI table: {context}"
    assert found[0] in allowed_codes, f"expected code in {sorted(allowed_codes)}: {context}"


def upload_url(base: str, location: str, **query: str) -> str:
    """The absolute upload `Location` with extra query parameters appended."""
    absolute = urllib.parse.urljoin(base + "/", location)
    if not query:
        return absolute
    separator = "&" if urllib.parse.urlsplit(absolute).query else "?"
    return absolute + separator + urllib.parse.urlencode(query)


def start_upload(client: httpx.Client, base: str, repo: str) -> str:
    """POST an upload session; return its absolute Location."""
    response = client.post(f"{base}/v2/{repo}/blobs/uploads/", headers={"Content-Length": "0"})
    assert response.status_code == 202, Answer.of(response)
    return upload_url(base, response.headers["Location"])


def push_blob(client: httpx.Client, base: str, repo: str, data: bytes) -> str:
    """POST + PUT a whole blob; return its digest."""
    digest = digest_of(data)
    location = start_upload(client, base, repo)
    response = client.put(upload_url(base, location, digest=digest), content=data)
    assert response.status_code == 201, Answer.of(response)
    return digest


def image_manifest(config: bytes, layers: list[bytes], **extra: object) -> bytes:
    """An OCI image manifest for the given config and layer bytes (not pushed)."""
    document: dict[str, object] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": digest_of(config), "size": len(config)},
        "layers": [
            {"mediaType": OCI_LAYER, "digest": digest_of(layer), "size": len(layer)} for layer in layers
        ],
        **extra,
    }
    return json.dumps(document).encode()


def push_image(
    client: httpx.Client, base: str, repo: str, tag: str, seed: bytes
) -> tuple[bytes, dict[str, bytes]]:
    """Push a small one-layer image under `tag`; return the manifest bytes and the blobs by digest."""
    config_document = {
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": []},
        "seed": seed.hex(),
    }
    config = json.dumps(config_document).encode()
    layer = b"layer:" + seed
    blobs = {push_blob(client, base, repo, data): data for data in (config, layer)}
    manifest = image_manifest(config, [layer])
    response = client.put(f"{base}/v2/{repo}/manifests/{tag}", content=manifest,
                          headers={"Content-Type": OCI_MANIFEST})
    assert response.status_code == 201, Answer.of(response)
    return manifest, blobs
