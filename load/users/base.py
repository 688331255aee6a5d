"""The shared base of every scenario: registry operations over Locust's HttpUser, with byte accounting.

`RegistryOperations` (mixed into `RegistryUser` and `FastRegistryUser`) knows the distribution-spec
requests (blob HEAD/POST/PUT/PATCH/GET, manifest PUT/GET/HEAD, tags list, referrers) and reports each
as a Locust request row with a templated name, so upload ids and digests never explode the stats
table. On top it records:

- bytes up (request bodies, counted once the registry answered) and down (each chunk read) per scenario;
- `OP` rows: whole operations (a blob push, an image pull) timed end to end;
- `TTFB` / `XFER` rows for blob GETs: time to the response head, and to the last body byte;
- OCI error codes of every failed response, digest mismatches on pull (also failures).

Bodies are streamed from the content pool (never copied) and responses are read in 1 MiB chunks.
Every request carries a timeout; upload `Location` headers pointing at another host are refused, so
uploads stay on the target. Sending one request (`users/calls.py`): credentials (`--bearer-token`,
OCI_USERNAME/OCI_PASSWORD, docker config.json) and the token flow of `users/tokens.py`, 429 /
503-with-Retry-After retries (their own `429`/`503` rows), and GET/HEAD redirects to another origin
(object storage) followed without the registry's Authorization; byte counts and digest checks are of the
final body.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from locust import FastHttpUser, HttpUser

from load.auth import authorization
from load.content import Blob, BlobBody
from load.metrics import COUNTERS
from load.users.calls import Calls, OperationError
from load.users.runtime import RUNTIME

__all__ = ["FastRegistryUser", "OperationError", "RegistryOperations", "RegistryUser", "body_parts"]

READ_CHUNK = 1024 * 1024
NOT_HTTP_ROWS = ("OP", "TTFB", "XFER")


def authorization_header(host: str) -> str | None:
    """The `Authorization` value for `host` from --bearer-token, OCI_USERNAME/PASSWORD or docker config."""
    settings = RUNTIME.settings
    return authorization(urlsplit(host).netloc, settings.bearer_token, settings.docker_config)


def body_parts(response: Any) -> Iterator[bytes | memoryview]:
    """The body of a streamed response, in parts of at most READ_CHUNK bytes, consumed as they come.

    For a requests/urllib3 response without Content-Encoding the bytes are read straight into one reused
    buffer (each part is only valid until the next one: about a fifth less client CPU per byte than
    `iter_content`), and the connection goes back to the pool at the end. Otherwise `iter_content`.
    """
    raw = getattr(response, "raw", None)
    reader: Any = getattr(raw, "_fp", None)
    encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
    if raw is None or encoded or not hasattr(reader, "readinto") or not hasattr(raw, "release_conn"):
        yield from response.iter_content(READ_CHUNK)
        return
    buffer = memoryview(bytearray(READ_CHUNK))
    while True:
        n = reader.readinto(buffer)
        if not n:
            break
        yield buffer[:n]
    raw.release_conn()


class RegistryOperations(Calls):
    """Registry operations over a Locust client; mixed into an HttpUser or a FastHttpUser."""

    client: Any
    host: str | None
    environment: Any

    def on_start(self) -> None:
        """Pick up settings, a per-user RNG and the auth header."""
        self.settings = RUNTIME.settings
        self.rng = random.Random()
        self.scenario = type(self).__name__
        self.auth = authorization_header(self.host or "")
        self.timeout = (min(10.0, self.settings.request_timeout), self.settings.request_timeout)
        self.start_tokens(self.auth, exchange=not self.settings.bearer_token)

    def wait_time(self) -> float:
        """Seconds between two tasks of this user: `--think-time` (0: back to back)."""
        return self.settings.think_time

    # ---- plumbing -------------------------------------------------------------------------------

    def _resolve(self, location: str) -> str:
        """An upload `Location` as an absolute URL on the target host; another host is refused."""
        base = self.host or ""
        absolute = urljoin(base + "/", location)
        if urlsplit(absolute).netloc != urlsplit(base).netloc:
            raise OperationError(f"Location {location!r} points away from the target {base}")
        return absolute

    def send(self, method: str, url: str, name: str, *, headers: dict[str, str], body: Any,
             stream: bool) -> Any:
        """One request through the client, as a `catch_response` context manager, redirects not followed."""
        return self.client.request(method, url, name=name, headers=headers, data=body, stream=stream,
                                   catch_response=True, timeout=self.timeout, allow_redirects=False)

    def row(self, request_type: str, name: str, started: float, error: BaseException | None = None,
            length: int = 0) -> None:
        """Report an extra stats row (OP / TTFB / XFER) that started at perf_counter `started`."""
        self.environment.events.request.fire(
            request_type=request_type, name=name, response_time=(time.perf_counter() - started) * 1000,
            response_length=length, exception=error, context={}, response=None, url=self.host,
            start_time=time.time() - (time.perf_counter() - started),
        )

    @contextlib.contextmanager
    def operation(self, name: str) -> Iterator[None]:
        """Time a whole operation as one `OP` row; OperationError ends it as a failed row, not a crash."""
        started = time.perf_counter()
        try:
            yield
        except OperationError as exc:
            self.row("OP", name, started, exc)
            return
        self.row("OP", name, started)
        COUNTERS.add_op(self.scenario)

    # ---- blobs ----------------------------------------------------------------------------------

    def blob_exists(self, repo: str, digest: str) -> bool:
        """HEAD a blob, as `docker push` does before uploading a layer."""
        response = self.call("HEAD", f"/v2/{repo}/blobs/{digest}", "/v2/[repo]/blobs/[digest]", (200, 404))
        return bool(response.status_code == 200)

    def start_upload(self, repo: str, scenario: str | None = None) -> str:
        """POST a new upload session; the absolute upload URL."""
        response = self.call("POST", f"/v2/{repo}/blobs/uploads/", "/v2/[repo]/blobs/uploads/", (202,),
                             scenario=scenario)
        location = response.headers.get("Location")
        if not location:
            response.failure("upload POST answered 202 without Location")
            raise OperationError("no Location")
        return self._resolve(location)

    def _commit(self, kind: str, repo: str, digest: str, size: int) -> None:
        COUNTERS.add_committed(size)
        RUNTIME.record_pushed(kind, repo, digest, size)

    def push_blob_monolithic(self, repo: str, blob: Blob, scenario: str | None = None) -> None:
        """POST, then one PUT ?digest= carrying the whole body."""
        location = self.start_upload(repo, scenario)
        separator = "&" if "?" in location else "?"
        body: Any = blob.body() if blob.size else b""
        self.call("PUT", f"{location}{separator}digest={blob.digest}", "/v2/[repo]/blobs/uploads/[id]?digest",
                  (201,), headers={"Content-Type": "application/octet-stream"}, body=body, scenario=scenario)
        self._commit("blob", repo, blob.digest, blob.size)

    def push_blob_chunked(self, repo: str, blob: Blob, chunk_size: int, scenario: str | None = None) -> None:
        """POST, one PATCH per chunk with Content-Range, then PUT ?digest= with an empty body."""
        location = self.start_upload(repo, scenario)
        for start in range(0, blob.size, chunk_size):
            end = min(blob.size, start + chunk_size)
            response = self.call(
                "PATCH", location, "/v2/[repo]/blobs/uploads/[id]", (202,), body=blob.body(start, end),
                headers={"Content-Type": "application/octet-stream", "Content-Range": f"{start}-{end - 1}"},
                scenario=scenario,
            )
            location = self._resolve(response.headers.get("Location") or location)
        separator = "&" if "?" in location else "?"
        self.call("PUT", f"{location}{separator}digest={blob.digest}", "/v2/[repo]/blobs/uploads/[id]?digest",
                  (201,), body=b"", scenario=scenario)
        self._commit("blob", repo, blob.digest, blob.size)

    def push_bytes(self, repo: str, data: bytes, digest: str, scenario: str | None = None) -> None:
        """Monolithic push of a small in-memory blob (an image config)."""
        location = self.start_upload(repo, scenario)
        separator = "&" if "?" in location else "?"
        self.call("PUT", f"{location}{separator}digest={digest}", "/v2/[repo]/blobs/uploads/[id]?digest",
                  (201,), headers={"Content-Type": "application/octet-stream"}, body=data, scenario=scenario)
        self._commit("config", repo, digest, len(data))

    def pull_blob(self, repo: str, digest: str, size: int | None, verify: bool) -> int:
        """GET a blob streamed in 1 MiB reads; TTFB and XFER rows; sha256 checked when `verify`.

        TTFB and XFER start with the attempt that was not rate-limited (redirect hops included); the bytes
        counted and hashed are the final body's (the storage origin's, after a redirect).
        """
        response = self.call("GET", f"/v2/{repo}/blobs/{digest}", "/v2/[repo]/blobs/[digest]", (200,),
                             stream=True)
        started = self.attempt_started
        self.row("TTFB", "blob GET", started)
        hasher = hashlib.sha256() if verify else None
        received = 0
        try:
            for part in body_parts(response):
                received += len(part)
                COUNTERS.add_down(self.scenario, len(part))
                if hasher is not None:
                    hasher.update(part)
        except Exception as exc:
            COUNTERS.add_error(type(exc).__name__)
            self.row("XFER", "blob GET", started, exc, received)
            raise OperationError(f"blob body read failed: {exc!r}") from exc
        finally:
            response.close()
        problem = None
        if size is not None and received != size:
            problem = f"blob {digest[:19]}: got {received} bytes, expected {size}"
        elif hasher is not None and "sha256:" + hasher.hexdigest() != digest:
            COUNTERS.add_digest_mismatch()
            problem = f"digest mismatch on pull: asked {digest}, bytes hash to sha256:{hasher.hexdigest()}"
        error = OperationError(problem) if problem else None
        self.row("XFER", "blob GET", started, error, received)
        if error:
            raise error
        return received

    def pull_range(self, repo: str, blob: Blob, start: int, length: int, verify: bool) -> int:
        """GET `Range: bytes=start-end` of a blob; expects 206 and, when `verify`, the exact pool bytes."""
        end = min(blob.size, start + length) - 1
        response = self.call("GET", f"/v2/{repo}/blobs/{blob.digest}", "/v2/[repo]/blobs/[digest] Range",
                             (206,), headers={"Range": f"bytes={start}-{end}"}, stream=True)
        parts: list[bytes] = []
        received = 0
        try:
            for part in response.iter_content(READ_CHUNK):
                received += len(part)
                COUNTERS.add_down(self.scenario, len(part))
                if verify:
                    parts.append(part)
        finally:
            response.close()
        wrong = verify and b"".join(parts) != b"".join(blob.chunks(start, end + 1))
        if received != end - start + 1 or wrong:
            COUNTERS.add_digest_mismatch()
            raise OperationError(f"Range {start}-{end} of {blob.digest[:19]}: wrong bytes ({received} read)")
        return received

    # ---- manifests and metadata -----------------------------------------------------------------

    def put_manifest(self, repo: str, reference: str, data: bytes, media_type: str,
                     scenario: str | None = None) -> None:
        """PUT a manifest by tag or digest."""
        self.call("PUT", f"/v2/{repo}/manifests/{reference}", "/v2/[repo]/manifests/[ref]", (201,),
                  headers={"Content-Type": media_type}, body=data, scenario=scenario)
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self._commit("manifest", repo, digest, len(data))

    def get_manifest(self, repo: str, reference: str, accept: str) -> tuple[bytes, str]:
        """GET a manifest with Accept negotiation; returns (bytes, media type); checks the digest header."""
        response = self.call("GET", f"/v2/{repo}/manifests/{reference}", "/v2/[repo]/manifests/[ref]", (200,),
                             headers={"Accept": accept})
        data: bytes = response.content
        COUNTERS.add_down(self.scenario, len(data))
        actual = "sha256:" + hashlib.sha256(data).hexdigest()
        claimed = response.headers.get("Docker-Content-Digest")
        expected = reference if reference.startswith("sha256:") else claimed
        if expected and expected != actual:
            COUNTERS.add_digest_mismatch()
            response.failure(f"manifest digest mismatch: expected {expected}, bytes hash to {actual}")
            raise OperationError("manifest digest mismatch")
        return data, response.headers.get("Content-Type", "")

    def head_manifest(self, repo: str, reference: str, accept: str) -> None:
        """HEAD a manifest (what a pull does first to learn the digest)."""
        self.call("HEAD", f"/v2/{repo}/manifests/{reference}", "/v2/[repo]/manifests/[ref]", (200,),
                  headers={"Accept": accept})

    def list_tags(self, repo: str) -> list[str]:
        """GET the tags list."""
        response = self.call("GET", f"/v2/{repo}/tags/list", "/v2/[repo]/tags/list", (200,))
        COUNTERS.add_down(self.scenario, len(response.content))
        try:
            tags = json.loads(response.content).get("tags") or []
        except (ValueError, AttributeError) as exc:
            COUNTERS.add_error("MALFORMED_TAGS_LIST")
            raise OperationError(f"tags list is not a JSON object: {exc!r}") from exc
        return [str(t) for t in tags]

    def referrers(self, repo: str, digest: str) -> None:
        """GET the referrers index of a manifest (404 counts as 'unsupported', not a failure)."""
        response = self.call("GET", f"/v2/{repo}/referrers/{digest}", "/v2/[repo]/referrers/[digest]",
                             (200, 404))
        COUNTERS.add_down(self.scenario, len(response.content))


class RegistryUser(RegistryOperations, HttpUser):
    """Abstract base of the blob-heavy scenarios: requests/urllib3 streams big bodies best."""

    abstract = True


class FastRegistryUser(RegistryOperations, FastHttpUser):
    """Abstract base of small-request scenarios: geventhttpclient costs less CPU per request."""

    abstract = True

    def __init__(self, environment: Any) -> None:
        timeout = RUNTIME.settings.request_timeout
        self.network_timeout = timeout
        self.connection_timeout = min(10.0, timeout)
        super().__init__(environment)
        # registry clients (containerd, docker, skopeo) keep no cookies; the jar costs ~10% CPU per request
        self.client.cookiejar = None
        self.client.client.cookiejar = None

    def send(self, method: str, url: str, name: str, *, headers: dict[str, str], body: Any,
             stream: bool) -> Any:
        """Send via geventhttpclient; it sends iterables chunked, so pool bodies go as bytes (small blobs)."""
        if isinstance(body, BlobBody):
            body = b"".join(body)
        return self.client.request(method, url, name=name, headers=headers, data=body, stream=stream,
                                   catch_response=True, allow_redirects=False)
