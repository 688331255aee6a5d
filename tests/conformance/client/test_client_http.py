"""Redirects, Location handling, streamed bodies and operation requests (httpx.MockTransport)."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from conformance.client import BodyStream, Credentials, RegistryClient
from conformance.client.registry import DEFAULT_ACCEPT, scopes_for
from conformance.client.session import SLICE_SIZE
from conformance.content import docker_manifest, image_index, image_manifest
from conformance.spec import media_types

REGISTRY = "http://registry.test:5000"
XYZ_DIGEST = "sha256:3608bca1e44ea6c4d268eb6db02260269892c0b42b86bbf1e77a6fa16c3c9282"  # sha256sum of "xyz"
BASIC = "Basic " + base64.b64encode(b"u:p").decode()


def make_client(handler: Callable[[httpx.Request], httpx.Response], **options: object) -> RegistryClient:
    return RegistryClient(REGISTRY, transport=httpx.MockTransport(handler), **options)  # type: ignore[arg-type]


def basic_protected(request: httpx.Request) -> httpx.Response | None:
    if request.url.host == "registry.test" and request.headers.get("authorization") != BASIC:
        return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
    return None


def test_blob_redirect_to_storage_host_drops_authorization() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if (refused := basic_protected(request)) is not None:
            return refused
        if request.url.host == "registry.test":
            return httpx.Response(307, headers={"Location": "https://storage.test/bucket/blob?sig=a%2Fb&x=1"})
        return httpx.Response(200, content=b"blob-bytes")

    with make_client(handler, credentials=Credentials("u", "p")) as client:
        response = client.blob_get("repo", "sha256:" + "a" * 64)
    assert response.status_code == 200 and response.content == b"blob-bytes"
    assert str(seen[-1].url) == "https://storage.test/bucket/blob?sig=a%2Fb&x=1"
    assert "authorization" not in seen[-1].headers
    assert seen[-2].headers["authorization"] == BASIC
    assert [hop.status_code for hop in response.history] == [307]
    assert [e.status for e in client.transcript.entries] == [401, 307, 200]


def test_same_origin_redirect_keeps_authorization_and_relative_location() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if (refused := basic_protected(request)) is not None:
            return refused
        if request.url.path.startswith("/v2/repo/blobs/"):
            return httpx.Response(302, headers={"Location": "../../other/blobs/x"})
        return httpx.Response(200, content=b"ok")

    with make_client(handler, credentials=Credentials("u", "p")) as client:
        response = client.blob_get("repo", "sha256:" + "a" * 64)
    assert response.url == REGISTRY + "/v2/other/blobs/x"
    assert seen[-1].headers["authorization"] == BASIC


def test_redirects_stop_after_five_hops() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        hop = int(request.url.params.get("hop", "0"))
        return httpx.Response(307, headers={"Location": f"/loop?hop={hop + 1}"})

    with make_client(handler) as client:
        response = client.request("GET", "/v2/")
    assert response.status_code == 307 and len(response.history) == 5
    assert len(client.transcript) == 6
    assert response.entry.note is not None and "stopped after 5 redirects" in response.entry.note


def test_307_resends_the_body_and_303_switches_to_get() -> None:
    seen: list[tuple[str, str, bytes, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path, request.read(), request.headers.get("content-type")))
        if request.url.path == "/a":
            return httpx.Response(307, headers={"Location": "/b"})
        if request.url.path == "/b":
            return httpx.Response(303, headers={"Location": "/c"})
        return httpx.Response(200)

    with make_client(handler) as client:
        client.request("PUT", "/a", content=b"payload", headers={"Content-Type": "text/plain"})
    assert seen == [
        ("PUT", "/a", b"payload", "text/plain"),
        ("PUT", "/b", b"payload", "text/plain"),
        ("GET", "/c", b"", None),
    ]


def test_upload_location_query_is_sent_back_verbatim() -> None:
    state = "_state=Ab-c_d%3D%3D&weird=%7e~"
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.raw_path.decode()}")
        if request.method == "POST":
            return httpx.Response(
                202, headers={"Location": f"/v2/repo/blobs/uploads/u1?{state}", "Range": "0-0"}
            )
        if request.method == "PATCH":
            return httpx.Response(202, headers={"Location": f"{REGISTRY}/v2/repo/blobs/uploads/u1?{state}2"})
        return httpx.Response(201)

    with make_client(handler) as client:
        started = client.upload_start("repo")
        assert started.location == f"{REGISTRY}/v2/repo/blobs/uploads/u1?{state}"
        patched = client.upload_patch(started.location, b"abc", content_range="0-2")
        assert patched.location is not None
        client.upload_put(patched.location, "sha256:" + "b" * 64)
    assert seen == [
        "POST /v2/repo/blobs/uploads/",
        f"PATCH /v2/repo/blobs/uploads/u1?{state}",
        f"PUT /v2/repo/blobs/uploads/u1?{state}2&digest=sha256:" + "b" * 64,
    ]


def test_large_bodies_are_streamed_with_explicit_content_length() -> None:
    received: dict[str, object] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        received["length"] = request.headers.get("content-length")
        received["chunked"] = request.headers.get("transfer-encoding")
        received["body"] = request.read()
        return httpx.Response(202)

    data = bytes(range(256)) * (SLICE_SIZE // 256 * 3 + 7)
    with make_client(handler) as client:
        client.upload_patch(REGISTRY + "/v2/r/blobs/uploads/x", data)
        assert received == {"length": str(len(data)), "chunked": None, "body": data}
        assert f"<{len(data)} bytes binary>" in client.transcript.entries[-1].request_body
        stream = BodyStream(6, lambda: iter([b"abc", b"def"]))
        client.upload_patch(REGISTRY + "/v2/r/blobs/uploads/x", stream)
        assert received["body"] == b"abcdef" and received["length"] == "6"


def test_operation_requests_are_shaped_as_the_spec_says() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return httpx.Response(200, headers={"Link": '</v2/_catalog?last=b&n=2>; rel="next"'})

    digest = "sha256:" + "c" * 64
    with make_client(handler) as client:
        client.upload_start("r", params={"digest-algorithm": "sha512"})
        client.upload_monolithic("r", b"xyz")
        client.manifest_put("r", "v1", b"{}", media_types.OCI_MANIFEST, tags=("a", "b"))
        client.manifest_get("r", "v1")
        client.manifest_head("r", "v1", accept=None)
        client.tags_list("r", n=2, last="a")
        client.referrers("r", digest, artifact_type="application/x+y")
        page = client.catalog(n=2)
        client.upload_cancel(REGISTRY + "/v2/r/blobs/uploads/u")
    urls = [f"{r.method} {r.url.raw_path.decode()}" for r in seen]
    assert urls == [
        "POST /v2/r/blobs/uploads/?digest-algorithm=sha512",
        "POST /v2/r/blobs/uploads/?digest=" + XYZ_DIGEST,
        "PUT /v2/r/manifests/v1?tag=a&tag=b",
        "GET /v2/r/manifests/v1",
        "HEAD /v2/r/manifests/v1",
        "GET /v2/r/tags/list?n=2&last=a",
        f"GET /v2/r/referrers/{digest}?artifactType=application/x%2By",
        "GET /v2/_catalog?n=2",
        "DELETE /v2/r/blobs/uploads/u",
    ]
    assert seen[0].headers["content-length"] == "0"
    assert seen[2].headers["content-type"] == media_types.OCI_MANIFEST
    assert seen[3].headers["accept"] == ", ".join(DEFAULT_ACCEPT)
    assert "accept" not in seen[4].headers  # accept=None: no Accept at all, not httpx's default */*
    assert client.follow_link(page) == REGISTRY + "/v2/_catalog?last=b&n=2"


@pytest.mark.parametrize(
    ("method", "url", "scopes"),
    [
        ("GET", "/v2/a/b/manifests/v1", ("repository:a/b:pull",)),
        ("PUT", "/v2/a/manifests/v1", ("repository:a:pull,push",)),
        ("DELETE", "/v2/a/blobs/sha256:00", ("repository:a:delete",)),
        ("PATCH", "http://h/v2/x/blobs/uploads/u?_state=z", ("repository:x:pull,push",)),
        ("DELETE", "http://h/v2/x/blobs/uploads/u", ("repository:x:pull,push",)),
        ("GET", "/v2/_catalog?n=1", ("registry:catalog:*",)),
        ("GET", "/v2/", ()),
    ],
)
def test_scopes_inferred_from_paths(method: str, url: str, scopes: tuple[str, ...]) -> None:
    assert scopes_for(method, url) == scopes


def test_push_image_pushes_blobs_once_and_children_before_parents() -> None:
    shared = image_manifest(1)
    index = image_index([shared, image_index([shared, docker_manifest(2)])])
    order: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        path = request.url.path
        if request.method == "POST":
            return httpx.Response(202, headers={"Location": "/v2/r/blobs/uploads/u"})
        if request.method == "PUT" and "/blobs/uploads/" in path:
            order.append("blob " + request.url.params["digest"])
            return httpx.Response(201)
        order.append("manifest " + path.rsplit("/", 1)[1])
        return httpx.Response(201)

    with make_client(handler) as client:
        descriptor = client.push_image("r", index, tag="multi")
    assert descriptor.digest == index.digest
    blobs = [line for line in order if line.startswith("blob ")]
    assert len(blobs) == len(set(blobs)) == len(index.all_blobs()) == 4
    manifests = [line.split()[1] for line in order if line.startswith("manifest ")]
    inner = index.children[1]
    assert manifests == [shared.digest, inner.children[1].digest, inner.digest, "multi"]
    assert order.index("manifest " + shared.digest) > max(order.index(b) for b in blobs)


def test_accept_none_sends_no_accept_header_on_the_wire() -> None:
    """httpx adds `Accept: */*` by default; `accept=None` must send none (seen by a loopback server)."""
    received: list[list[str]] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            received.append([name.lower() for name in self.headers])
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_HEAD = do_GET  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with RegistryClient(f"http://127.0.0.1:{server.server_port}", timeout=5.0) as client:
            get = client.manifest_get("r", "v1", accept=None)
            head = client.manifest_head("r", "v1", accept=None)
            raw = client.request("GET", "/v2/r/manifests/v1", headers={"Accept": None})
            default = client.manifest_get("r", "v1")
    finally:
        server.shutdown()
        server.server_close()
    assert [len(names) > 0 for names in received] == [True] * 4
    assert ["accept" in names for names in received] == [False, False, False, True]
    for response in (get, head, raw):
        assert not any(name.lower() == "accept" for name, _ in response.entry.request_headers)
    assert any(name.lower() == "accept" for name, _ in default.entry.request_headers)
