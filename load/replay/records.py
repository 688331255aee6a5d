"""The normalized trace record, the registry route of a request path, and the JSON-lines trace form.

A trace is a header line and one JSON object per request, in arrival order:

    {"registry_harness_trace": 1, "source": "access.log", "format": "combined", "origin": 1700000000.0}
    {"t": 0.0, "method": "GET", "path": "/v2/team/app/manifests/v1", "status": 200, "size": 527,
     "request_size": null, "duration": 0.004, "client": "10.0.0.7"}

`t` is seconds since the first request, `size` the response body bytes, `request_size` the request body
bytes (null when the source did not record them), `duration` seconds (null when unknown), `client` an
opaque client id (null when unknown). Every other format converts to this one (`formats.py`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

HEADER_KEY = "registry_harness_trace"
VERSION = 1
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
_ROUTE = re.compile(r"^/v2/(?P<name>.+)/(?P<kind>manifests|blobs|tags|referrers)/(?P<rest>[^/]*(?:/[^/]*)?)$")


class TraceError(ValueError):
    """A trace that cannot be read; the message names the file and line."""


@dataclass(slots=True)
class Record:
    """One recorded request."""

    t: float
    method: str
    path: str
    status: int
    size: int | None = None
    request_size: int | None = None
    duration: float | None = None
    client: str | None = None
    index: int = -1

    def to_json(self) -> dict[str, Any]:
        """The JSON-lines object of this record."""
        return {"t": round(self.t, 6), "method": self.method, "path": self.path, "status": self.status,
                "size": self.size, "request_size": self.request_size, "duration": self.duration,
                "client": self.client}


@dataclass(frozen=True)
class Route:
    """What a request path addresses: `kind` (one of ROUTE_KINDS), repository and reference if any."""

    kind: str
    repo: str | None = None
    ref: str | None = None
    upload: str | None = None
    query: dict[str, str] = field(default_factory=dict)


ROUTE_KINDS = ("base", "catalog", "tags", "manifest", "blob", "upload", "referrers", "other")


def classify(path: str) -> Route:
    """The registry route of a request path (query kept apart; upload session ids in `upload`)."""
    parts = urlsplit(path)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    clean = parts.path
    if clean in ("/v2", "/v2/"):
        return Route("base", query=query)
    if clean.rstrip("/") == "/v2/_catalog":
        return Route("catalog", query=query)
    match = _ROUTE.match(clean.rstrip("/") if clean.endswith("/uploads/") else clean)
    if not match:
        return Route("other", query=query)
    name, kind, rest = match["name"], match["kind"], match["rest"]
    if kind == "tags":
        return Route("tags", name, query=query) if rest == "list" else Route("other", query=query)
    if kind == "manifests" and rest and "/" not in rest:
        return Route("manifest", name, rest, query=query)
    if kind == "referrers" and rest and "/" not in rest:
        return Route("referrers", name, rest, query=query)
    if kind == "blobs":
        if rest == "uploads":
            return Route("upload", name, query=query)
        if rest.startswith("uploads/"):
            session = rest.split("/", 1)[1]
            return Route("upload", name, upload=session or None, query=query)
        if rest and "/" not in rest:
            return Route("blob", name, rest, query=query)
    return Route("other", query=query)


def op_class(method: str, route: Route) -> str:
    """The operation class a request is reported under, e.g. `manifest HEAD`, `blob GET`, `upload PATCH`."""
    return f"{route.kind} {method}"


def status_class(status: int | str) -> str:
    """`2xx`, `4xx`, ... for an HTTP status; `error` for a request that got no answer."""
    if isinstance(status, int) and 100 <= status <= 599:
        return f"{status // 100}xx"
    return "error"


def header(source: str, fmt: str, origin: float | None, count: int) -> dict[str, Any]:
    """The first line of a normalized trace."""
    return {HEADER_KEY: VERSION, "source": source, "format": fmt, "origin": origin, "records": count}


def write_jsonl(out: TextIO, records: Iterable[Record], head: dict[str, Any]) -> int:
    """Write the header and the records; returns how many records were written."""
    out.write(json.dumps(head, sort_keys=True) + "\n")
    count = 0
    for record in records:
        out.write(json.dumps(record.to_json(), separators=(",", ":")) + "\n")
        count += 1
    return count


def _int_or_none(value: Any, what: str, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise TraceError(f"{where}: {what} must be a non-negative number or null, got {value!r}")
    return int(value)


def record_from_json(document: Any, where: str) -> Record:
    """A `Record` from one normalized JSON object (validated; the error names `where`)."""
    if not isinstance(document, dict):
        raise TraceError(f"{where}: not a JSON object")
    try:
        t = float(document["t"])
        method = str(document["method"]).upper()
        path = str(document["path"])
        status = int(document["status"])
    except (KeyError, TypeError, ValueError) as exc:
        raise TraceError(f"{where}: needs t, method, path and status ({exc!r})") from exc
    if t < 0 or not path.startswith("/") or not 100 <= status <= 599:
        raise TraceError(f"{where}: t >= 0, a path starting with '/' and a status 100..599 are required")
    duration = document.get("duration")
    if duration is not None and (not isinstance(duration, int | float) or duration < 0):
        raise TraceError(f"{where}: duration must be seconds >= 0 or null")
    client = document.get("client")
    return Record(t, method, path, status, _int_or_none(document.get("size"), "size", where),
                  _int_or_none(document.get("request_size"), "request_size", where),
                  None if duration is None else float(duration), None if client is None else str(client))


def read_jsonl(path: Path) -> tuple[dict[str, Any], list[Record]]:
    """Read a normalized trace: (header, records sorted by time with their index set)."""
    head: dict[str, Any] = {}
    records: list[Record] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                document = json.loads(line)
            except ValueError as exc:
                raise TraceError(f"{path}:{number}: not JSON ({exc})") from exc
            if isinstance(document, dict) and HEADER_KEY in document:
                head = document
                continue
            records.append(record_from_json(document, f"{path}:{number}"))
    return head, finish(records)


def finish(records: list[Record]) -> list[Record]:
    """Sort by time (stable: ties keep the recorded order), start the clock at 0 and number them."""
    records.sort(key=lambda r: r.t)
    start = records[0].t if records else 0.0
    for index, record in enumerate(records):
        record.t = round(record.t - start, 6)
        record.index = index
    return records


def iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of a text file, undecodable bytes replaced."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            yield number, line.rstrip("\n")
