"""What the run's list reads had to wait for: the observed lag of tag, referrers and catalog lists.

A registry backed by an object store, or one that indexes referrers asynchronously, may list a tag or a
referrer a moment after the write that made it. `conformance.checks.settle` re-reads such a list until it
shows what the check wrote (or no longer shows what it deleted), up to `--registry-settle-time`; every
such read is counted here, per list kind (`KINDS`):

- `reads`: list reads that waited for something to show (the settled reads of the checks);
- `polled`: reads whose first answer did not show it and a later one within the settle time did; each
  one's lag (seconds from the first read to the read that showed it) goes into `lags_seconds`;
- `unsettled`: reads that still did not show it when the settle time ended (with 0 s: on the first
  read); the check then judged that last answer as it always would;
- `polls`: the extra requests (reads after the first), and `waited_seconds` the time spent polling.

One `SettleTally` per process (`RUN_SETTLE`); the plugin merges the workers' blocks (`merge_settle`),
writes results.json's `settle` block (`as_json`) and, when anything lagged, a run note (`settle_note`):
a lag is no non-conformance, so it is reported as a note, never as a warning.
"""

from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

ListKind = Literal["tags", "referrers", "catalog"]
KINDS: tuple[ListKind, ...] = ("tags", "referrers", "catalog")


@dataclass
class _KindTally:
    reads: int = 0
    polled: int = 0
    unsettled: int = 0
    polls: int = 0
    waited: float = 0.0
    lags: list[float] = field(default_factory=list)


def _kind_json(counts: tuple[int, int, int, int], waited: float, lags: list[float]) -> dict[str, Any]:
    reads, polled, unsettled, polls = counts
    return {"reads": reads, "polled": polled, "unsettled": unsettled, "polls": polls,
            "waited_seconds": round(waited, 3),
            "max_lag_seconds": round(max(lags), 3) if lags else None,
            "median_lag_seconds": round(statistics.median(lags), 3) if lags else None,
            "lags_seconds": [round(lag, 3) for lag in lags]}


@dataclass
class SettleTally:
    """The settled list reads of one process (thread-safe)."""

    settle_time: float = 0.0
    _kinds: dict[str, _KindTally] = field(default_factory=lambda: {kind: _KindTally() for kind in KINDS})
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, kind: ListKind, *, polls: int, waited: float, lag: float | None) -> None:
        """One settled read of a `kind` list: `polls` extra reads, `lag` None when it never showed."""
        with self._lock:
            tally = self._kinds[kind]
            tally.reads += 1
            tally.polls += polls
            tally.waited += waited
            if lag is None:
                tally.unsettled += 1
            elif polls:
                tally.polled += 1
                tally.lags.append(lag)

    def as_json(self) -> dict[str, Any]:
        """The results.json `settle` block of this process."""
        with self._lock:
            return {"settle_time_seconds": self.settle_time,
                    "kinds": {kind: _kind_json((tally.reads, tally.polled, tally.unsettled, tally.polls),
                                               tally.waited, tally.lags)
                              for kind, tally in self._kinds.items()}}

    def reset(self, settle_time: float = 0.0) -> None:
        """Forget every read (tests; the plugin at configure, with the run's settle time)."""
        with self._lock:
            self.settle_time = settle_time
            self._kinds = {kind: _KindTally() for kind in KINDS}


RUN_SETTLE = SettleTally()


def merge_settle(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """Several processes' `SettleTally.as_json()` blocks added up into one (lags pooled for the median)."""
    kinds: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        parts = [(block.get("kinds") or {}).get(kind) or {} for block in blocks]
        counts = tuple(sum(int(part.get(name) or 0) for part in parts)
                       for name in ("reads", "polled", "unsettled", "polls"))
        kinds[kind] = _kind_json((counts[0], counts[1], counts[2], counts[3]),
                                 sum(float(part.get("waited_seconds") or 0) for part in parts),
                                 [float(lag) for part in parts for lag in part.get("lags_seconds") or []])
    settle_time = max((float(block.get("settle_time_seconds") or 0) for block in blocks), default=0.0)
    return {"settle_time_seconds": settle_time, "kinds": kinds}


def settle_note(block: dict[str, Any]) -> str | None:
    """The run note for lists that showed writes late, or never (None when every read showed at once)."""
    kinds = block["kinds"]
    if not any(kinds[kind]["polled"] or kinds[kind]["unsettled"] for kind in KINDS):
        return None
    seconds = block["settle_time_seconds"]
    parts = []
    for kind in KINDS:
        tally = kinds[kind]
        if not tally["reads"]:
            continue
        text = f"{kind} {tally['polled']} of {tally['reads']} reads needed polling"
        if tally["polled"]:
            text += f" (lag max {tally['max_lag_seconds']:g} s, median {tally['median_lag_seconds']:g} s)"
        if tally["unsettled"]:
            text += f", {tally['unsettled']} did not show the write within {seconds:g} s (judged as read)"
        parts.append(text)
    note = f"list lag (settle time {seconds:g} s): " + "; ".join(parts)
    if seconds == 0:
        note += ("; a registry that lists writes late (object storage, asynchronous indexing) can be given "
                 "time with --registry-settle-time SECONDS")
    return note + " (a lag is no non-conformance; see results.json settle)"
