"""Registries without the referrers API, made from the reference server by the proxy (`proxy.py`).

    HideReferrersApi      GET /v2/<name>/referrers/... answers a plain-text 404 (a registry without the API,
                          as distribution is); manifest PUT answers lose OCI-Subject (such a registry
                          processes no subject). Clients then keep the referrers tag schema themselves.
    MaintainReferrersTag  the same, and after each accepted PUT of a manifest with a `subject` the proxy
                          itself keeps the referrers tag `<alg>-<ref>` in the upstream: it pulls the tag (404:
                          an empty index), appends the manifest's descriptor unless listed, pushes the index
                          (as some registries and proxies do without the API). `drop_annotations=True`
                          leaves the annotations out of the descriptors (what a sloppy one might do).
    RefuseReferrersTag    the API hidden, and a PUT to a tag that looks like a referrers tag (`sha256-...`)
                          answers 400 MANIFEST_INVALID: a registry on which the fallback cannot work.

The tag name and descriptor are written here from the spec text, apart from the checker's own
(`conformance.spec.referrers_tag`, `conformance.content.tag_schema`): a shared mistake could not be seen.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import threading
from typing import Any
from urllib.parse import urlsplit

from tests.conformance.broken.proxy import Exchange, Fault

MANIFEST = re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<reference>[^/]+)$")
REFERRERS = re.compile(r"^/v2/(?P<name>.+)/referrers/(?P<digest>[^/]+)$")
INDEX = "application/vnd.oci.image.index.v1+json"
REFERRERS_TAG = re.compile(r"^sha(256|512)-[0-9a-f]{64}$")


class HideReferrersApi(Fault):
    """A registry without the referrers API: 404 to the API, no OCI-Subject on pushes."""

    name = "hide-referrers-api"

    def on_request(self, exchange: Exchange) -> None:
        if REFERRERS.match(exchange.path):
            exchange.answer(404, b"404 page not found\n", [("Content-Type", "text/plain; charset=utf-8")])

    def on_response(self, exchange: Exchange) -> None:
        if exchange.method == "PUT" and MANIFEST.match(exchange.path):
            exchange.set_header("OCI-Subject", None)


def _tag_of(digest: str) -> str:
    algorithm, _, encoded = digest.partition(":")
    return f"{algorithm}-{encoded[:64]}"


def _descriptor(
    body: bytes, document: dict[str, Any], media_type: str, *, annotations: bool
) -> dict[str, Any]:
    entry: dict[str, Any] = {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(body).hexdigest(),
                             "size": len(body)}
    artifact_type = document.get("artifactType")
    if not artifact_type and isinstance(document.get("config"), dict):
        artifact_type = document["config"].get("mediaType")
    if artifact_type:
        entry["artifactType"] = artifact_type
    if annotations and document.get("annotations"):
        entry["annotations"] = document["annotations"]
    return entry


class MaintainReferrersTag(HideReferrersApi):
    """The API hidden, and the referrers tag kept by the proxy in the upstream after each subject push."""

    name = "maintain-referrers-tag"

    def __init__(self, upstream: str, *, drop_annotations: bool = False) -> None:
        parts = urlsplit(upstream)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.annotations = not drop_annotations
        self.lock = threading.Lock()
        self.updates = 0

    def on_response(self, exchange: Exchange) -> None:
        super().on_response(exchange)
        matched = MANIFEST.match(exchange.path)
        if exchange.method != "PUT" or matched is None or exchange.status != 201:
            return
        try:
            document = json.loads(exchange.request_body)
        except ValueError:
            return
        subject = document.get("subject") if isinstance(document, dict) else None
        if not isinstance(subject, dict) or not isinstance(subject.get("digest"), str):
            return
        declared = exchange.request_header("content-type") or document.get("mediaType") or ""
        media_type = declared.split(";")[0]
        entry = _descriptor(exchange.request_body, document, media_type.strip(), annotations=self.annotations)
        with self.lock:
            self._append(matched["name"], _tag_of(subject["digest"]), entry)

    def _append(self, name: str, tag: str, entry: dict[str, Any]) -> None:
        path = f"/v2/{name}/manifests/{tag}"
        status, body = self._send("GET", path, b"", {"Accept": INDEX})
        index: dict[str, Any] = {"schemaVersion": 2, "mediaType": INDEX, "manifests": []}
        if status == 200:
            index = json.loads(body)
        if any(listed.get("digest") == entry["digest"] for listed in index["manifests"]):
            return
        index["manifests"].append(entry)
        data = json.dumps(index, separators=(",", ":")).encode()
        status, body = self._send("PUT", path, data, {"Content-Type": INDEX})
        if status != 201:
            raise RuntimeError(f"the upstream refused the referrers tag index: {status} {body[:200]!r}")
        self.updates += 1

    def _send(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body or None, headers=headers)
            answer = connection.getresponse()
            return answer.status, answer.read()
        finally:
            connection.close()


class RefuseReferrersTag(HideReferrersApi):
    """The API hidden, and every PUT to a referrers-tag-shaped tag refused with 400 MANIFEST_INVALID."""

    name = "refuse-referrers-tag"

    def on_request(self, exchange: Exchange) -> None:
        super().on_request(exchange)
        matched = MANIFEST.match(exchange.path)
        if exchange.method == "PUT" and matched and REFERRERS_TAG.match(matched["reference"]):
            exchange.answer(400, b'{"errors":[{"code":"MANIFEST_INVALID","message":"tag not allowed"}]}',
                            [("Content-Type", "application/json")])
