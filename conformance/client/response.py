"""The client's response object: status, headers, body (read), and the transcript entry behind it.

Checks read `status_code`, `headers` (an `httpx.Headers`, case-insensitive, `get_list` for repeated
headers), `content`/`text`/`json()`. Blob downloads made with `blob_get_digest` do not keep the
body: `computed_digest` and `body_size` hold what was hashed while streaming. `history` lists
redirect hops that led here; `location` is the `Location` header resolved against `url`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.client.transcript import TranscriptEntry
from conformance.client.urls import resolve_location


@dataclass
class Response:
    """One HTTP answer with its body read (or hashed), never judged by the client."""

    method: str
    url: str
    status_code: int
    headers: httpx.Headers
    content: bytes
    elapsed: float
    entry: TranscriptEntry
    history: list[Response] = field(default_factory=list)
    body_size: int = 0
    computed_digest: str | None = None

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON (raises `ValueError` when it is not JSON)."""
        return json.loads(self.content)

    @property
    def ok(self) -> bool:
        """True for 2xx."""
        return 200 <= self.status_code < 300

    def header(self, name: str) -> str | None:
        """The first value of header `name`, or None."""
        value: str | None = self.headers.get(name)
        return value

    @property
    def location(self) -> str | None:
        """The `Location` header resolved against the request URL (query kept verbatim), or None."""
        value = self.headers.get("location")
        return None if value is None else resolve_location(self.url, value)

    @property
    def content_digest(self) -> str | None:
        """The `Docker-Content-Digest` header, or None."""
        value: str | None = self.headers.get("docker-content-digest")
        return value

    @property
    def content_type(self) -> str | None:
        """The media type of `Content-Type` without parameters, or None."""
        value = self.headers.get("content-type")
        return None if value is None else value.split(";", 1)[0].strip()

    def annotate(self, note: str) -> None:
        """Add a note to this exchange's transcript entry."""
        self.entry.note = note if not self.entry.note else f"{self.entry.note}; {note}"

    def describe(self) -> str:
        """`METHOD url -> status` for messages."""
        return f"{self.method} {self.url} -> {self.status_code}"
