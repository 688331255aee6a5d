"""The HTTP core of the registry client: one exchange per hop, deadlines, redirects, auth retries.

`HttpSession.send()` is the single place requests go through. First, with a `write_scope`
(`conformance.client.namespaces`), a write to a repository outside the run's namespaces is refused unsent
(`WriteOutsideNamespace`). For each hop it:
- builds the request (explicit `Content-Length`; bodies over 1 MiB streamed as 1 MiB slices; a header
  given as None is not sent at all, not even httpx's default, e.g. `{"Accept": None}` sends no `Accept`);
- asks `quota.RUN_REQUESTS` for leave to send (the run's request budget, and the wait for its rate cap,
  which counts against the request's deadline; `RequestLimitError` when either stops it, nothing sent);
- runs it under `transport.deadline(timeout, min_rate=)`, so connect + send + headers + body together
  never exceed `timeout` seconds (nor the check's deadline), a body slower than `min_rate` bytes/s counts
  as stalled, and reads (or hashes) the body while streaming;
- records a `TranscriptEntry` (redacted) and maps transport failures to `RegistryTimeout` /
  `RegistryConnectionError`, which carry that entry;
- retries an answer that means "later" (429, or 503 with Retry-After) as `retries.RetryPolicy` allows,
  annotating each retry in the transcript and counting it in `retries.RUN_RETRIES`; past the budget it
  raises `RegistryRateLimitError`;
- on a 401 from the registry, asks the `Authenticator` for a header and retries once;
- follows up to 5 redirects (301/302/303/307/308), re-sending the body for 307/308, and never
  sends `Authorization` to an origin other than the registry's.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import httpx

from conformance.client import quota, retries
from conformance.client.auth import Credentials
from conformance.client.errors import RegistryConnectionError, RegistryRateLimitError, RegistryTimeout
from conformance.client.namespaces import WriteScope
from conformance.client.response import Response
from conformance.client.tokens import Authenticator
from conformance.client.transcript import PREVIEW_LIMIT, Transcript, TranscriptEntry, preview_body
from conformance.client.transport import (
    body_started,
    check_time_left,
    deadline,
    deadline_transport,
    ssl_context_for,
    time_left,
)
from conformance.client.urls import append_query, join_path, resolve_location, same_origin
from conformance.spec.digests import DigestHasher
from conformance.spec.retry_after import retry_after_seconds

SLICE_SIZE = 1024 * 1024
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_BODY_HEADERS = frozenset({"content-type", "content-length", "content-range", "content-encoding"})
DEFAULT_USER_AGENT = "registry-harness-conformance/0.1 (+httpx)"


@dataclass(frozen=True)
class BodyStream:
    """A request body of known `length` produced by calling `chunks()` (again for each retry)."""

    length: int
    chunks: Callable[[], Iterable[bytes]]
    preview: str = ""


Body = bytes | BodyStream | None


def sliced(data: bytes, size: int = SLICE_SIZE) -> BodyStream:
    """`data` as a stream of `size`-byte slices (avoids httpx's quadratic send of one big bytes)."""
    view = memoryview(data)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(view), size):
            yield bytes(view[start : start + size])

    return BodyStream(len(data), chunks, preview_body(data[:PREVIEW_LIMIT], len(data)))


@dataclass(frozen=True)
class _Reading:
    keep_body: bool
    hash_algorithm: str | None
    timeout: float | None


class _BodySink:
    """Collects a response body: kept whole, or hashed with only a preview kept."""

    def __init__(self, read: _Reading) -> None:
        self.keep_body = read.keep_body
        self.hasher = DigestHasher(read.hash_algorithm) if read.hash_algorithm else None
        self.chunks: list[bytes] = []
        self.preview = bytearray()
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.hasher is not None:
            self.hasher.update(chunk)
        if self.keep_body:
            self.chunks.append(chunk)
        elif len(self.preview) < PREVIEW_LIMIT:
            self.preview += chunk[: PREVIEW_LIMIT - len(self.preview)]

    def content(self) -> bytes:
        return b"".join(self.chunks)


class HttpSession:
    """Connection pool, transcript, authentication and the `send()` primitive (see module docstring)."""

    def __init__(
        self,
        base_url: str,
        *,
        credentials: Credentials | None = None,
        timeout: float = 30.0,
        verify: bool | str = True,
        transcript: Transcript | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        transport: httpx.BaseTransport | None = None,
        min_rate: float = 0.0,
        retry: retries.RetryPolicy | None = None,
        write_scope: WriteScope | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.write_scope = write_scope
        self.timeout = timeout
        self.min_rate = min_rate
        self.retry = retry if retry is not None else retries.RetryPolicy()
        self.transcript = transcript if transcript is not None else Transcript()
        self.user_agent = user_agent
        self.auth = Authenticator(credentials, self._fetch_token)
        self.ssl_context = ssl_context_for(verify)
        self._http = httpx.Client(
            transport=transport if transport is not None else deadline_transport(self.ssl_context),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
        )

    # lifecycle -----------------------------------------------------------------------------------
    def close(self) -> None:
        """Close pooled connections."""
        self._http.close()

    def __enter__(self) -> HttpSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextlib.contextmanager
    def recording(self, transcript: Transcript) -> Iterator[Transcript]:
        """Record into `transcript` inside the block, then restore the previous one."""
        previous, self.transcript = self.transcript, transcript
        try:
            yield transcript
        finally:
            self.transcript = previous

    def url(self, path_or_url: str) -> str:
        """An absolute URL: absolute URLs unchanged, paths joined to `base_url`."""
        if "://" in path_or_url:
            return path_or_url
        return join_path(self.base_url, path_or_url)

    # the primitive --------------------------------------------------------------------------------
    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str | None] | None = None,
        body: Body = None,
        scopes: Sequence[str] = (),
        auth: bool = True,
        follow_redirects: bool = True,
        keep_body: bool = True,
        hash_algorithm: str | None = None,
        timeout: float | None = None,
    ) -> Response:
        """Send one request (plus auth retry and redirects) and return the final response."""
        url = self.url(url)
        if self.write_scope is not None:
            self.write_scope.check(method, url, self.base_url)
        read = _Reading(keep_body, hash_algorithm, timeout)
        base_headers = {"User-Agent": self.user_agent, "Accept-Encoding": "identity", **(headers or {})}
        on_registry = same_origin(url, self.base_url)
        if any(name.lower() == "authorization" for name in base_headers):
            auth = False  # the caller chose the credentials: send them as given, never replace them
        sent_auth = self.auth.authorization(scopes) if auth and on_registry else None
        hop_headers = dict(base_headers)
        if sent_auth is not None:
            hop_headers["Authorization"] = sent_auth
        hop = self._exchange_retrying(method, url, hop_headers, body, read)
        if auth and on_registry and hop.status_code == 401:
            retry_auth = self.auth.handle_unauthorized(
                hop.headers.get_list("www-authenticate"), scopes, sent_auth
            )
            if retry_auth is not None:
                hop.annotate("401: retrying once with credentials from the challenge")
                hop_headers["Authorization"] = retry_auth
                hop = self._exchange_retrying(method, url, hop_headers, body, read)
        history: list[Response] = []
        while follow_redirects and hop.status_code in REDIRECT_STATUSES and hop.headers.get("location"):
            if len(history) >= MAX_REDIRECTS:
                hop.annotate(f"stopped after {MAX_REDIRECTS} redirects")
                break
            history.append(hop)
            next_url = resolve_location(hop.url, hop.headers["location"])
            if hop.status_code == 303 or (hop.status_code in (301, 302) and method == "POST"):
                method, body = "GET", None
                base_headers = {k: v for k, v in base_headers.items() if k.lower() not in _BODY_HEADERS}
            hop_headers = {k: v for k, v in base_headers.items() if k.lower() != "authorization"}
            if same_origin(next_url, self.base_url):
                if "authorization" in {k.lower() for k in base_headers}:
                    hop_headers = dict(base_headers)
                elif auth and (registry_auth := self.auth.authorization(scopes)) is not None:
                    hop_headers["Authorization"] = registry_auth
            hop = self._exchange_retrying(method, next_url, hop_headers, body, read)
        hop.history = history
        return hop

    def _exchange_retrying(
        self, method: str, url: str, headers: Mapping[str, str | None], body: Body, read: _Reading
    ) -> Response:
        """`_exchange`, again after the wait the policy allows while the answer means "later"."""
        attempt = 0
        while True:
            hop = self._exchange(method, url, headers, body, read)
            if not retries.is_busy_answer(hop.status_code, hop.headers):
                return hop
            attempt += 1
            wait = self.retry.wait_for(hop.status_code, hop.headers, attempt)
            check_left = check_time_left()
            if wait is not None and check_left is not None and check_left <= wait:
                wait = None  # waiting would outlive the check
            if wait is None:
                retries.RUN_RETRIES.gave_up()
                hop.annotate(f"{hop.status_code}: still busy after {attempt - 1} retries; giving up")
                raise RegistryRateLimitError(
                    f"{method} {hop.entry.url if hop.entry else url}: the registry kept answering "
                    f"{hop.status_code} (rate limited) beyond the retry budget; no verdict is possible (the "
                    "budgets are --registry-max-retries, --registry-retry-budget and the check's deadline)",
                    hop,
                )
            after = hop.headers.get("retry-after")
            hop.annotate(f"{hop.status_code}: retry {attempt} in {wait:g} s"
                         + (f" (Retry-After: {after})" if after else " (backoff)"))
            retries.RUN_RETRIES.record(hop.status_code, wait, retry_after_seconds(after), hop.headers)
            retries.sleep(wait)

    def _exchange(
        self, method: str, url: str, headers: Mapping[str, str | None], body: Body, read: _Reading
    ) -> Response:
        limit = self.timeout if read.timeout is None else read.timeout
        request, body_preview = self._build(method, url, headers, body)
        asked = time.monotonic()
        check_left = check_time_left()
        waited = quota.RUN_REQUESTS.acquire(
            f"{method} {url}", limit if check_left is None else min(limit, check_left))
        entry = self.transcript.add(
            TranscriptEntry.start(method, url, request.headers.multi_items(), body_preview)
        )
        if waited > 0:
            entry.note = (f"waited {waited:.3f} s for the run's rate cap ({quota.RPS_OPTION}; part of the "
                          "request's deadline, not a stall)")
        started = time.monotonic()
        sink = _BodySink(read)
        head: httpx.Response | None = None
        try:
            with deadline(limit, min_rate=self.min_rate, since=asked):
                response = head = self._http.send(request, stream=True)
                try:
                    entry.record_response(response.status_code, response.headers.multi_items())
                    body_started()
                    for chunk in response.iter_bytes():
                        sink.add(chunk)
                        left = time_left()
                        if left is not None and left <= 0:
                            raise httpx.ReadTimeout("request deadline exceeded", request=request)
                finally:
                    response.close()
        except httpx.TimeoutException as exc:
            entry.elapsed = time.monotonic() - started
            phase = "while reading the body" if entry.status is not None else "before the response headers"
            ours = str(exc).startswith(("body stalled", "check deadline", "request deadline"))
            why = str(exc) if ours else f"no complete answer within {limit:g} s"
            entry.error = f"timeout: {why} ({phase}, {sink.size} body bytes received; {type(exc).__name__})"
            partial = self._partial(method, url, head, sink, entry)
            raise RegistryTimeout(f"{method} {entry.url}: {entry.error}", entry, partial) from exc
        except (httpx.LocalProtocolError, httpx.UnsupportedProtocol):
            entry.elapsed = time.monotonic() - started
            entry.error = "request could not be sent (client-side error)"
            raise
        except httpx.TransportError as exc:
            entry.elapsed = time.monotonic() - started
            entry.error = f"{type(exc).__name__}: {exc}"
            partial = self._partial(method, url, head, sink, entry)
            raise RegistryConnectionError(f"{method} {entry.url}: {entry.error}", entry, partial) from exc
        entry.elapsed = time.monotonic() - started
        return self._response(method, url, response, sink, entry)

    @classmethod
    def _partial(
        cls, method: str, url: str, head: httpx.Response | None, sink: _BodySink, entry: TranscriptEntry
    ) -> Response | None:
        """The Response made of what arrived before a failure (None when not even the headers did)."""
        return None if head is None else cls._response(method, url, head, sink, entry)

    @staticmethod
    def _response(
        method: str, url: str, head: httpx.Response, sink: _BodySink, entry: TranscriptEntry
    ) -> Response:
        content = sink.content()
        entry.response_body = preview_body(content if sink.keep_body else bytes(sink.preview), sink.size)
        return Response(
            method=method,
            url=url,
            status_code=head.status_code,
            headers=head.headers,
            content=content,
            elapsed=entry.elapsed,
            entry=entry,
            body_size=sink.size,
            computed_digest=sink.hasher.digest if sink.hasher is not None else None,
        )

    def _build(
        self, method: str, url: str, headers: Mapping[str, str | None], body: Body
    ) -> tuple[httpx.Request, str]:
        omitted = [name for name, value in headers.items() if value is None]
        request_headers = {name: value for name, value in headers.items() if value is not None}
        content: bytes | Iterator[bytes] | None
        if isinstance(body, BodyStream) or (body is not None and len(body) > SLICE_SIZE):
            stream = body if isinstance(body, BodyStream) else sliced(body)
            request_headers.setdefault("Content-Length", str(stream.length))
            content = iter(stream.chunks())
            body_preview = stream.preview or f"<{stream.length} bytes streamed>"
        else:
            content = body
            body_preview = preview_body(body or b"")
            if body is None and method in ("POST", "PUT", "PATCH"):
                request_headers.setdefault("Content-Length", "0")
        request = self._http.build_request(method, url, headers=request_headers, content=content)
        for name in omitted:  # also httpx's client defaults (Accept: */*): None means "send no such header"
            if name in request.headers:
                del request.headers[name]
        return request, body_preview

    def _fetch_token(self, realm: str, params: list[tuple[str, str]], headers: dict[str, str]) -> Response:
        url = realm
        for name, value in params:
            url = append_query(url, name, value)
        request_headers = {"User-Agent": self.user_agent, "Accept": "application/json", **headers}
        return self.send("GET", url, headers=request_headers, auth=False)
