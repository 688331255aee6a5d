"""Counters: accounting per scenario and second, draining and merging as workers and master do."""

from __future__ import annotations

import json

from load.metrics import Counters, mb_per_s, parse_error_codes
from load.summary import steady


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_counters_bucket_bytes_per_second_and_scenario() -> None:
    clock = Clock()
    counters = Counters(clock)
    counters.add_up("Push", 2_000_000)
    counters.add_down("Pull", 500_000)
    clock.now = 1002.5
    counters.add_up("Push", 1_000_000)
    counters.add_op("Push")
    timeline = counters.timeline()
    assert timeline["t"] == [0, 1, 2]
    assert timeline["scenarios"]["Push"]["up"] == [2.0, 0.0, 1.0]
    assert timeline["total"]["down"] == [0.5, 0.0, 0.0]
    assert counters.scenarios() == ["Pull", "Push"]


def test_drain_and_merge_aggregate_workers_exactly() -> None:
    clock = Clock()
    worker_a, worker_b, master = Counters(clock), Counters(clock), Counters(clock)
    worker_a.add_up("Push", 10)
    worker_a.add_error("BLOB_UNKNOWN")
    worker_a.add_committed(10)
    worker_b.add_up("Push", 5)
    worker_b.add_down("Pull", 7)
    worker_b.add_digest_mismatch()
    for worker in (worker_a, worker_b):
        master.merge(json.loads(json.dumps(worker.drain())))  # through JSON, like the RPC message
    assert worker_a.up == {} and worker_b.digest_mismatches == 0
    assert master.up == {"Push": 15} and master.down == {"Pull": 7}
    assert master.error_codes == {"BLOB_UNKNOWN": 1}
    assert master.digest_mismatches == 1 and master.committed_bytes == 10
    assert master.series[1000] == {"Push": [15, 0], "Pull": [0, 7]}


def test_parse_error_codes() -> None:
    body = json.dumps({"errors": [{"code": "DIGEST_INVALID", "message": "x"}, {"code": "SIZE_INVALID"}]})
    assert parse_error_codes(body.encode()) == ["DIGEST_INVALID", "SIZE_INVALID"]
    assert parse_error_codes(b"<html>502</html>") == []
    assert parse_error_codes(b'{"errors": "no"}') == []
    assert mb_per_s(3_000_000, 2.0) == 1.5
    assert mb_per_s(1, 0) == 0.0


def test_steady_rate_skips_the_partial_first_and_last_second() -> None:
    assert steady([0.0, 5.0, 100.0, 110.0, 90.0, 20.0, 0.0]) == 100.0
    assert steady([0.0, 40.0, 60.0]) == 50.0
    assert steady([0.0, 0.0]) == 0.0
