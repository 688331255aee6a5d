"""The HTTP transcript: every exchange a client made, credentials redacted, for failure reports.

Each request hop (redirects and token requests included) becomes one `TranscriptEntry` holding
method, URL, request headers and body preview, status, response headers and body preview, elapsed
seconds and the transport error if any. Bodies are previewed up to `PREVIEW_LIMIT` bytes; binary
bodies are summarised as `<N bytes binary>`. `Transcript.render()` gives readable text,
`Transcript.to_dicts()` JSON-ready dicts. The plugin gives each test its own Transcript
(`client.transcript = Transcript()` or `with client.recording(transcript): ...`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from conformance.client.redaction import redact_body, redact_headers, redact_url

PREVIEW_LIMIT = 2048
DEFAULT_MAX_ENTRIES = 1000


def preview_body(body: bytes, total_size: int | None = None, limit: int = PREVIEW_LIMIT) -> str:
    """Readable preview of a body: text up to `limit` bytes (marked when cut), or `<N bytes binary>`.

    `body` may be just the first bytes of a larger body whose full length is `total_size`.
    """
    size = len(body) if total_size is None else total_size
    if size == 0:
        return ""
    head = redact_body(body) if size == len(body) else body
    sample = head[:limit]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 3:  # not just a multi-byte character cut at the limit
            return f"<{size} bytes binary>"
        text = sample[: exc.start].decode("utf-8")
    if any(ord(char) < 32 and char not in "\t\r\n" for char in text):
        return f"<{size} bytes binary>"
    if size > len(sample):
        return f"{text}... <{size} bytes total, {size - len(sample)} more>"
    return text


@dataclass
class TranscriptEntry:
    """One HTTP exchange (one hop). `status` is None when no response arrived (see `error`)."""

    method: str
    url: str
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    request_body: str = ""
    status: int | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: str = ""
    elapsed: float = 0.0
    error: str | None = None
    note: str | None = None

    @classmethod
    def start(
        cls, method: str, url: str, headers: list[tuple[str, str]], body_preview: str
    ) -> TranscriptEntry:
        """A new entry for a request about to be sent (secrets redacted here)."""
        return cls(
            method=method,
            url=redact_url(url),
            request_headers=redact_headers(headers),
            request_body=body_preview,
        )

    def record_response(self, status: int, headers: list[tuple[str, str]]) -> None:
        """Store the status line and headers of the answer (secrets redacted)."""
        self.status = status
        self.response_headers = redact_headers(headers)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for reports."""
        return dataclasses.asdict(self)

    def render(self) -> str:
        """Readable text: request line, headers, body preview, then the answer or the error."""
        lines = [f"> {self.method} {self.url}"]
        lines += [f"> {name}: {value}" for name, value in self.request_headers]
        if self.request_body:
            lines += [">", *(f">   {line}" for line in self.request_body.splitlines())]
        if self.status is not None:
            lines.append(f"< {self.status}  ({self.elapsed * 1000:.0f} ms)")
            lines += [f"< {name}: {value}" for name, value in self.response_headers]
            if self.response_body:
                lines += ["<", *(f"<   {line}" for line in self.response_body.splitlines())]
        if self.error:
            lines.append(f"! {self.error}  (after {self.elapsed * 1000:.0f} ms)")
        if self.note:
            lines.append(f"# {self.note}")
        return "\n".join(lines)


class Transcript:
    """An ordered record of exchanges; keeps the last `max_entries` and counts the dropped ones."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.entries: list[TranscriptEntry] = []
        self.dropped = 0
        self.max_entries = max_entries

    def add(self, entry: TranscriptEntry) -> TranscriptEntry:
        """Append an entry (it may still be filled in afterwards)."""
        self.entries.append(entry)
        if len(self.entries) > self.max_entries:
            del self.entries[0]
            self.dropped += 1
        return entry

    def clear(self) -> None:
        """Forget every entry."""
        self.entries.clear()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def last(self) -> TranscriptEntry | None:
        """The most recent entry, if any."""
        return self.entries[-1] if self.entries else None

    def to_dicts(self) -> list[dict[str, Any]]:
        """Every entry as a JSON-ready dict."""
        return [entry.to_dict() for entry in self.entries]

    def render(self, last: int | None = None) -> str:
        """Readable text of every entry (or of the `last` N), separated by blank lines."""
        entries = self.entries if last is None else self.entries[-last:]
        skipped = self.dropped + len(self.entries) - len(entries)
        blocks = [entry.render() for entry in entries]
        if skipped:
            blocks.insert(0, f"({skipped} earlier exchanges not shown)")
        return "\n\n".join(blocks)
