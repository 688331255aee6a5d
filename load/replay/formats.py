"""Trace parsers: combined access logs, distribution's app log, the IBM registry traces, JSON lines.

- `combined`: the NCSA combined format written by nginx (`log_format combined`), Apache (`%h %l %u %t
  "%r" %>s %b "%{Referer}i" "%{User-agent}i"`) and distribution's own access log (gorilla/handlers):
  client, time (`[10/Oct/2023:13:55:36 +0000]`, one-second resolution), request line, status, response
  bytes (`-` = 0). Referer and user agent are optional (common format). After them, optional extras
  are read: a bare number is the request time in seconds (nginx `$request_time`), and `key=value` pairs
  `rt=`/`request_time=` (seconds) and `cl=`/`content_length=` (request body bytes, nginx
  `$content_length`). Request bodies are otherwise unknown in this format.
- `distribution`: distribution's application log lines `msg="response completed"` (logrus text
  `key=value` or JSON): `time`, `http.request.method`, `http.request.uri`, `http.response.status`,
  `http.response.written` (response bytes), `http.response.duration` (a Go duration such as `2.7ms`),
  `http.request.remoteaddr`. The arrival time is `time` minus the duration (the line is written when the
  response completed).
- `ibm`: the IBM Cloud container registry traces of Anwar et al. (FAST '18): a JSON array (or JSON lines)
  of objects with `timestamp` (arrival, UTC, `2017-06-20T02:41:18.399Z`), `http.request.method`,
  `http.request.uri` (anonymized, without the leading slash: `v2/4715bf52/437c49db/blobs/93054319`),
  `http.response.status`, `http.response.written` (bytes sent for reads, received for uploads),
  `http.request.duration` (seconds), `http.request.remoteaddr` (anonymized client). `host`, `id` and
  `http.request.useragent` are accepted and ignored.
- `jsonl`: the normalized form (`records.py`).

`load_trace(path, fmt="auto")` detects the format from the first non-empty line. Lines that do not parse
are counted (`Parsed.skipped`, with the first few line numbers), never silently dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from load.replay.records import HEADER_KEY, Record, TraceError, finish, iter_lines, read_jsonl

FORMATS = ("auto", "combined", "distribution", "ibm", "jsonl")
_COMBINED = re.compile(
    r'^(?P<client>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<request>(?:[^"\\]|\\.)*)" (?P<status>\d{3}) '
    r'(?P<bytes>\d+|-)(?: "(?:[^"\\]|\\.)*" "(?:[^"\\]|\\.)*")?(?P<rest>.*)$'
)
_KV = re.compile(r'([\w.\-]+)=("(?:[^"\\]|\\.)*"|\S*)')
_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|s|m|h)")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
KEEP_SKIPPED = 10


@dataclass
class Parsed:
    """A parsed trace: records (sorted, numbered), the format, the epoch of t=0, and what was skipped."""

    records: list[Record]
    fmt: str
    origin: float | None
    skipped: int = 0
    skipped_lines: list[int] = field(default_factory=list)

    def skip(self, number: int) -> None:
        """Count an unparseable line."""
        self.skipped += 1
        if len(self.skipped_lines) < KEEP_SKIPPED:
            self.skipped_lines.append(number)


def go_duration(text: str) -> float | None:
    """Seconds of a Go duration string (`1m2.5s`, `58.451µs`); None when it is not one."""
    text = text.strip().strip('"')
    parts = _GO_DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _GO_UNITS[u] for n, u in parts)


def iso_time(text: str) -> float:
    """Epoch seconds of an RFC 3339 / ISO 8601 time (nanosecond fractions cut to microseconds)."""
    text = text.strip().replace("Z", "+00:00")
    match = re.match(r"^(.*?\.\d{1,6})\d*(.*)$", text)
    if match:
        text = match.group(1) + match.group(2)
    stamp = datetime.fromisoformat(text)
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value >= 0 else None


def parse_combined_line(line: str) -> Record | None:
    """One combined/common log line as a Record (t is the epoch of the logged time); None if it is not one."""
    match = _COMBINED.match(line)
    if not match:
        return None
    request = match["request"].split(" ")
    if len(request) < 2 or not request[1].startswith("/"):
        return None
    try:
        t = datetime.strptime(match["time"], "%d/%b/%Y:%H:%M:%S %z").timestamp()
    except ValueError:
        return None
    raw = match["bytes"]
    record = Record(t, request[0].upper(), request[1], int(match["status"]), 0 if raw == "-" else int(raw),
                    client=match["client"])
    for token in match["rest"].split():
        key, sep, value = token.partition("=")
        if not sep:
            record.duration = _number(token) if record.duration is None else record.duration
        elif key in ("rt", "request_time"):
            record.duration = _number(value)
        elif key in ("cl", "content_length") and value.isdigit():
            record.request_size = int(value)
    return record


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def _distribution_fields(line: str) -> dict[str, Any] | None:
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            document = json.loads(stripped)
        except ValueError:
            return None
        return document if isinstance(document, dict) else None
    fields = {key: _unquote(value) for key, value in _KV.findall(stripped)}
    return fields if "time" in fields or "msg" in fields else None


def parse_distribution_line(line: str) -> Record | bool | None:
    """A distribution app-log line: a Record for a completed response, False for any other log line."""
    fields = _distribution_fields(line)
    if fields is None:
        return None
    if "http.response.status" not in fields or fields.get("msg") not in ("response completed", "response"):
        return False
    try:
        method = str(fields["http.request.method"]).upper()
        uri = str(fields["http.request.uri"])
        status = int(fields["http.response.status"])
        end = iso_time(str(fields["time"]))
    except (KeyError, ValueError, TypeError):
        return None
    written = fields.get("http.response.written")
    duration_raw = fields.get("http.response.duration")
    duration = None
    if isinstance(duration_raw, int) and not isinstance(duration_raw, bool):
        duration = duration_raw / 1e9  # a Go time.Duration marshalled as integer nanoseconds
    elif isinstance(duration_raw, float):
        duration = duration_raw
    elif isinstance(duration_raw, str):
        duration = go_duration(duration_raw)
    size = int(written) if written is not None and str(written).isdigit() else None
    start = end - duration if duration is not None else end
    client = fields.get("http.request.remoteaddr")
    return Record(start, method, uri if uri.startswith("/") else "/" + uri, status, size, None, duration,
                  None if client is None else str(client))


def ibm_record(document: Any) -> Record | None:
    """One IBM trace object as a Record (t is the epoch of `timestamp`); None when a field is missing."""
    if not isinstance(document, dict):
        return None
    try:
        method = str(document["http.request.method"]).upper()
        uri = str(document["http.request.uri"])
        status = int(document["http.response.status"])
        t = iso_time(str(document["timestamp"]))
    except (KeyError, ValueError, TypeError):
        return None
    written = document.get("http.response.written")
    written = int(written) if isinstance(written, int | float) and written >= 0 else None
    duration = document.get("http.request.duration")
    duration = float(duration) if isinstance(duration, int | float) and duration >= 0 else None
    path = uri if uri.startswith("/") else "/" + uri
    uploads = method in ("PUT", "PATCH", "POST")
    client = document.get("http.request.remoteaddr")
    return Record(t, method, path, status, 0 if uploads else written, written if uploads else None, duration,
                  None if client is None else str(client))


def detect(path: Path) -> str:
    """The format of a trace file from its first non-empty line."""
    for _, line in iter_lines(path):
        text = line.strip()
        if not text:
            continue
        if text.startswith("["):
            return "ibm"
        if text.startswith("{"):
            try:
                document = json.loads(text)
            except ValueError:
                document = None
            if isinstance(document, dict):
                if HEADER_KEY in document or {"t", "method", "path"} <= document.keys():
                    return "jsonl"
                if "http.request.uri" in document and "timestamp" in document:
                    return "ibm"
                return "distribution"
        if _COMBINED.match(text):
            return "combined"
        if "http.request.method=" in text or "msg=" in text:
            return "distribution"
        raise TraceError(f"{path}: cannot tell the trace format from its first line; give --format")
    raise TraceError(f"{path}: empty trace")


def _parse_ibm(path: Path) -> Parsed:
    parsed = Parsed([], "ibm", None)
    text = path.read_text(encoding="utf-8", errors="replace")
    if text.lstrip().startswith("["):
        try:
            documents = json.loads(text)
        except ValueError as exc:
            raise TraceError(f"{path}: not a JSON array of trace records ({exc})") from exc
        items = list(enumerate(documents if isinstance(documents, list) else [], 1))
    else:
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    items.append((number, json.loads(line)))
                except ValueError:
                    parsed.skip(number)
    for number, document in items:
        record = ibm_record(document)
        if record is None:
            parsed.skip(number)
        else:
            parsed.records.append(record)
    return parsed


def load_trace(path: Path, fmt: str = "auto") -> Parsed:
    """Parse a trace file of `fmt` (or the detected format) into sorted records starting at t=0."""
    if fmt not in FORMATS:
        raise TraceError(f"unknown trace format {fmt!r}; one of {', '.join(FORMATS)}")
    if fmt == "auto":
        fmt = detect(path)
    if fmt == "jsonl":
        head, records = read_jsonl(path)
        origin = head.get("origin")
        return Parsed(records, "jsonl", float(origin) if isinstance(origin, int | float) else None)
    if fmt == "ibm":
        parsed = _parse_ibm(path)
    else:
        parsed = Parsed([], fmt, None)
        for number, line in iter_lines(path):
            if not line.strip():
                continue
            result = parse_combined_line(line) if fmt == "combined" else parse_distribution_line(line)
            if result is None:
                parsed.skip(number)
            elif isinstance(result, Record):
                parsed.records.append(result)
    if not parsed.records:
        raise TraceError(f"{path}: no request could be read as {fmt} ({parsed.skipped} lines skipped)")
    parsed.origin = min(r.t for r in parsed.records)
    finish(parsed.records)
    return parsed
