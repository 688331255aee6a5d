"""The run's own manners towards a hosted registry: a rate cap and a request budget, shared by every client.

`RUN_REQUESTS` (one per process, like `retries.RUN_RETRIES`) sees every request the run sends, through
`acquire()`, called once per exchange just before it is sent: each auth retry, each 429 retry, each
redirect hop (to another origin too: a storage redirect is a request the run sends), each token request,
each `request_raw`. Without limits it only counts. `limit(max_rps, max_requests)` switches them on (the
plugin does, from `--registry-max-rps` / `--registry-max-requests`, with this process's share of them
under pytest-xdist: `worker_share`):

- rate cap: a token bucket holding one token, refilled every `1 / max_rps` s: requests leave at least
  that far apart, whichever client sends them. The wait is part of the request's total deadline (the
  caller opens the deadline before waiting) but is no stall: the body-rate watch starts with the answer.
  A wait that would outlive the request's deadline (or the check's) raises `RequestLimitError` instead;
- budget: the first `max_requests` requests go; every later one raises `RequestLimitError` unsent.

Both errors name their option; the plugin reports them as errors of the check, never as failures. What
the limits did is counted (`as_json`: requests sent, how many waited for the cap and how long, how many
the budget refused) into results.json's `requests` block and a run note (`requests_note`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.client.errors import RequestLimitError

RPS_OPTION = "--registry-max-rps"
REQUESTS_OPTION = "--registry-max-requests"


def worker_share(total: float | None, env: Mapping[str, str], *, whole: bool = False) -> float | None:
    """The part of a run-wide limit this process gets: `total / PYTEST_XDIST_WORKER_COUNT` (all of it alone).

    With `whole` (a request count) the parts are integers adding up to `total`: worker `gwI` gets
    `total // count`, plus one for the first `total % count` workers.
    """
    if total is None:
        return None
    try:
        count = max(1, int(env.get("PYTEST_XDIST_WORKER_COUNT") or 1))
    except ValueError:
        count = 1
    if not whole:
        return total / count
    worker = env.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    return float(int(total) // count + (1 if index < int(total) % count else 0))


@dataclass
class RequestGate:
    """Rate cap, request budget and their tally (thread-safe; see the module docstring)."""

    max_rps: float | None = None
    max_requests: int | None = None
    sent: int = 0
    waited: int = 0
    waited_seconds: float = 0.0
    refused: int = 0
    _next_slot: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def limit(self, max_rps: float | None, max_requests: int | None) -> None:
        """Switch the limits on (None: that one off) and start counting afresh."""
        with self._lock:
            self.max_rps, self.max_requests = max_rps, max_requests
            self.sent, self.waited, self.waited_seconds, self.refused = 0, 0, 0.0, 0
            self._next_slot = 0.0

    def lift(self) -> None:
        """Switch the limits off (the tally stays, for the reports)."""
        with self._lock:
            self.max_rps = self.max_requests = None

    def reserve(self, what: str, max_wait: float | None) -> float:
        """Count one request about to be sent and return how long it must wait for the cap (no sleeping).

        Raises `RequestLimitError` (nothing counted as sent) when the budget is spent, or when the wait
        would reach `max_wait` (the seconds left of the request's deadline).
        """
        with self._lock:
            if self.max_requests is not None and self.sent >= self.max_requests:
                self.refused += 1
                raise RequestLimitError(
                    f"{what}: not sent: the run's request budget of {self.max_requests} request(s) in this "
                    f"process is spent ({REQUESTS_OPTION}); no verdict is possible", REQUESTS_OPTION)
            wait = 0.0
            if self.max_rps is not None:
                now = time.monotonic()
                slot = max(now, self._next_slot)
                wait = slot - now
                if max_wait is not None and wait >= max_wait:
                    self.refused += 1
                    raise RequestLimitError(
                        f"{what}: not sent: waiting {wait:.2f} s for the rate cap ({RPS_OPTION} "
                        f"{self.max_rps:g} in this process) would outlive the {max_wait:.2f} s left of its "
                        "deadline (--registry-timeout / --registry-check-deadline)", RPS_OPTION)
                self._next_slot = slot + 1.0 / self.max_rps
            self.sent += 1
            if wait > 0:
                self.waited += 1
                self.waited_seconds += wait
            return wait

    def acquire(self, what: str, max_wait: float | None) -> float:
        """`reserve`, then sleep the wait; returns the seconds waited."""
        wait = self.reserve(what, max_wait)
        if wait > 0:
            time.sleep(wait)
        return wait

    def as_json(self) -> dict[str, Any]:
        """The results.json `requests` block of this process."""
        with self._lock:
            return {"sent": self.sent, "max_rps": self.max_rps, "max_requests": self.max_requests,
                    "waited": self.waited, "waited_seconds": round(self.waited_seconds, 3),
                    "refused": self.refused}


RUN_REQUESTS = RequestGate()


def merge_requests(blocks: list[dict[str, Any]], *, max_rps: float | None,
                   max_requests: int | None) -> dict[str, Any]:
    """Several processes' `as_json()` blocks added up; the limits shown are the run's (all workers')."""
    return {"sent": sum(int(block.get("sent") or 0) for block in blocks),
            "max_rps": max_rps, "max_requests": max_requests,
            "waited": sum(int(block.get("waited") or 0) for block in blocks),
            "waited_seconds": round(sum(float(block.get("waited_seconds") or 0) for block in blocks), 3),
            "refused": sum(int(block.get("refused") or 0) for block in blocks)}


def requests_note(block: dict[str, Any]) -> str | None:
    """The run note when the cap made requests wait or the limits refused some (None otherwise)."""
    parts = []
    if block.get("waited"):
        parts.append(f"{block['waited']} of {block['sent']} requests waited for the rate cap "
                     f"({RPS_OPTION} {block['max_rps']:g}), {block['waited_seconds']:g} s in all")
    if block.get("refused"):
        parts.append(f"{block['refused']} request(s) not sent because of the run's limits "
                     f"({REQUESTS_OPTION} {block['max_requests']}, {RPS_OPTION} {block['max_rps']}); "
                     "those checks are errors, not failures")
    return "request limits: " + "; ".join(parts) if parts else None
