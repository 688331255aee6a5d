"""OCI error codes, the HTTP-level error type, domain-error translation and the ONE envelope renderer.

Codes are the 14 of the distribution-spec table; no implementation-only code (``PAGINATION_NUMBER_INVALID``,
``RANGE_INVALID``, ``TAG_INVALID`` ...) is ever emitted. Choices where the spec leaves room:

- Malformed digest anywhere in a URL (blob, manifest, referrers, ``?digest=``, ``?mount=``) -> 400
  ``DIGEST_INVALID``, also on GET/HEAD (a digest that cannot exist is a client error, not "unknown").
- Malformed tag in a manifest URL or a ``?tag=`` parameter -> 400 ``MANIFEST_INVALID`` (``TAG_INVALID`` is a
  legacy Docker code outside the OCI table; the reference names no manifest the registry could hold).
- Malformed repository name (including ``..`` and percent-encoded slashes after one decoding)
  -> 400 ``NAME_INVALID``.
- Invalid ``n`` on tags list / catalog (negative, not a number) -> 400 ``UNSUPPORTED`` (the pagination request
  cannot be served; distribution's ``PAGINATION_NUMBER_INVALID`` is not an OCI code).
- Unsatisfiable blob ``Range`` -> 416 ``SIZE_INVALID`` with ``Content-Range: bytes */<size>``.
- Out-of-order chunk -> 416 with code ``BLOB_UPLOAD_INVALID`` and a ``Range`` header of what is stored;
  so is more data after a chunk shorter than ``--chunk-min-length`` (``detail.min_length``, see uploads);
  garbage ``Content-Range`` -> 400 ``BLOB_UPLOAD_INVALID``; ``Content-Length`` differing from the range
  -> 400 ``SIZE_INVALID``; unknown, malformed, expired, cancelled or other-repository session id -> 404
  ``BLOB_UPLOAD_UNKNOWN``.
- Manifest referencing blobs or child manifests this repository lacks -> 400 with one
  ``MANIFEST_BLOB_UNKNOWN`` entry per missing digest (``detail.digest``); a descriptor size that differs
  from the stored one -> 400 ``MANIFEST_INVALID``.
- Manifest body over ``--max-manifest-bytes`` -> 413 ``SIZE_INVALID``.
- Unknown route -> plain-text 404 (no envelope: no OCI code describes "no such endpoint");
  known route, wrong method -> 405 ``UNSUPPORTED`` with ``Allow``.
- Deletes disabled (``--no-delete``) -> 405 ``UNSUPPORTED``.
- Unexpected exceptions (genuine server bugs only, never bad input) -> 500 with code ``UNKNOWN`` (the one
  non-table code, as distribution does), and the traceback is logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from reference_server.storage import errors as domain

# code -> (default HTTP status, message)
OCI_CODES: dict[str, tuple[int, str]] = {
    "BLOB_UNKNOWN": (404, "blob unknown to registry"),
    "BLOB_UPLOAD_INVALID": (400, "blob upload invalid"),
    "BLOB_UPLOAD_UNKNOWN": (404, "blob upload unknown to registry"),
    "DIGEST_INVALID": (400, "provided digest did not match uploaded content"),
    "MANIFEST_BLOB_UNKNOWN": (400, "manifest references a manifest or blob unknown to registry"),
    "MANIFEST_INVALID": (400, "manifest invalid"),
    "MANIFEST_UNKNOWN": (404, "manifest unknown to registry"),
    "NAME_INVALID": (400, "invalid repository name"),
    "NAME_UNKNOWN": (404, "repository name not known to registry"),
    "SIZE_INVALID": (400, "provided length did not match content length"),
    "UNAUTHORIZED": (401, "authentication required"),
    "DENIED": (403, "requested access to the resource is denied"),
    "UNSUPPORTED": (405, "the operation is unsupported"),
    "TOOMANYREQUESTS": (429, "too many requests"),
}
BUG_CODE = "UNKNOWN"

Headers = list[tuple[bytes, bytes]]


@dataclass
class ErrorItem:
    """One entry of the envelope's ``errors`` array."""

    code: str
    message: str | None = None
    detail: Any = None

    def to_json(self) -> dict[str, Any]:
        """The entry as a JSON object (message defaults to the code's table message)."""
        message = (
            self.message if self.message is not None else OCI_CODES.get(self.code, (500, "unknown error"))[1]
        )
        entry: dict[str, Any] = {"code": self.code, "message": message}
        if self.detail is not None:
            entry["detail"] = self.detail
        return entry


class OciError(Exception):
    """An error answer: status, one or more envelope entries and extra headers."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        detail: Any = None,
        *,
        status: int | None = None,
        headers: Headers | None = None,
        more: list[ErrorItem] | None = None,
    ) -> None:
        super().__init__(message or code)
        self.items = [ErrorItem(code, message, detail), *(more or [])]
        self.status = status if status is not None else OCI_CODES.get(code, (500, ""))[0]
        self.headers: Headers = headers or []

    @classmethod
    def many(cls, items: list[ErrorItem], *, status: int | None = None) -> OciError:
        """An error answer carrying several entries (e.g. one MANIFEST_BLOB_UNKNOWN per digest)."""
        first, *rest = items
        return cls(first.code, first.message, first.detail, status=status, more=rest)


@dataclass
class RenderedError:
    """Status, headers and body of an error answer, ready to send."""

    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""


def range_header(stored: int) -> bytes:
    """The upload ``Range`` value for `stored` bytes: ``0-<last byte>``; ``0-0`` when empty (see uploads)."""
    return b"0-%d" % (stored - 1 if stored > 0 else 0)


def translate(exc: domain.StorageError) -> OciError:
    """Map a domain error from the stores to its OCI answer."""
    if isinstance(exc, domain.BlobNotFoundError):
        return OciError("BLOB_UNKNOWN", str(exc), {"digest": exc.digest})
    if isinstance(exc, domain.ManifestNotFoundError):
        return OciError("MANIFEST_UNKNOWN", str(exc), {"reference": exc.reference})
    if isinstance(exc, domain.RepositoryNotFoundError):
        return OciError("NAME_UNKNOWN", str(exc), {"name": exc.name})
    if isinstance(exc, domain.UploadNotFoundError):
        return OciError("BLOB_UPLOAD_UNKNOWN", str(exc), {"uuid": exc.upload_id})
    if isinstance(exc, domain.UploadOutOfOrderError):
        detail: dict[str, int | None] = {"stored": exc.stored, "start": exc.start}
        if isinstance(exc, domain.ChunkAfterShortChunkError):
            detail["min_length"] = exc.min_length
        return OciError(
            "BLOB_UPLOAD_INVALID",
            str(exc),
            detail,
            status=416,
            headers=[(b"range", range_header(exc.stored))],
        )
    if isinstance(exc, domain.DigestMismatchError):
        return OciError("DIGEST_INVALID", str(exc), {"expected": exc.expected, "actual": exc.actual})
    if isinstance(exc, domain.SizeMismatchError):
        return OciError("SIZE_INVALID", str(exc), {"expected": exc.expected, "received": exc.actual})
    if isinstance(exc, domain.ContentTooLargeError):
        return OciError(
            "SIZE_INVALID", str(exc), {"limit": exc.limit}, status=413, headers=[(b"connection", b"close")]
        )
    return OciError("UNSUPPORTED", str(exc), status=400)


def render(error: OciError) -> RenderedError:
    """The ONE place that writes the OCI envelope ``{"errors":[{code,message,detail}]}``."""
    body = json.dumps({"errors": [item.to_json() for item in error.items]}).encode()
    headers: Headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *error.headers,
    ]
    return RenderedError(error.status, headers, body)


def render_bug() -> RenderedError:
    """A 500 answer for a genuine server bug (the caller logs the traceback)."""
    return render(OciError(BUG_CODE, "internal server error", status=500))


def render_not_found_route() -> RenderedError:
    """Plain-text 404 for a path that matches no endpoint."""
    body = b"404 page not found\n"
    return RenderedError(
        404,
        [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        body,
    )
