"""Blob uploads: POST (session, single request, mount), PATCH, closing PUT, status GET, cancel DELETE.

``Range`` on upload answers is ``0-<last byte stored>``; for a session holding no bytes yet it is ``0-0``
(the spec cannot express "empty"; this is what distribution and the official suite's clients expect).

Minimum chunk length. By default no ``OCI-Chunk-Min-Length`` is advertised and chunks of any size are
accepted. With ``--chunk-min-length BYTES`` every POST answer that opens a session (a plain POST, a
``digest-algorithm`` POST, a mount falling back to an upload) carries ``OCI-Chunk-Min-Length: BYTES``, and
the minimum is enforced. spec.md "Pushing a blob in chunks": "If the registry has a minimum chunk size, the
``POST`` response SHOULD include the following header"; "If the registry provides an
``OCI-Chunk-Min-Length`` header in the ``POST`` response, the size of each chunk, except for the final
chunk, SHOULD be greater or equal to that value. The final chunk MAY have any length." and "The final
chunk MAY be uploaded using a ``PATCH`` request or it MAY be uploaded in the closing ``PUT`` request."
A registry cannot tell at PATCH time whether a chunk is the final one, so the rule is:

- a chunk shorter than the minimum is ACCEPTED (202): it may be the final chunk;
- once a session holds such a short chunk, it takes no more data: a further PATCH, or a closing PUT
  carrying a chunk, proves the short chunk was not the final one, and is refused with 416 and the
  session's ``Location`` and ``Range`` (what is stored), exactly like an out-of-order chunk. The code is
  ``BLOB_UPLOAD_INVALID`` (``detail.min_length`` names the minimum): it is the spec table's code for an
  upload the registry cannot continue; ``RANGE_INVALID`` is distribution's own code, outside the OCI table
  (see errors.py). 416 is the status end-5/end-6 list for a chunk the registry cannot accept, and the
  spec's text before its 2020 reorganisation (commit c90b0f1) said it outright: "The server MAY enforce a
  minimum chunk size. If the server cannot accept the chunk, a 416 Requested Range Not Satisfiable
  response will be returned and will include a Range header indicating the current status";
- the closing PUT without a body always proceeds (the short chunk WAS the final one), and so does a
  closing PUT whose final chunk follows only chunks of at least the minimum, whatever its own size.
  A PATCH announcing ``Content-Length: 0`` carries nothing and is answered 202 even after a short chunk; a
  PATCH of unannounced length (chunked transfer coding) counts as carrying data.

A client that breaks the rule can close the session only with the bytes already stored, or cancel it and
upload again: the refusal is the price of the SHOULD it ignored. The "holds a short chunk" mark is on disk
(storage/uploads.py), so the rule holds across ``--workers N``. The minimum in force is the one the server
runs with when the chunk arrives.

Mount: ``?mount=<digest>&from=<repo>`` links the blob (201) when ``from`` holds it; without ``from`` the
mount succeeds when the blob exists anywhere in this registry (the spec lets a registry find the source
itself). With ``--auth``, the auth layer first turns a mount whose source the caller may not pull, or a
mount without ``from``, into a plain upload (``reference_server/auth``), so nothing leaks between owners.
Otherwise 202 with a new session.
"""

from __future__ import annotations

import re

from reference_server.errors import OciError, range_header, translate
from reference_server.grammar import GrammarError, RepositoryName, UploadId, parse_algorithm, parse_upload_id
from reference_server.handlers.base import Context, valid_digest, valid_name
from reference_server.messages import Request, Response
from reference_server.routes import Match
from reference_server.storage.errors import UploadNotFoundError, UploadOutOfOrderError
from reference_server.storage.uploads import UploadSession

CONTENT_RANGE_RE = re.compile(r"(?:bytes[ =])?(\d+)-(\d+)(?:/(?:\d+|\*))?")


def _session_headers(name: RepositoryName, upload_id: UploadId, stored: int) -> list[tuple[bytes, bytes]]:
    return [
        (b"location", f"/v2/{name}/blobs/uploads/{upload_id}".encode()),
        (b"range", range_header(stored)),
        (b"docker-upload-uuid", upload_id.encode()),
    ]


def _announced_length(request: Request) -> int | None:
    """Content-Length; 0 without Content-Length and Transfer-Encoding (no body, RFC 9112 6.3); else None."""
    declared = request.content_length()
    if declared is None and request.header(b"transfer-encoding") is None:
        return 0
    return declared


def _blob_created(name: RepositoryName, digest: str) -> Response:
    return Response(
        201,
        [
            (b"location", f"/v2/{name}/blobs/{digest}".encode()),
            (b"docker-content-digest", digest.encode()),
        ],
    )


def _chunk_bounds(request: Request) -> tuple[int | None, int | None]:
    """(start, length) of the chunk: from Content-Range when present, else (None, announced length)."""
    declared = _announced_length(request)
    content_range = request.header(b"content-range")
    if content_range is None:
        return None, declared
    found = CONTENT_RANGE_RE.fullmatch(content_range.strip())
    if found is None:
        raise OciError(
            "BLOB_UPLOAD_INVALID", "malformed Content-Range", {"content-range": content_range[:200]}
        )
    start, end = int(found.group(1)), int(found.group(2))
    if end < start:
        raise OciError(
            "BLOB_UPLOAD_INVALID",
            "Content-Range ends before it starts",
            {"content-range": content_range[:200]},
        )
    expected = end - start + 1
    if declared is not None and declared != expected:
        raise OciError(
            "SIZE_INVALID",
            f"Content-Length {declared} does not match Content-Range ({expected} bytes)",
            {"content-range-length": expected, "content-length": declared},
        )
    return start, expected


def _session(ctx: Context, match: Match) -> UploadSession:
    name = valid_name(match.name)
    try:
        upload_id = parse_upload_id(match.reference)
    except GrammarError:
        raise UploadNotFoundError(match.reference[:100]) from None
    return ctx.storage.uploads.get(name, upload_id)


async def start_upload(ctx: Context, request: Request, match: Match) -> Response:
    """POST ``/v2/<name>/blobs/uploads/``: mount, single-request upload, or a new session."""
    name = valid_name(match.name)
    storage = ctx.storage
    mount = request.param("mount")
    if mount is not None:
        digest = valid_digest(mount)
        source = request.param("from")
        if source is not None:
            source_name = valid_name(source)
            if storage.blobs.size_in_or_none(source_name, digest) is not None:
                storage.blobs.link(name, digest)
                return _blob_created(name, str(digest))
        elif storage.blobs.size_anywhere(digest) is not None:
            storage.blobs.link(name, digest)
            return _blob_created(name, str(digest))
    else:
        digest_param = request.param("digest")
        if digest_param is not None:
            digest = valid_digest(digest_param)
            await storage.blobs.ingest(name, request.upload_body(), digest, request.content_length())
            return _blob_created(name, str(digest))
    algorithm_param = request.param("digest-algorithm")
    try:
        algorithm = parse_algorithm(algorithm_param) if algorithm_param is not None else "sha256"
    except GrammarError as exc:
        raise OciError("DIGEST_INVALID", str(exc), {"digest-algorithm": algorithm_param}) from None
    session = storage.uploads.create(name, algorithm)
    headers = _session_headers(name, session.id, 0)
    if ctx.config.chunk_min_length is not None:
        headers.append((b"oci-chunk-min-length", str(ctx.config.chunk_min_length).encode()))
    return Response(202, headers)


async def patch_upload(ctx: Context, request: Request, match: Match) -> Response:
    """PATCH ``<location>``: append a chunk (in order) or a streamed body."""
    session = _session(ctx, match)
    start, length = _chunk_bounds(request)
    try:
        stored = await ctx.storage.uploads.append(
            session, request.upload_body(), start, length, min_length=ctx.config.chunk_min_length
        )
    except UploadOutOfOrderError as exc:
        raise _out_of_order(session, exc) from None
    return Response(202, _session_headers(session.name, session.id, stored))


async def finish_upload(ctx: Context, request: Request, match: Match) -> Response:
    """PUT ``<location>?digest=``: optional last chunk, verify, commit."""
    session = _session(ctx, match)
    digest_param = request.param("digest")
    if digest_param is None:
        raise OciError("DIGEST_INVALID", "the closing PUT needs a ?digest= parameter")
    digest = valid_digest(digest_param)
    start, length = _chunk_bounds(request)
    try:
        await ctx.storage.uploads.complete(
            session, request.upload_body(), start, length, digest, min_length=ctx.config.chunk_min_length
        )
    except UploadOutOfOrderError as exc:
        raise _out_of_order(session, exc) from None
    return _blob_created(session.name, str(digest))


def _out_of_order(session: UploadSession, exc: UploadOutOfOrderError) -> OciError:
    """416 with the session's Location, Docker-Upload-UUID and the Range of what is stored."""
    error = translate(exc)
    error.headers = _session_headers(session.name, session.id, exc.stored)
    return error


async def upload_status(ctx: Context, request: Request, match: Match) -> Response:
    """GET ``<location>``: 204 with the stored range."""
    session = _session(ctx, match)
    return Response(204, _session_headers(session.name, session.id, ctx.storage.uploads.size(session)))


async def cancel_upload(ctx: Context, request: Request, match: Match) -> Response:
    """DELETE ``<location>``: cancel the session (allowed even with --no-delete)."""
    session = _session(ctx, match)
    ctx.storage.uploads.cancel(session)
    return Response(204)
