"""The OCI error-code table (distribution-spec `spec.md`, "Error Codes") and the error-envelope parser.

A 4xx body MAY be in any format; when it is JSON it MUST be
`{"errors": [{"code": <table value>, "message": <string, optional>, "detail": <any JSON, optional>}, ...]}`.
`parse_error_envelope` returns `None` for a non-JSON body, the entries for a well-formed envelope,
and raises `MalformedEnvelopeError` (listing every problem) for JSON of the wrong shape. A code outside
the table is a shape-conformant entry with `known=False`: checks decide what to make of it.

`ErrorCode.statuses` are the statuses the spec's endpoint tables pair with each code (the first one
is the usual one); `TAG_INVALID` and `MANIFEST_UNVERIFIED` are legacy Docker codes that MAY appear.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """One row of the error-code table."""

    code: str
    spec_id: str
    meaning: str
    statuses: tuple[int, ...]
    legacy: bool = False


ERROR_CODES: dict[str, ErrorCode] = {
    entry.code: entry
    for entry in (
        ErrorCode("BLOB_UNKNOWN", "code-1", "blob unknown to registry", (404,)),
        ErrorCode("BLOB_UPLOAD_INVALID", "code-2", "blob upload invalid", (400, 404, 416)),
        ErrorCode("BLOB_UPLOAD_UNKNOWN", "code-3", "blob upload unknown to registry", (404,)),
        ErrorCode("DIGEST_INVALID", "code-4", "provided digest did not match uploaded content", (400,)),
        ErrorCode(
            "MANIFEST_BLOB_UNKNOWN",
            "code-5",
            "manifest references a manifest or blob unknown to registry",
            (400, 404),
        ),
        ErrorCode("MANIFEST_INVALID", "code-6", "manifest invalid", (400,)),
        ErrorCode("MANIFEST_UNKNOWN", "code-7", "manifest unknown to registry", (404,)),
        ErrorCode("NAME_INVALID", "code-8", "invalid repository name", (400, 404)),
        ErrorCode("NAME_UNKNOWN", "code-9", "repository name not known to registry", (404,)),
        ErrorCode("SIZE_INVALID", "code-10", "provided length did not match content length", (400, 416)),
        ErrorCode("UNAUTHORIZED", "code-11", "authentication required", (401,)),
        ErrorCode("DENIED", "code-12", "requested access to the resource is denied", (403,)),
        ErrorCode("UNSUPPORTED", "code-13", "the operation is unsupported", (400, 405)),
        ErrorCode("TOOMANYREQUESTS", "code-14", "too many requests", (429,)),
        ErrorCode("TAG_INVALID", "legacy", "manifest tag did not match URI", (400,), legacy=True),
        ErrorCode(
            "MANIFEST_UNVERIFIED", "legacy", "manifest failed signature verification", (400,), legacy=True
        ),
    )
}
"""Every code the spec defines (code-1 ... code-14) plus the two legacy Docker codes."""


class HasBody(Protocol):
    """Anything with response `content` bytes (httpx.Response, the client's Response)."""

    @property
    def content(self) -> bytes:
        """The response body."""
        ...


@dataclass(frozen=True, slots=True)
class ErrorEntry:
    """One entry of an error envelope; `known` tells whether `code` is in the OCI table."""

    code: str
    message: str | None
    detail: Any
    known: bool


class MalformedEnvelopeError(ValueError):
    """A JSON error body that does not have the `{"errors": [...]}` shape; `.problems` lists why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def envelope_problems(document: Any) -> list[str]:
    """Return every way a decoded JSON error body departs from the required envelope shape."""
    if not isinstance(document, dict):
        return [f"body is JSON {type(document).__name__}, not an object with 'errors'"]
    errors = document.get("errors")
    if not isinstance(errors, list):
        return ["'errors' is missing or not an array"]
    problems: list[str] = []
    if not errors:
        problems.append("'errors' is an empty array")
    for index, item in enumerate(errors):
        where = f"errors[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where} is not an object")
            continue
        code = item.get("code")
        if not isinstance(code, str):
            problems.append(f"{where}.code is missing or not a string")
        if "message" in item and not isinstance(item["message"], str):
            problems.append(f"{where}.message is not a string")
    return problems


def parse_error_envelope(response: HasBody | bytes) -> list[ErrorEntry] | None:
    """Parse an error body: None if not JSON, entries if well-formed, else raise MalformedEnvelopeError."""
    body = response if isinstance(response, bytes) else response.content
    if not body.strip():
        return None
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    problems = envelope_problems(document)
    if problems:
        raise MalformedEnvelopeError(problems)
    return [
        ErrorEntry(
            code=item["code"],
            message=item.get("message"),
            detail=item.get("detail"),
            known=item["code"] in ERROR_CODES,
        )
        for item in document["errors"]
    ]


def error_codes_of(response: HasBody | bytes) -> list[str]:
    """Return the codes of a well-formed envelope, or [] for a non-JSON or malformed body."""
    try:
        entries = parse_error_envelope(response)
    except MalformedEnvelopeError:
        return []
    return [entry.code for entry in entries or []]
