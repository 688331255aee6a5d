"""Test doubles for the assertion helpers of `conformance.checks`: canned responses and a tiny registry.

`answer(status, headers, content)` builds a `conformance.client.Response` as the client would return it.
`MemoryRegistry` is an in-memory registry behind `httpx.MockTransport` (uploads with a per-request state
in the Location, blobs, manifests, tag pages with `Link`), with switches that make it misbehave in one
way at a time; `client()` gives a `RegistryClient` talking to it. `verdicts()` runs a block under a fresh
`VerdictRecorder` so notes and SHOULD warnings can be asserted. `run_config(**switches)` is the run
configuration of a check against that registry, with default switches unless told otherwise.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx

from conformance.client import RegistryClient, Response
from conformance.client.transcript import TranscriptEntry
from conformance.options import ReadOnlyData, RunConfig
from conformance.switches import SWITCHES
from conformance.verdicts import VerdictRecorder, recording

REGISTRY = "http://registry.test"


def run_config(**switched: bool) -> RunConfig:
    """A run configuration against `REGISTRY`: default switches, the ones given switched."""
    switches = {switch.name: switch.default for switch in SWITCHES}
    switches.update(switched)
    return RunConfig(
        url=REGISTRY,
        namespace="ns",
        mount_namespace=None,
        verify=True,
        timeout=5.0,
        strict=False,
        read_only=False,
        switches=switches,
        read_only_data=ReadOnlyData("ns"),
        report_dir=None,
        report_enabled=False,
        filter=None,
    )


def answer(
    status: int,
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    content: bytes = b"",
    *,
    method: str = "GET",
    url: str = f"{REGISTRY}/v2/repo/blobs/uploads/abc",
) -> Response:
    """A response as `RegistryClient` returns it (a transcript entry, headers, the body read)."""
    return Response(
        method, url, status, httpx.Headers(headers or {}), content, 0.0, TranscriptEntry(method, url)
    )


def envelope(*codes: str) -> bytes:
    """An OCI error body with `codes`."""
    return json.dumps({"errors": [{"code": code, "message": code.lower()} for code in codes]}).encode()


@contextmanager
def verdicts() -> Iterator[VerdictRecorder]:
    """Run the block as a check would run: notes and SHOULD violations land in the recorder yielded."""
    with recording(VerdictRecorder()) as recorder:
        yield recorder


def sha256(data: bytes) -> str:
    """`sha256:<hex>` of `data`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class MemoryRegistry:
    """An in-memory registry; the switches make it break one rule each."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    manifests: dict[str, bytes] = field(default_factory=dict)
    uploads: dict[str, bytearray] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    page_size: int = 2
    single_post: bool = True
    """Answer `POST ?digest=` with 201 (True) or open a session with 202 (False)."""
    refuse_sha512: bool = False
    corrupt_blobs: bool = False
    """Serve every blob with its last byte flipped."""
    stale_locations: bool = False
    """Refuse a PATCH/PUT at any but the latest Location (like distribution's signed `_state`)."""
    loop_links: bool = False
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def client(self) -> RegistryClient:
        """A client of this registry."""
        return RegistryClient(REGISTRY, transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request."""
        self.requests.append(request)
        path = request.url.path
        query = {key: values[-1] for key, values in parse_qs(urlsplit(str(request.url)).query).items()}
        if path == "/v2/":
            return httpx.Response(200)
        if "/blobs/uploads/" in path:
            return self._upload(request, path, query)
        if "/blobs/" in path:
            digest = path.rsplit("/", 1)[1]
            if digest not in self.blobs:
                return httpx.Response(404, content=envelope("BLOB_UNKNOWN"))
            data = self.blobs[digest]
            if self.corrupt_blobs and data:
                data = data[:-1] + bytes([data[-1] ^ 1])
            return httpx.Response(200, content=data, headers={"Docker-Content-Digest": digest})
        if "/manifests/" in path and request.method == "PUT":
            body = request.read()
            digest = sha256(body)
            self.manifests[path.rsplit("/", 1)[1]] = body
            self.manifests[digest] = body
            return httpx.Response(201, headers={"Location": path, "Docker-Content-Digest": digest})
        if path.endswith("/tags/list"):
            return self._tags(path, query)
        return httpx.Response(404, content=b"404 page not found\n")

    def _upload(self, request: httpx.Request, path: str, query: dict[str, str]) -> httpx.Response:
        head, _, session = path.partition("/blobs/uploads/")
        body = request.read()
        if request.method == "POST":
            if query.get("digest-algorithm") == "sha512" and self.refuse_sha512:
                return httpx.Response(400, content=envelope("DIGEST_INVALID"))
            if "digest" in query and self.single_post:
                return self._store(head, query["digest"], body)
            session = f"s{next(self._ids)}"
            self.uploads[session] = bytearray()
            return self._progress(head, session, status=202)
        if session not in self.uploads:
            return httpx.Response(404, content=envelope("BLOB_UPLOAD_UNKNOWN"))
        data = self.uploads[session]
        if self.stale_locations and query.get("state") != str(len(data)):
            return httpx.Response(404, content=envelope("BLOB_UPLOAD_INVALID"))
        data += body
        if request.method == "PATCH":
            return self._progress(head, session, status=202)
        if request.method == "PUT":
            del self.uploads[session]
            return self._store(head, query.get("digest", ""), bytes(data))
        return httpx.Response(405)

    def _progress(self, head: str, session: str, *, status: int) -> httpx.Response:
        size = len(self.uploads[session])
        headers = {
            "Location": f"{head}/blobs/uploads/{session}?state={size}",
            "Range": f"0-{max(size - 1, 0)}",
        }
        return httpx.Response(status, headers=headers)

    def _store(self, head: str, digest: str, data: bytes) -> httpx.Response:
        algorithm = digest.split(":", 1)[0]
        if (
            algorithm not in ("sha256", "sha512")
            or digest != f"{algorithm}:" + hashlib.new(algorithm, data).hexdigest()
        ):
            return httpx.Response(400, content=envelope("DIGEST_INVALID"))
        self.blobs[digest] = data
        return httpx.Response(
            201, headers={"Location": f"{head}/blobs/{digest}", "Docker-Content-Digest": digest}
        )

    def _tags(self, path: str, query: dict[str, str]) -> httpx.Response:
        ordered = sorted(self.tags)
        last = query.get("last")
        remaining = [tag for tag in ordered if last is None or tag > last]
        page = remaining[: self.page_size]
        headers = {}
        if len(remaining) > self.page_size or self.loop_links:
            target = path if self.loop_links else f"{path}?n={self.page_size}&last={page[-1]}"
            headers["Link"] = f'<{target}>; rel="next"'
        name = path.removeprefix("/v2/").removesuffix("/tags/list")
        return httpx.Response(200, headers=headers, json={"name": name, "tags": page})
