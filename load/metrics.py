"""Metrics Locust does not keep itself: bytes up/down per scenario (MB/s), OCI error codes, digest mismatches.

Locust counts only response bytes, so the scenarios record every transfer here: `add_up` when a request
with a body has been answered (the body was sent), `add_down` for each chunk read from a response.
Bytes land in per-second buckets per scenario, which the dashboard and the plots turn into MB/s
(MB = 10^6 bytes) over time. Pushed blobs that the registry acknowledged are tallied separately
(`committed`) so a run can be checked against what the registry stored.

Rate limits (`load/rate_limits.py`): every answer meaning "later" (429, 503 with Retry-After) is counted
per request (`"GET /v2/[repo]/blobs/[digest]"`) and per status, apart from errors, with the seconds
waited, the largest Retry-After, the requests that gave up (their last answer is also a failure) and the
rate-limit headers the registry announced (last value seen per header). Redirects followed are counted,
and those to another origin apart.

Distributed runs: each worker hands its counters to the master in Locust's `report_to_master` message
(`drain()` empties them), the master `merge()`s them in `worker_report`. Time-to-first-byte, transfer
times and whole-operation timings go into Locust's own stats as extra request rows (see `users/base.py`),
so they are merged by Locust. This module never imports locust.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

REPORT_KEY = "registry_harness_load"
MB = 1_000_000


class Counters:
    """Per-process (or, on the master, merged) transfer counters and error tallies."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        """Forget everything (test start, reset_stats)."""
        self.up: dict[str, int] = defaultdict(int)
        self.down: dict[str, int] = defaultdict(int)
        self.series: dict[int, dict[str, list[int]]] = {}
        self.ops: dict[str, int] = defaultdict(int)
        self.error_codes: dict[str, int] = defaultdict(int)
        self.digest_mismatches = 0
        self.committed_blobs = 0
        self.committed_bytes = 0
        self.rate_limited: dict[str, int] = defaultdict(int)
        self.rate_limited_status: dict[str, int] = defaultdict(int)
        self.rate_limit_gave_up: dict[str, int] = defaultdict(int)
        self.retry_wait_s = 0.0
        self.largest_retry_after: float | None = None
        self.rate_limit_headers: dict[str, str] = {}
        self.redirects = 0
        self.redirects_cross_origin = 0

    def _bucket(self, scenario: str) -> list[int]:
        second = int(self.clock())
        per_scenario = self.series.setdefault(second, {})
        bucket = per_scenario.get(scenario)
        if bucket is None:
            bucket = per_scenario[scenario] = [0, 0]
        return bucket

    def add_up(self, scenario: str, n: int) -> None:
        """Count `n` request-body bytes sent by `scenario`."""
        if n:
            self.up[scenario] += n
            self._bucket(scenario)[0] += n

    def add_down(self, scenario: str, n: int) -> None:
        """Count `n` response-body bytes received by `scenario`."""
        if n:
            self.down[scenario] += n
            self._bucket(scenario)[1] += n

    def add_op(self, scenario: str) -> None:
        """Count one completed whole operation (an image push, a blob pull, ...)."""
        self.ops[scenario] += 1

    def add_error(self, code: str) -> None:
        """Count an OCI error code (`BLOB_UNKNOWN`), an HTTP status (`HTTP 502`) or an exception name."""
        self.error_codes[code] += 1

    def add_digest_mismatch(self) -> None:
        """Count a pulled blob or manifest whose bytes do not hash to the digest asked for."""
        self.digest_mismatches += 1

    def add_committed(self, size: int) -> None:
        """Count a blob or manifest the registry acknowledged with 201."""
        self.committed_blobs += 1
        self.committed_bytes += size

    def add_rate_limited(self, request: str, status: int, wait: float | None,
                         retry_after: float | None) -> None:
        """Count one 429 (or 503 with Retry-After) on `request`; `wait` None: the request gave up on it."""
        self.rate_limited[request] += 1
        self.rate_limited_status[str(status)] += 1
        if wait is None:
            self.rate_limit_gave_up[request] += 1
        else:
            self.retry_wait_s += wait
        if retry_after is not None:
            self.largest_retry_after = max(self.largest_retry_after or 0.0, retry_after)

    def add_limits(self, headers: dict[str, str]) -> None:
        """Remember the rate-limit headers a response announced (`rate_limits.announced_limits`)."""
        self.rate_limit_headers.update(headers)

    def add_redirect(self, cross_origin: bool) -> None:
        """Count one redirect followed (`cross_origin`: to another scheme, host or port)."""
        self.redirects += 1
        self.redirects_cross_origin += int(cross_origin)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able copy, the format `merge` accepts (series keys become strings)."""
        return {
            "up": dict(self.up),
            "down": dict(self.down),
            "series": {str(sec): {k: list(v) for k, v in per.items()} for sec, per in self.series.items()},
            "ops": dict(self.ops),
            "error_codes": dict(self.error_codes),
            "digest_mismatches": self.digest_mismatches,
            "committed_blobs": self.committed_blobs,
            "committed_bytes": self.committed_bytes,
            "rate_limited": dict(self.rate_limited),
            "rate_limited_status": dict(self.rate_limited_status),
            "rate_limit_gave_up": dict(self.rate_limit_gave_up),
            "retry_wait_s": self.retry_wait_s,
            "largest_retry_after": self.largest_retry_after,
            "rate_limit_headers": dict(self.rate_limit_headers),
            "redirects": self.redirects,
            "redirects_cross_origin": self.redirects_cross_origin,
        }

    def drain(self) -> dict[str, Any]:
        """Return the counters and reset them (a worker's share of one report to the master)."""
        data = self.to_dict()
        self.reset()
        return data

    def merge(self, data: dict[str, Any]) -> None:
        """Add another process's `to_dict()`/`drain()` output into these counters."""
        for name, n in data.get("up", {}).items():
            self.up[name] += int(n)
        for name, n in data.get("down", {}).items():
            self.down[name] += int(n)
        for sec_text, per in data.get("series", {}).items():
            target = self.series.setdefault(int(sec_text), {})
            for name, (up, down) in per.items():
                bucket = target.setdefault(name, [0, 0])
                bucket[0] += int(up)
                bucket[1] += int(down)
        for name, n in data.get("ops", {}).items():
            self.ops[name] += int(n)
        for code, n in data.get("error_codes", {}).items():
            self.error_codes[code] += int(n)
        self.digest_mismatches += int(data.get("digest_mismatches", 0))
        self.committed_blobs += int(data.get("committed_blobs", 0))
        self.committed_bytes += int(data.get("committed_bytes", 0))
        for field in ("rate_limited", "rate_limited_status", "rate_limit_gave_up"):
            mine = getattr(self, field)
            for key, n in (data.get(field) or {}).items():
                mine[key] += int(n)
        self.retry_wait_s += float(data.get("retry_wait_s") or 0.0)
        if data.get("largest_retry_after") is not None:
            largest = float(data["largest_retry_after"])
            self.largest_retry_after = max(self.largest_retry_after or 0.0, largest)
        self.rate_limit_headers.update(data.get("rate_limit_headers") or {})
        self.redirects += int(data.get("redirects", 0))
        self.redirects_cross_origin += int(data.get("redirects_cross_origin", 0))

    def scenarios(self) -> list[str]:
        """Every scenario that moved bytes or completed an operation, sorted."""
        return sorted(set(self.up) | set(self.down) | set(self.ops))

    def timeline(self, start: float | None = None, end: float | None = None) -> dict[str, Any]:
        """MB/s per second per scenario (and in total), gaps filled with zeros; what the chart draws."""
        if not self.series:
            return {"t": [], "scenarios": {}, "total": {"up": [], "down": []}}
        first = int(start) if start is not None else min(self.series)
        last = int(end) if end is not None else max(self.series)
        last = max(last, *self.series)
        seconds = list(range(first, last + 1))
        names = sorted({name for per in self.series.values() for name in per})
        scenarios = {name: {"up": [0.0] * len(seconds), "down": [0.0] * len(seconds)} for name in names}
        total_up = [0.0] * len(seconds)
        total_down = [0.0] * len(seconds)
        for index, sec in enumerate(seconds):
            for name, (up, down) in self.series.get(sec, {}).items():
                scenarios[name]["up"][index] = up / MB
                scenarios[name]["down"][index] = down / MB
                total_up[index] += up / MB
                total_down[index] += down / MB
        return {
            "t": [sec - first for sec in seconds],
            "start": first,
            "scenarios": scenarios,
            "total": {"up": total_up, "down": total_down},
        }


def parse_error_codes(body: bytes) -> list[str]:
    """The `errors[].code` values of an OCI error envelope, or [] when the body is not one."""
    try:
        document = json.loads(body[:65536])
    except ValueError:
        return []
    if not isinstance(document, dict) or not isinstance(document.get("errors"), list):
        return []
    return [str(e["code"]) for e in document["errors"] if isinstance(e, dict) and "code" in e]


def mb_per_s(n_bytes: int, seconds: float) -> float:
    """Decimal megabytes per second; 0 for an empty interval."""
    return n_bytes / MB / seconds if seconds > 0 else 0.0


COUNTERS = Counters()
"""This process's counters: the users add to it; on the master it holds the merged totals."""
