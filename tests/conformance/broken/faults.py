"""Faults (spec violations) and legal variations the proxy can put in front of a conforming registry.

Faults break one rule each, everywhere it applies (`test_broken_registries.py` says at which level):

    DropDigestHeader         GET/HEAD of blobs and manifests lose Docker-Content-Digest
    FlipBlobByte             blob GET bodies (200/206) get their first byte flipped
    WrongHeadLength          blob HEAD answers Content-Length one too large
    MountMissing201          a mount the registry could not do (202) is answered 201
    IgnoreContentRange       PATCH loses Content-Range before the registry sees it (out-of-order -> 202)
    WrongPatchRange          PATCH 202 answers Range one byte too far
    DeletedTagStillServed    tag DELETE answers 202 without deleting: the tag keeps answering 200
    TagsUnsorted             tags lists come back in reverse order
    TagsIgnoreN              tags/list loses `n` and `last` before the registry sees them
    ReferrersNoSubjectHeader manifest PUT answers lose OCI-Subject
    ReferrersWrongContentType referrers answers say Content-Type: application/json
    NonSpecErrorCode         every error envelope code becomes NOT_FOUND / BAD_REQUEST (Harbor-like)
    ServerErrorForBadInput   every 400 becomes a 500
    WrongManifestPutDigest   manifest PUT answers carry a Docker-Content-Digest of other bytes
    DatedWarningHeader       every answer gains `Warning: 110 registry.example "stale" "<date>"`
    StallBlobBody            blob GET (200) sends headers and half the body, then hangs
    PlainNotFoundForInvalidNames  NAME_INVALID answers become a plain-text 404 (as distribution 2.8.2
                             does); legal: a 4xx body may have any format, and the code is advice

Legal variations (nothing may fail): MixedLocationForms, ExtraHeaders, ErrorDetail, AnonymousBearerAuth,
RedirectBlobGets (307 to a `StorageServer` on another loopback host, which records any Authorization).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from tests.conformance.broken.proxy import Exchange, Fault

BLOB = re.compile(r"^/v2/(?P<name>.+)/blobs/(?P<digest>[^/]+)$")
MANIFEST = re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<reference>[^/]+)$")
UPLOAD = re.compile(r"^/v2/(?P<name>.+)/blobs/uploads/")
TAGS = re.compile(r"^/v2/(?P<name>.+)/tags/list$")
REFERRERS = re.compile(r"^/v2/(?P<name>.+)/referrers/(?P<digest>[^/]+)$")
UPLOADS_SEGMENT = "/blobs/uploads"


def _is_blob(exchange: Exchange) -> bool:
    return BLOB.match(exchange.path) is not None and UPLOADS_SEGMENT not in exchange.path


def _error_document(exchange: Exchange) -> dict[str, object] | None:
    if exchange.status < 400 or not exchange.body.lstrip().startswith(b"{"):
        return None
    try:
        document = json.loads(exchange.body)
    except ValueError:
        return None
    return document if isinstance(document, dict) and isinstance(document.get("errors"), list) else None


class DropDigestHeader(Fault):
    name = "drop-digest-header"

    def on_response(self, exchange: Exchange) -> None:
        if (
            exchange.method in ("GET", "HEAD")
            and exchange.status in (200, 206)
            and (_is_blob(exchange) or MANIFEST.match(exchange.path))
        ):
            exchange.set_header("Docker-Content-Digest", None)


class FlipBlobByte(Fault):
    name = "flip-blob-byte"

    def on_response(self, exchange: Exchange) -> None:
        if (
            exchange.method == "GET"
            and exchange.status in (200, 206)
            and _is_blob(exchange)
            and exchange.body
        ):
            exchange.body = bytes([exchange.body[0] ^ 0xFF]) + exchange.body[1:]


class WrongHeadLength(Fault):
    name = "wrong-head-length"

    def on_response(self, exchange: Exchange) -> None:
        length = exchange.header("content-length")
        if exchange.method == "HEAD" and exchange.status == 200 and _is_blob(exchange) and length is not None:
            exchange.set_header("Content-Length", str(int(length) + 1))


class MountMissing201(Fault):
    name = "mount-missing-201"

    def on_response(self, exchange: Exchange) -> None:
        query = dict(parse_qsl(exchange.query))
        match = UPLOAD.match(exchange.path)
        if exchange.method == "POST" and match and "mount" in query and exchange.status == 202:
            exchange.status = 201
            exchange.set_header("Location", f"/v2/{match['name']}/blobs/{query['mount']}")
            exchange.set_header("Docker-Content-Digest", query["mount"])
            exchange.set_header("Range", None)


class IgnoreContentRange(Fault):
    name = "ignore-content-range"

    def on_request(self, exchange: Exchange) -> None:
        if exchange.method == "PATCH" and UPLOAD.match(exchange.path):
            exchange.set_request_header("Content-Range", None)


class WrongPatchRange(Fault):
    name = "wrong-patch-range"

    def on_response(self, exchange: Exchange) -> None:
        value = exchange.header("range")
        if exchange.method == "PATCH" and exchange.status == 202 and value and "-" in value:
            start, end = value.split("-", 1)
            exchange.set_header("Range", f"{start}-{int(end) + 1}")


class DeletedTagStillServed(Fault):
    """Tag DELETE is acknowledged (202) but never reaches the registry: the tag keeps answering 200."""

    name = "deleted-tag-still-served"

    def on_request(self, exchange: Exchange) -> None:
        match = MANIFEST.match(exchange.path)
        if exchange.method == "DELETE" and match and ":" not in match["reference"]:
            exchange.answer(202, b"", [("Content-Length", "0")])


class TagsUnsorted(Fault):
    name = "tags-unsorted"

    def on_response(self, exchange: Exchange) -> None:
        if exchange.method == "GET" and exchange.status == 200 and TAGS.match(exchange.path):
            document = json.loads(exchange.body)
            if isinstance(document.get("tags"), list) and len(document["tags"]) > 1:
                document["tags"] = list(reversed(document["tags"]))
                exchange.body = json.dumps(document).encode()


class TagsIgnoreN(Fault):
    name = "tags-ignore-n"

    def on_request(self, exchange: Exchange) -> None:
        if TAGS.match(exchange.path) and exchange.query:
            kept = [(k, v) for k, v in parse_qsl(exchange.query) if k not in ("n", "last")]
            exchange.target = exchange.path + (f"?{urlencode(kept)}" if kept else "")


class ReferrersNoSubjectHeader(Fault):
    name = "referrers-no-subject-header"

    def on_response(self, exchange: Exchange) -> None:
        if exchange.method == "PUT" and MANIFEST.match(exchange.path):
            exchange.set_header("OCI-Subject", None)


class ReferrersWrongContentType(Fault):
    name = "referrers-wrong-content-type"

    def on_response(self, exchange: Exchange) -> None:
        if exchange.method == "GET" and exchange.status == 200 and REFERRERS.match(exchange.path):
            exchange.set_header("Content-Type", "application/json")


class NonSpecErrorCode(Fault):
    name = "non-spec-error-code"

    def on_response(self, exchange: Exchange) -> None:
        document = _error_document(exchange)
        if document is None:
            return
        code = "NOT_FOUND" if exchange.status == 404 else "BAD_REQUEST"
        for entry in document["errors"]:  # type: ignore[attr-defined]
            if isinstance(entry, dict):
                entry["code"] = code
        exchange.body = json.dumps(document).encode()


class PlainNotFoundForInvalidNames(Fault):
    """Breaks a SHOULD only: invalid names get a plain 404, not 400 NAME_INVALID (like distribution 2.8.2)."""

    name = "invalid-name-plain-404"

    def on_response(self, exchange: Exchange) -> None:
        document = _error_document(exchange)
        codes = [entry.get("code") for entry in document["errors"]] if document else []  # type: ignore[attr-defined]
        if "NAME_INVALID" in codes:
            exchange.answer(404, b"404 page not found\n", [("Content-Type", "text/plain; charset=utf-8")])


class ServerErrorForBadInput(Fault):
    name = "server-error-for-bad-input"

    def on_response(self, exchange: Exchange) -> None:
        if exchange.status == 400:
            exchange.status = 500


class WrongManifestPutDigest(Fault):
    name = "wrong-manifest-put-digest"

    def on_response(self, exchange: Exchange) -> None:
        if exchange.method == "PUT" and exchange.status == 201 and MANIFEST.match(exchange.path):
            other = hashlib.sha256(exchange.request_body + b"\n").hexdigest()
            exchange.set_header("Docker-Content-Digest", f"sha256:{other}")


class DatedWarningHeader(Fault):
    """Every answer carries a Warning of another warn-code, dated (RFC 7234 form, not the spec's)."""

    name = "dated-warning-header"

    def on_response(self, exchange: Exchange) -> None:
        exchange.headers.append(("Warning", '110 registry.example "stale" "Mon, 07 Dec 2026 00:00:00 GMT"'))


class StallBlobBody(Fault):
    name = "stall-blob-body"

    def on_response(self, exchange: Exchange) -> None:
        if (
            exchange.method == "GET"
            and exchange.status == 200
            and _is_blob(exchange)
            and len(exchange.body) >= 2
        ):
            exchange.stall_after = len(exchange.body) // 2


# legal variations -----------------------------------------------------------------------------------------
class MixedLocationForms(Fault):
    """Every other `Location` absolute (scheme://host/path), the others relative (path only): both legal."""

    name = "mixed-location-forms"

    def __init__(self) -> None:
        self.absolute = 0
        self.relative = 0
        self.lock = threading.Lock()

    def on_response(self, exchange: Exchange) -> None:
        location = exchange.header("location")
        if location is None:
            return
        absolute = urljoin(exchange.proxy_url + "/", location)
        if urlsplit(absolute).netloc != urlsplit(exchange.proxy_url).netloc:
            return  # another host (a redirect to storage): leave it alone
        with self.lock:
            make_absolute = (self.absolute + self.relative) % 2 == 0
            if make_absolute:
                self.absolute += 1
            else:
                self.relative += 1
        parts = urlsplit(absolute)
        relative = parts.path + (f"?{parts.query}" if parts.query else "")
        exchange.set_header("Location", absolute if make_absolute else relative)


class ExtraHeaders(Fault):
    name = "extra-headers"

    def on_response(self, exchange: Exchange) -> None:
        exchange.headers += [
            ("X-Proxy-Request-Id", secrets.token_hex(8)),
            ("Server", "fault-proxy/1"),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("Warning", '299 - "served through the harness test proxy"'),
        ]


class ErrorDetail(Fault):
    name = "error-detail"

    def on_response(self, exchange: Exchange) -> None:
        document = _error_document(exchange)
        if document is None:
            return
        for entry in document["errors"]:  # type: ignore[attr-defined]
            if isinstance(entry, dict):
                entry["detail"] = {
                    "proxy": "fault-proxy",
                    "upstream": entry.get("detail"),
                    "hints": [1, "two"],
                }
        exchange.body = json.dumps(document).encode()


class AnonymousBearerAuth(Fault):
    """Bearer-token auth before the registry: 401 + challenge without a token, anonymous tokens at /token."""

    name = "anonymous-bearer-auth"
    service = "fault-proxy"

    def __init__(self) -> None:
        self.tokens: set[str] = set()
        self.scopes_requested: list[str] = []
        self.challenged = 0

    def on_request(self, exchange: Exchange) -> None:
        if exchange.path == "/token":
            token = secrets.token_urlsafe(24)
            self.tokens.add(token)
            self.scopes_requested += [v for k, v in parse_qsl(exchange.query) if k == "scope"]
            body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
            exchange.answer(200, body, [("Content-Type", "application/json")])
            return
        authorization = exchange.request_header("authorization") or ""
        if authorization.startswith("Bearer ") and authorization[7:] in self.tokens:
            exchange.set_request_header("Authorization", None)
            return
        self.challenged += 1
        challenge = f'Bearer realm="{exchange.proxy_url}/token",service="{self.service}"'
        scope = _scope_of(exchange)
        if scope:
            challenge += f',scope="{scope}"'
        body = json.dumps(
            {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}
        ).encode()
        exchange.answer(401, body, [("Content-Type", "application/json"), ("WWW-Authenticate", challenge)])


def _scope_of(exchange: Exchange) -> str | None:
    if exchange.path.startswith("/v2/_catalog"):
        return "registry:catalog:*"
    for pattern in (UPLOAD, BLOB, MANIFEST, TAGS, REFERRERS):
        match = pattern.match(exchange.path)
        if match:
            actions = "pull" if exchange.method in ("GET", "HEAD") else "pull,push"
            if exchange.method == "DELETE" and pattern is not UPLOAD:
                actions = "delete"
            return f"repository:{match['name']}:{actions}"
    return None


class StorageServer:
    """A second loopback host that serves blobs the proxy redirects to; it records Authorization headers."""

    def __init__(self, upstream: str, host: str = "127.0.0.2") -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.authorization_seen: list[str] = []
        self.served = 0
        self._server = ThreadingHTTPServer((host, 0), self._handler_class())
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, name="storage", daemon=True).start()

    def stop(self) -> None:
        """Shut the listener down."""
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        storage = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                """Silence the per-request log."""

            def do_GET(self) -> None:
                if self.headers.get("Authorization"):
                    storage.authorization_seen.append(self.headers["Authorization"])
                path = self.path.removeprefix("/storage")
                connection = http.client.HTTPConnection(*storage.upstream, timeout=30)
                try:
                    headers = {"Range": self.headers["Range"]} if self.headers.get("Range") else {}
                    connection.request("GET", path, headers=headers)
                    answer = connection.getresponse()
                    body = answer.read()
                    storage.served += 1
                    self.send_response(answer.status)
                    for key in ("Content-Type", "Content-Range", "Docker-Content-Digest"):
                        if answer.getheader(key):
                            self.send_header(key, answer.getheader(key) or "")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    connection.close()

        return Handler


class RedirectBlobGets(Fault):
    """Blob GETs answer 307 to the storage host (with the same path under /storage)."""

    name = "redirect-blob-gets"

    def __init__(self, storage: StorageServer) -> None:
        self.storage = storage

    def on_request(self, exchange: Exchange) -> None:
        if exchange.method == "GET" and _is_blob(exchange):
            exchange.answer(307, b"", [("Location", f"{self.storage.url}/storage{exchange.target}")])
