"""`RegistryClient`: one method per registry operation, for people writing checks.

    with RegistryClient("http://127.0.0.1:5000", credentials=credentials_from_env()) as client:
        response = client.blob_head("library/x", digest)     # a Response; the client never asserts
        assert response.status_code == 404
        descriptor = client.push_blob("library/x", b"data")   # setup helper: raises SetupFailed if refused

Operations are named resource_verb_variant and return `Response` whatever the status; only network
failures raise (`RegistryTimeout`, `RegistryConnectionError`). Upload methods take the `Location`
of the previous answer verbatim (`response.location`, already resolved to an absolute URL).
`request()` sends anything httpx can send (negative tests); `request_raw()` sends bytes exactly
as given (a lying `Content-Length`, duplicate headers); `follow_link()` gives the next page's URL.
A client is not thread-safe: use one per thread (they are cheap; each has its own pool).

`timeout` bounds each HTTP exchange as a whole (connect, send, response headers and body): a
stalled or trickling registry raises `RegistryTimeout` after that long, never hangs. A redirect hop,
an auth retry and a token request each get their own `timeout`; `request(..., timeout=)` overrides it.
Every request carries the token scopes it needs: `repository:<name>:pull` to read, `pull,push` to
write, `delete` to delete, the source repository's `pull` for a mount, `registry:catalog:*`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from conformance.client import pushing, quota
from conformance.client.auth import CATALOG_SCOPE, repository_scope
from conformance.client.links import next_link
from conformance.client.namespaces import REPOSITORY_PATH_RE
from conformance.client.raw import send_raw
from conformance.client.response import Response
from conformance.client.session import Body, HttpSession
from conformance.client.transport import check_time_left
from conformance.client.urls import append_query, same_origin
from conformance.content.descriptors import Content, Descriptor
from conformance.content.manifests import Manifest
from conformance.spec import media_types
from conformance.spec.digests import algorithm_of, digest_bytes

DEFAULT_ACCEPT: tuple[str, ...] = (
    media_types.OCI_MANIFEST,
    media_types.OCI_INDEX,
    media_types.DOCKER_MANIFEST,
    media_types.DOCKER_MANIFEST_LIST,
)
"""The `Accept` values manifest GET/HEAD send unless told otherwise: every type the harness pushes."""

def scopes_for(method: str, url: str) -> tuple[str, ...]:
    """Token scopes a request needs, inferred from its path (`request()` uses this)."""
    if "/v2/_catalog" in url:
        return (CATALOG_SCOPE,)
    match = REPOSITORY_PATH_RE.search(url)
    if match is None:
        return ()
    name = match["name"]
    if method in ("GET", "HEAD"):
        return (repository_scope(name, "pull"),)
    if method == "DELETE" and "/blobs/uploads/" not in url:
        return (repository_scope(name, "delete"),)
    return (repository_scope(name, "pull,push"),)


def _query(url: str, params: Mapping[str, str | int | None] | Sequence[tuple[str, str]] | None) -> str:
    items = params.items() if isinstance(params, Mapping) else (params or ())
    for name, value in items:
        if value is not None:
            url = append_query(url, name, str(value))
    return url


class RegistryClient(HttpSession):
    """A registry client: operations (`blob_get`, `manifest_put`, ...) plus setup helpers (`push_*`)."""

    def __enter__(self) -> RegistryClient:
        return self

    # raw -----------------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        url_or_path: str,
        *,
        headers: Mapping[str, str | None] | None = None,
        content: Body = None,
        params: Mapping[str, str | int | None] | Sequence[tuple[str, str]] | None = None,
        auth: bool = True,
        follow_redirects: bool = True,
        scopes: Sequence[str] | None = None,
        timeout: float | None = None,
    ) -> Response:
        """Send any request (negative tests). `auth=False` sends no credentials and never retries.

        A header whose value is None is not sent at all (`{"Accept": None}`: no `Accept`, not httpx's `*/*`).
        """
        url = _query(self.url(url_or_path), params)
        return self.send(
            method,
            url,
            headers=headers,
            body=content,
            auth=auth,
            follow_redirects=follow_redirects,
            scopes=scopes_for(method, url) if scopes is None else scopes,
            timeout=timeout,
        )

    def request_raw(
        self,
        method: str,
        url_or_path: str,
        *,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes = b"",
        auth: bool = True,
        timeout: float | None = None,
    ) -> Response:
        """Send exactly `headers` and `body` over a fresh socket (e.g. a `Content-Length` that lies).

        No redirects are followed; with `auth`, credentials the client already holds are added
        and a 401 is retried once, as for other requests. See `conformance.client.raw`.
        """
        url = self.url(url_or_path)
        if self.write_scope is not None:
            self.write_scope.check(method, url, self.base_url)
        limit = self.timeout if timeout is None else timeout
        check_left = check_time_left()
        if check_left is not None:
            limit = max(min(limit, check_left), 0.001)  # the check's deadline bounds raw requests too
        scopes = scopes_for(method, url)
        caller_auth = any(name.lower() == "authorization" for name, _ in headers)
        use_auth = auth and not caller_auth and same_origin(url, self.base_url)
        sent = self.auth.authorization(scopes) if use_auth else None

        def attempt(authorization: str | None) -> Response:
            extra = [("Authorization", authorization)] if authorization else []
            waited = quota.RUN_REQUESTS.acquire(f"{method} {url}", limit)  # part of its deadline
            return send_raw(
                url,
                method,
                [*headers, *extra],
                body,
                timeout=max(limit - waited, 0.001),
                transcript=self.transcript,
                ssl_context=self.ssl_context,
                user_agent=self.user_agent,
            )

        response = attempt(sent)
        if use_auth and response.status_code == 401:
            retry = self.auth.handle_unauthorized(response.headers.get_list("www-authenticate"), scopes, sent)
            if retry is not None:
                response = attempt(retry)
        return response

    def follow_link(self, response: Response) -> str | None:
        """Absolute URL of the `Link: <...>; rel="next"` target of `response`, or None."""
        return next_link(response.headers.get_list("link"), response.url)

    def pages(self, first: Response, *, max_pages: int = 100) -> Iterator[Response]:
        """Yield `first`, then each page its `Link: rel="next"` chain leads to (GET), `max_pages` at most.

        Stops at a page without a next link, or after `max_pages` pages (a registry whose links loop
        is then visible to the check, which can compare what it got with what it expected).
        """
        page: Response | None = first
        count = 0
        while page is not None and count < max_pages:
            yield page
            count += 1
            next_url = self.follow_link(page)
            page = self.request("GET", next_url) if next_url is not None else None

    def ping(self) -> Response:
        """`GET /v2/` (end-1)."""
        return self.send("GET", "/v2/")

    # blobs ---------------------------------------------------------------------------------------
    def blob_head(self, repo: str, digest: str) -> Response:
        """`HEAD /v2/<repo>/blobs/<digest>` (end-2)."""
        return self.send("HEAD", f"/v2/{repo}/blobs/{digest}", scopes=self._pull(repo))

    def blob_get(self, repo: str, digest: str, *, headers: Mapping[str, str] | None = None) -> Response:
        """`GET /v2/<repo>/blobs/<digest>` (end-2), redirects followed, body kept."""
        return self.send("GET", f"/v2/{repo}/blobs/{digest}", headers=headers, scopes=self._pull(repo))

    def blob_get_digest(
        self,
        repo: str,
        digest: str,
        *,
        algorithm: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Stream a blob GET without keeping it: `computed_digest` and `body_size` are set on the response.

        `algorithm` defaults to the algorithm of `digest` (sha256 for anything else).
        """
        chosen = algorithm or (
            algorithm_of(digest) if algorithm_of(digest) in ("sha256", "sha512") else "sha256"
        )
        return self.send(
            "GET",
            f"/v2/{repo}/blobs/{digest}",
            headers=headers,
            scopes=self._pull(repo),
            keep_body=False,
            hash_algorithm=chosen,
        )

    def blob_delete(self, repo: str, digest: str) -> Response:
        """`DELETE /v2/<repo>/blobs/<digest>` (end-10)."""
        return self.send("DELETE", f"/v2/{repo}/blobs/{digest}", scopes=(repository_scope(repo, "delete"),))

    def blob_mount(self, repo: str, digest: str, from_repo: str | None) -> Response:
        """`POST /v2/<repo>/blobs/uploads/?mount=<digest>[&from=<from_repo>]` (end-11)."""
        url = _query(f"/v2/{repo}/blobs/uploads/", {"mount": digest, "from": from_repo})
        scopes = self._push(repo) + ((repository_scope(from_repo, "pull"),) if from_repo else ())
        return self.send("POST", url, scopes=scopes)

    # uploads -------------------------------------------------------------------------------------
    def upload_start(
        self,
        repo: str,
        *,
        params: Mapping[str, str | int | None] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """`POST /v2/<repo>/blobs/uploads/` with an empty body (end-4a); `Location` is the session."""
        url = _query(f"/v2/{repo}/blobs/uploads/", params)
        return self.send(
            "POST", url, headers={"Content-Length": "0", **(headers or {})}, scopes=self._push(repo)
        )

    def upload_monolithic(self, repo: str, data: bytes, digest: str | None = None) -> Response:
        """Single-request upload: `POST /v2/<repo>/blobs/uploads/?digest=<digest>` with the body (end-4b)."""
        digest = digest or digest_bytes(data)
        url = _query(f"/v2/{repo}/blobs/uploads/", {"digest": digest})
        return self.send(
            "POST",
            url,
            headers={"Content-Type": media_types.OCTET_STREAM},
            body=data,
            scopes=self._push(repo),
        )

    def upload_patch(
        self,
        location: str,
        chunk: Body,
        *,
        content_range: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """`PATCH <location>` with a chunk (end-5); `content_range` like `0-1023` when given."""
        extra = {"Content-Type": media_types.OCTET_STREAM, **(headers or {})}
        if content_range is not None:
            extra["Content-Range"] = content_range
        return self.send("PATCH", location, headers=extra, body=chunk, scopes=scopes_for("PATCH", location))

    def upload_put(
        self,
        location: str,
        digest: str,
        chunk: Body = b"",
        *,
        content_range: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """`PUT <location>&digest=<digest>` closing the upload, with an optional last chunk (end-6)."""
        extra = {"Content-Type": media_types.OCTET_STREAM, **(headers or {})}
        if content_range is not None:
            extra["Content-Range"] = content_range
        url = append_query(location, "digest", digest)
        return self.send("PUT", url, headers=extra, body=chunk or b"", scopes=scopes_for("PUT", location))

    def upload_status(self, location: str) -> Response:
        """`GET <location>`: the upload's progress in `Range` (end-13)."""
        return self.send("GET", location, scopes=scopes_for("PATCH", location))

    def upload_cancel(self, location: str) -> Response:
        """`DELETE <location>`: abandon the upload session."""
        return self.send("DELETE", location, scopes=scopes_for("PATCH", location))

    # manifests -----------------------------------------------------------------------------------
    def manifest_put(
        self,
        repo: str,
        reference: str,
        body: bytes,
        media_type: str | None,
        *,
        tags: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """`PUT /v2/<repo>/manifests/<reference>[?tag=..]` with `Content-Type: media_type` (end-7)."""
        url = _query(f"/v2/{repo}/manifests/{reference}", [("tag", tag) for tag in tags])
        extra = dict(headers or {})
        if media_type is not None:
            extra.setdefault("Content-Type", media_type)
        return self.send("PUT", url, headers=extra, body=body, scopes=self._push(repo))

    def manifest_get(
        self, repo: str, reference: str, *, accept: Sequence[str] | None = DEFAULT_ACCEPT
    ) -> Response:
        """`GET /v2/<repo>/manifests/<reference>` (end-3); `accept=None` sends no `Accept` header."""
        return self.send(
            "GET", f"/v2/{repo}/manifests/{reference}", headers=self._accept(accept), scopes=self._pull(repo)
        )

    def manifest_head(
        self, repo: str, reference: str, *, accept: Sequence[str] | None = DEFAULT_ACCEPT
    ) -> Response:
        """`HEAD /v2/<repo>/manifests/<reference>` (end-3); `accept=None` sends no `Accept` header."""
        return self.send(
            "HEAD", f"/v2/{repo}/manifests/{reference}", headers=self._accept(accept), scopes=self._pull(repo)
        )

    def manifest_delete(self, repo: str, reference: str) -> Response:
        """`DELETE /v2/<repo>/manifests/<reference>` (end-9)."""
        return self.send(
            "DELETE", f"/v2/{repo}/manifests/{reference}", scopes=(repository_scope(repo, "delete"),)
        )

    # discovery -----------------------------------------------------------------------------------
    def tags_list(self, repo: str, *, n: int | None = None, last: str | None = None) -> Response:
        """`GET /v2/<repo>/tags/list[?n=&last=]` (end-8a/8b)."""
        url = _query(f"/v2/{repo}/tags/list", {"n": n, "last": last})
        return self.send("GET", url, scopes=self._pull(repo))

    def catalog(self, *, n: int | None = None, last: str | None = None) -> Response:
        """`GET /v2/_catalog[?n=&last=]` (registry extension, not in the OCI spec)."""
        return self.send("GET", _query("/v2/_catalog", {"n": n, "last": last}), scopes=(CATALOG_SCOPE,))

    def referrers(self, repo: str, digest: str, *, artifact_type: str | None = None) -> Response:
        """`GET /v2/<repo>/referrers/<digest>[?artifactType=]` (end-12a/12b)."""
        url = _query(f"/v2/{repo}/referrers/{digest}", {"artifactType": artifact_type})
        return self.send("GET", url, headers={"Accept": media_types.OCI_INDEX}, scopes=self._pull(repo))

    # setup helpers (raise SetupFailed) ---------------------------------------------------------
    def push_blob(self, repo: str, data: bytes | Content, *, media_type: str | None = None) -> Descriptor:
        """Upload a blob (POST + PUT with the body); its descriptor, or `SetupFailed`. See `pushing`."""
        return pushing.push_blob(self, repo, data, media_type=media_type)

    def push_blob_chunked(
        self, repo: str, data: bytes | Content, chunk_size: int = 1024 * 1024
    ) -> Descriptor:
        """Upload a blob in PATCH chunks of `chunk_size`, then an empty closing PUT; or `SetupFailed`."""
        return pushing.push_blob_chunked(self, repo, data, chunk_size)

    def push_manifest(self, repo: str, reference: str | None, manifest: Manifest) -> Descriptor:
        """PUT a built manifest by tag, or by its own digest when `reference` is None."""
        return pushing.push_manifest(self, repo, reference, manifest)

    def push_image(self, repo: str, image: Manifest, tag: str | None = None) -> Descriptor:
        """Push every blob, then child manifests, then `image` itself (by `tag` or by digest)."""
        return pushing.push_image(self, repo, image, tag)

    # helpers -------------------------------------------------------------------------------------
    @staticmethod
    def _pull(repo: str) -> tuple[str, ...]:
        return (repository_scope(repo, "pull"),)

    @staticmethod
    def _push(repo: str) -> tuple[str, ...]:
        return (repository_scope(repo, "pull,push"),)

    @staticmethod
    def _accept(accept: Sequence[str] | None) -> dict[str, str | None]:
        return {"Accept": None} if accept is None else {"Accept": ", ".join(accept)}
