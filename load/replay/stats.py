"""What a replay measured, mergeable across workers.

The request mix as recorded, sent and answered, latency and MB/s per operation class, schedule lag, sizes
and digests checked, and the per-second timeline.

Keys are `METHOD route class` (`GET blob 2xx`). "recorded" counts the trace (every record of the share,
skipped ones included), "sent" counts what was sent keyed by what the trace recorded, "answered" keys each
answer by the class that came back (`error` when none did). Latencies and lags are kept as histograms
(about 1% resolution) so a worker's share travels to the master in a few kilobytes. Never imports locust.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from load.replay.exchange import Answer, Outgoing, verdict
from load.replay.plan import Step
from load.replay.records import status_class

MB = 1_000_000
KEEP_SAMPLES = 20
PERCENTILES = (0.5, 0.9, 0.95, 0.99)


def bucket(ms: float) -> float:
    """A histogram bucket of about two significant digits for a duration in milliseconds."""
    if ms < 10:
        return round(ms, 1)
    if ms < 100:
        return float(round(ms))
    if ms < 1000:
        return float(round(ms, -1))
    return float(round(ms, -2))


def percentile(histogram: Counter[float], fraction: float) -> float:
    """The `fraction` percentile of a bucket histogram (0 when empty)."""
    total = sum(histogram.values())
    if not total:
        return 0.0
    rank = fraction * total
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)


def key_of(method: str, kind: str, klass: str) -> str:
    """A mix key, e.g. `GET blob 2xx`."""
    return f"{method} {kind} {klass}"


def _split(key: str) -> tuple[str, str, str]:
    method, kind, klass = key.split(" ")
    return method, kind, klass


class ReplayStats:
    """The figures of one replay (or, on a Locust master, of all workers' shares merged)."""

    def __init__(self) -> None:
        self.recorded: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.latency: dict[str, Counter[float]] = {}
        self.bytes_up: Counter[str] = Counter()
        self.bytes_down: Counter[str] = Counter()
        self.lag: Counter[float] = Counter()
        self.chain_lag: Counter[float] = Counter()
        self.counts: Counter[str] = Counter()
        self.notes: dict[str, Counter[str]] = {"not_reproducible": Counter(), "skipped": Counter(),
                                               "added": Counter(), "unsent": Counter()}
        self.samples: dict[str, list[dict[str, Any]]] = {"mismatches": [], "sizes": [], "digests": []}
        self.seconds: dict[int, list[int]] = {}
        self.window: list[float] = []  # [first start, last end] (epoch seconds)

    # ---- recording --------------------------------------------------------------------------------

    def plan(self, steps: list[Step]) -> None:
        """Count what the trace recorded for these steps (the share this process replays)."""
        for step in steps:
            if step.added:
                continue
            self.recorded[key_of(step.method, step.kind, step.recorded_class)] += 1
            if step.intent == "skip":
                self.notes["skipped"][step.note] += 1
            elif not step.reproducible:
                self.notes["not_reproducible"][step.note] += 1

    def _second(self, at: float) -> list[int]:
        return self.seconds.setdefault(int(at), [0, 0, 0, 0])

    def unsent(self, step: Step, reason: str) -> None:
        """A step that could not be sent (its upload session never got a Location)."""
        self.notes["unsent"][reason] += 1

    def record(self, step: Step, out: Outgoing, answer: Answer, *, lag: float, started: float,
               dependent: bool = False) -> None:
        """One request sent and its answer; `lag` seconds behind schedule, `started` epoch seconds.

        `dependent`: a later step of an upload session, which waited for the step before it (its lag is
        the registry's time on that step, kept apart from the schedule lag of the generator).
        """
        answered = status_class(answer.status) if answer.status is not None else "error"
        if step.added:
            self.notes["added"][step.op] += 1
        else:
            self.sent[key_of(step.method, step.kind, step.recorded_class)] += 1
            self.answered[key_of(step.method, step.kind, answered)] += 1
            self.statuses[f"{step.recorded}->{answer.status if answer.status is not None else 'error'}"] += 1
        op = step.op
        self.latency.setdefault(op, Counter())[bucket(answer.latency * 1000)] += 1
        self.bytes_up[op] += answer.sent
        self.bytes_down[op] += answer.received
        if dependent:
            self.chain_lag[bucket(max(0.0, lag) * 1000)] += 1
        else:
            self.lag[bucket(max(0.0, lag) * 1000)] += 1
            self.counts["late_over_100ms"] += lag > 0.1
            self.counts["late_over_10ms"] += lag > 0.01
        second = self._second(started)
        second[0] += 1
        second[2] += answer.sent
        second[3] += answer.received
        done = started + answer.latency
        self.window = [min(self.window[0], started), max(self.window[1], done)] if self.window \
            else [started, done]
        if not verdict(step, answer):
            self.counts["mismatched"] += 1
            self.counts["mismatched " + op] += 1
            self._sample("mismatches", {"index": step.index, "op": op, "recorded": step.recorded,
                                        "answered": answer.status, "error": answer.error})
        self.check_sizes(step, out, answer)

    def check_sizes(self, step: Step, out: Outgoing, answer: Answer) -> None:
        if out.expect_size is not None and answer.status is not None and 200 <= answer.status < 300:
            self.counts["sizes_checked"] += 1
            if answer.received == out.expect_size:
                self.counts["sizes_matched"] += 1
            else:
                self._sample("sizes", {"index": step.index, "op": step.op, "recorded": out.expect_size,
                                       "received": answer.received})
        if step.recorded_request_size is not None and out.body_length and not step.added:
            self.counts["upload_sizes_checked"] += 1
            if out.body_length == step.recorded_request_size:
                self.counts["upload_sizes_matched"] += 1
        if out.expect_digest is not None and answer.digest is not None:
            self.counts["digests_checked"] += 1
            if answer.digest != out.expect_digest:
                self.counts["digest_mismatches"] += 1
                self._sample("digests", {"index": step.index, "op": step.op, "expected": out.expect_digest,
                                         "got": answer.digest})

    def scheduled(self, at: float) -> None:
        """A step was due at epoch `at` (for the scheduled-vs-sent timeline)."""
        self._second(at)[1] += 1

    def _sample(self, kind: str, entry: dict[str, Any]) -> None:
        if len(self.samples[kind]) < KEEP_SAMPLES:
            self.samples[kind].append(entry)

    # ---- merging ----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able copy (the format `merge` takes)."""
        return {
            "recorded": dict(self.recorded), "sent": dict(self.sent), "answered": dict(self.answered),
            "statuses": dict(self.statuses),
            "latency": {op: {str(k): v for k, v in h.items()} for op, h in self.latency.items()},
            "bytes_up": dict(self.bytes_up), "bytes_down": dict(self.bytes_down),
            "lag": {str(k): v for k, v in self.lag.items()}, "counts": dict(self.counts),
            "chain_lag": {str(k): v for k, v in self.chain_lag.items()},
            "notes": {name: dict(c) for name, c in self.notes.items()}, "samples": self.samples,
            "seconds": {str(k): v for k, v in self.seconds.items()}, "window": self.window,
        }

    def merge(self, data: dict[str, Any]) -> None:
        """Add another share's `to_dict()`."""
        for name in ("recorded", "sent", "answered", "statuses", "bytes_up", "bytes_down", "counts"):
            getattr(self, name).update({k: int(v) for k, v in data.get(name, {}).items()})
        for op, histogram in data.get("latency", {}).items():
            self.latency.setdefault(op, Counter()).update({float(k): int(v) for k, v in histogram.items()})
        self.lag.update({float(k): int(v) for k, v in data.get("lag", {}).items()})
        self.chain_lag.update({float(k): int(v) for k, v in data.get("chain_lag", {}).items()})
        for name, counts in data.get("notes", {}).items():
            self.notes.setdefault(name, Counter()).update(counts)
        for name, entries in data.get("samples", {}).items():
            for entry in entries:
                self._sample(name, entry)
        for second, values in data.get("seconds", {}).items():
            mine = self._second(float(second))
            for position, value in enumerate(values):
                mine[position] += int(value)
        window = data.get("window") or []
        if window:
            self.window = [min(self.window[0], window[0]), max(self.window[1], window[1])] \
                if self.window else list(window)

    # ---- the summary ------------------------------------------------------------------------------

    def views(self, counter: Counter[str]) -> dict[str, Any]:
        """by_method, by_route, by_status_class and total of one counter of mix keys."""
        names = ("by_method", "by_route", "by_status_class")
        by: dict[str, Counter[str]] = {name: Counter() for name in names}
        for key, n in counter.items():
            method, kind, klass = _split(key)
            by["by_method"][method] += n
            by["by_route"][kind] += n
            by["by_status_class"][klass] += n
        return {"total": sum(counter.values()), **{name: dict(sorted(c.items())) for name, c in by.items()}}

    def requests(self) -> dict[str, Any]:
        """The `requests` block: totals and views as recorded, sent and answered, plus the key table."""
        views = {name: self.views(getattr(self, name)) for name in ("recorded", "sent", "answered")}
        block: dict[str, Any] = {field: {name: views[name][field] for name in views}
                                 for field in ("total", "by_method", "by_route", "by_status_class")}
        keys = sorted(set(self.recorded) | set(self.answered))
        block["by_key"] = {key: {"recorded": self.recorded.get(key, 0), "sent": self.sent.get(key, 0),
                                 "answered": self.answered.get(key, 0)} for key in keys}
        block["statuses"] = dict(sorted(self.statuses.items()))
        block["mismatched"] = self.counts.get("mismatched", 0)
        block["mismatched_by_op"] = {k.split(" ", 1)[1]: v for k, v in sorted(self.counts.items())
                                     if k.startswith("mismatched ")}
        block["mismatch_samples"] = self.samples["mismatches"]
        for name, counts in self.notes.items():
            block[name] = dict(sorted(counts.items()))
        block["mix_reproduced"] = all(self.recorded.get(k, 0) == self.answered.get(k, 0)
                                      for k in keys if k.split(" ")[1] != "other") \
            and not self.notes["not_reproducible"] and not self.notes["unsent"]
        return block

    def operations(self, seconds: float) -> dict[str, Any]:
        """Latency percentiles and MB/s per operation class (MB/s over the replay window)."""
        result = {}
        for op, histogram in sorted(self.latency.items()):
            up, down = self.bytes_up.get(op, 0), self.bytes_down.get(op, 0)
            figures: dict[str, Any] = {"count": sum(histogram.values()), "bytes_up": up, "bytes_down": down,
                                       "mb_s_up": round(up / MB / seconds, 3) if seconds else 0.0,
                                       "mb_s_down": round(down / MB / seconds, 3) if seconds else 0.0}
            for fraction in PERCENTILES:
                figures[f"p{round(fraction * 100)}_ms"] = percentile(histogram, fraction)
            figures["max_ms"] = max(histogram) if histogram else 0.0
            result[op] = figures
        return result

    def summary(self, *, speed: float, span: float, clock_start: float | None = None) -> dict[str, Any]:
        """The replay summary; `span` is the trace's recorded length in seconds, `speed` the factor."""
        start = clock_start if clock_start is not None else (self.window[0] if self.window else time.time())
        wall = (self.window[1] - start) if self.window else 0.0
        sent = sum(self.sent.values()) + sum(self.notes["added"].values())
        scheduled_s = span / speed if speed else 0.0
        lag = {f"p{round(f * 100)}_ms": percentile(self.lag, f) for f in PERCENTILES}
        lag.update({"max_ms": max(self.lag) if self.lag else 0.0,
                    "late_over_10ms": self.counts.get("late_over_10ms", 0),
                    "late_over_100ms": self.counts.get("late_over_100ms", 0),
                    "upload_session_steps": sum(self.chain_lag.values()),
                    "upload_session_wait_p95_ms": percentile(self.chain_lag, 0.95)})
        checked = {name: self.counts.get(name, 0) for name in (
            "sizes_checked", "sizes_matched", "upload_sizes_checked", "upload_sizes_matched",
            "digests_checked", "digest_mismatches")}
        first = int(start)
        last = max(self.seconds) if self.seconds else first
        timeline: dict[str, list[float]] = {name: [] for name in ("t", "scheduled", "sent", "mb_s_up",
                                                                    "mb_s_down")}
        for second in range(first, last + 1):
            values = self.seconds.get(second, [0, 0, 0, 0])
            timeline["t"].append(second - first)
            timeline["sent"].append(values[0])
            timeline["scheduled"].append(values[1])
            timeline["mb_s_up"].append(round(values[2] / MB, 3))
            timeline["mb_s_down"].append(round(values[3] / MB, 3))
        return {
            "speed": speed, "trace_span_s": round(span, 3),
            "requests": self.requests(),
            "rate": {"scheduled_rps": round(sent / scheduled_s, 3) if scheduled_s else None,
                     "achieved_rps": round(sent / wall, 3) if wall > 0 else None,
                     "scheduled_duration_s": round(scheduled_s, 3), "actual_duration_s": round(wall, 3)},
            "lag": lag, "operations": self.operations(wall), "checks": checked,
            "size_mismatch_samples": self.samples["sizes"],
            "digest_mismatch_samples": self.samples["digests"],
            "timeline": timeline,
        }
