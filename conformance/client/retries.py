"""Retrying answers that mean "later": 429 always, 503 only with `Retry-After`, within bounded budgets.

A 429 Too Many Requests is no non-conformance (hosted registries rate-limit); a 503 that says when to
come back (`Retry-After`) is the same thing. A bare 5xx is how a broken registry looks, so it is never
retried. `RetryPolicy.wait_for(status, headers, attempt)` says how long to wait before the next try, or
None to give up:

- `Retry-After` is honoured in both forms (delay-seconds, or an HTTP date), capped at `max_wait`;
- a 429 without it waits 0.5 s, 1 s, 2 s, ... (capped), so a polite registry gets a polite client;
- at most `max_retries` retries per request, and the waits of the whole run together stay within
  `budget` seconds (shared by every client of the process: `RUN_RETRIES`).

Every retry is recorded: an annotation on the transcript entry it answers, and in `RUN_RETRIES` (per
status, total wait, the largest Retry-After seen, and every rate-limit header seen), which the plugin
turns into a run note and results.json's `retries` block. When the budget is spent the last 429/503 is
not retried again: the client raises `RegistryRateLimitError` (counted in `RUN_RETRIES.exhausted`), which the
plugin reports as an error of the check ("verdict unknown"), never as a failure of the registry.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.spec.retry_after import retry_after_seconds

RETRYABLE = frozenset({429, 503})
RATE_LIMIT_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "x-ratelimit-limit",
                      "x-ratelimit-remaining", "x-ratelimit-reset", "ratelimit-policy")


@dataclass
class RetryTally:
    """What the run's retries amounted to (thread-safe; one per process)."""

    retries: dict[int, int] = field(default_factory=dict)
    waited: float = 0.0
    largest_retry_after: float | None = None
    limit_headers: dict[str, str] = field(default_factory=dict)
    exhausted: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, status: int, wait: float, retry_after: float | None, headers: httpx.Headers) -> None:
        """Count one retry of an answer with `status` after `wait` seconds."""
        with self._lock:
            self.retries[status] = self.retries.get(status, 0) + 1
            self.waited += wait
            if retry_after is not None:
                self.largest_retry_after = max(self.largest_retry_after or 0.0, retry_after)
            for name in RATE_LIMIT_HEADERS:
                if name in headers:
                    self.limit_headers[name] = headers[name]

    def gave_up(self) -> None:
        """One request kept answering 429/503 past its retries or the run's budget."""
        with self._lock:
            self.exhausted += 1

    def spent(self) -> float:
        """Seconds waited so far."""
        with self._lock:
            return self.waited

    def as_json(self) -> dict[str, object]:
        """The results.json `retries` block."""
        with self._lock:
            return {"by_status": {str(status): count for status, count in sorted(self.retries.items())},
                    "total": sum(self.retries.values()), "waited_seconds": round(self.waited, 3),
                    "largest_retry_after": self.largest_retry_after,
                    "rate_limit_headers": dict(self.limit_headers), "exhausted": self.exhausted}

    def reset(self) -> None:
        """Forget everything (tests)."""
        with self._lock:
            self.retries.clear()
            self.limit_headers.clear()
            self.waited, self.largest_retry_after, self.exhausted = 0.0, None, 0


RUN_RETRIES = RetryTally()


def merge_retries(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """Several processes' `RetryTally.as_json()` blocks added up into one."""
    by_status: dict[str, int] = {}
    headers: dict[str, str] = {}
    largest: float | None = None
    for block in blocks:
        for status, count in (block.get("by_status") or {}).items():
            by_status[status] = by_status.get(status, 0) + count
        headers.update(block.get("rate_limit_headers") or {})
        if block.get("largest_retry_after") is not None:
            largest = max(largest or 0.0, float(block["largest_retry_after"]))
    return {"by_status": dict(sorted(by_status.items())), "total": sum(by_status.values()),
            "waited_seconds": round(sum(float(block.get("waited_seconds") or 0) for block in blocks), 3),
            "largest_retry_after": largest, "rate_limit_headers": headers,
            "exhausted": sum(int(block.get("exhausted") or 0) for block in blocks)}


def retries_note(block: dict[str, Any]) -> str | None:
    """The run note for a registry that rate-limited (None when nothing was retried)."""
    if not block.get("total") and not block.get("exhausted"):
        return None
    statuses = ", ".join(f"{count} x {status}" for status, count in block["by_status"].items())
    limits = "; ".join(f"{name}: {value}" for name, value in block["rate_limit_headers"].items())
    note = (f"the registry rate-limited: {block['total']} retries ({statuses}), "
            f"{block['waited_seconds']:g} s waited, largest Retry-After {block['largest_retry_after']}")
    if limits:
        note += f"; limits it announced: {limits}"
    if block.get("exhausted"):
        note += f"; {block['exhausted']} request(s) gave up (those checks are errors, not failures)"
    return note + " (a rate limit is no non-conformance)"


@dataclass(frozen=True)
class RetryPolicy:
    """How many times, how long each time, and how long in all (see the module docstring)."""

    max_retries: int = 5
    max_wait: float = 30.0
    budget: float = 120.0
    first_backoff: float = 0.5

    def wait_for(
        self, status: int, headers: httpx.Headers, attempt: int, tally: RetryTally = RUN_RETRIES
    ) -> float | None:
        """Seconds to wait before retrying an answer (the `attempt`-th retry, from 1), or None."""
        if status not in RETRYABLE or attempt > self.max_retries:
            return None
        retry_after = retry_after_seconds(headers.get("retry-after"))
        if status == 503 and retry_after is None:
            return None  # a bare 503 is a broken registry, not a busy one
        wait = retry_after if retry_after is not None else self.first_backoff * 2 ** (attempt - 1)
        wait = min(wait, self.max_wait)
        if tally.spent() + wait > self.budget:
            return None
        return wait


def is_busy_answer(status: int, headers: httpx.Headers) -> bool:
    """True for an answer that means "later": 429, or 503 with a Retry-After."""
    return status == 429 or (status == 503 and "retry-after" in headers)


def sleep(seconds: float) -> None:
    """Wait before a retry (a seam for tests)."""
    time.sleep(seconds)
