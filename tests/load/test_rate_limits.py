"""Rate-limit and redirect decisions of the load users, and how the run summary and thresholds report them.

Pure pieces (no Locust, no HTTP): `load.rate_limits` (which answers are retried, how long each wait is,
the budget), `load.redirects` (origins, hops), the `Counters` fields (merged across workers exactly), the
summary's `rate_limited` block and the `max_rate_limited_ratio` threshold. The real traffic is in
`test_hosted_manners.py`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict

from load import rate_limits, redirects
from load.metrics import Counters
from load.summary import build_summary, rate_limit_lines, rate_limit_section
from load.thresholds import ThresholdConfigError, check, parse

NOW = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)


def test_only_429_and_503_with_retry_after_are_busy() -> None:
    assert rate_limits.is_busy(429, None) and rate_limits.is_busy(429, "1")
    assert rate_limits.is_busy(503, "1") and rate_limits.is_busy(503, "garbage")
    assert not rate_limits.is_busy(503, None)
    assert not any(rate_limits.is_busy(status, "1") for status in (200, 500, 502, 504, 401))


def test_waits_honour_retry_after_back_off_and_stay_within_the_budget() -> None:
    assert rate_limits.wait_for(429, 1.0, 1, 0.0, 60.0) == 1.0
    assert [rate_limits.wait_for(429, None, n, 0.0, 60.0) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert rate_limits.wait_for(503, 2.0, 1, 0.0, 60.0) == 2.0
    assert rate_limits.wait_for(503, None, 1, 0.0, 60.0) is None  # a bare 503 is a failure
    assert rate_limits.wait_for(500, 1.0, 1, 0.0, 60.0) is None
    assert rate_limits.wait_for(429, 5.0, 2, 56.0, 60.0) is None  # would cross the budget
    assert rate_limits.wait_for(429, 4.0, 2, 56.0, 60.0) == 4.0
    assert rate_limits.wait_for(429, 0.0, rate_limits.MAX_RETRIES + 1, 0.0, 60.0) is None
    assert rate_limits.wait_for(429, 1.0, 1, 0.0, 0.0) is None  # budget 0: never wait


def test_announced_limits_are_read_case_insensitively_and_only_when_announced() -> None:
    headers = CaseInsensitiveDict({"RateLimit-Limit": "100;w=21600", "RateLimit-Remaining": "76",
                                   "Docker-RateLimit-Source": "1.2.3.4", "Content-Type": "x"})
    assert rate_limits.announced_limits(headers) == {"ratelimit-limit": "100;w=21600",
                                                     "ratelimit-remaining": "76"}
    github = CaseInsensitiveDict({"X-RateLimit-Limit": "5000", "X-RateLimit-Used": "1"})
    assert rate_limits.announced_limits(github) == {"x-ratelimit-limit": "5000", "x-ratelimit-used": "1"}
    assert rate_limits.announced_limits(CaseInsensitiveDict({"RateLimit-Remaining": "3"})) == {}
    assert rate_limits.announced_limits({}) == {}


def test_origins_and_hops() -> None:
    assert redirects.same_origin("http://127.0.0.1:5000/v2/", "http://127.0.0.1:5000/v2/x/blobs/y")
    assert redirects.same_origin("http://LOCALHOST/a", "http://localhost:80/b")
    assert redirects.same_origin("https://r.example/a", "https://r.example:443/b")
    assert not redirects.same_origin("http://127.0.0.1:5000/a", "http://127.0.0.2:5000/a")
    assert not redirects.same_origin("http://127.0.0.1:5000/a", "http://127.0.0.1:5001/a")
    assert not redirects.same_origin("http://127.0.0.1/a", "https://127.0.0.1/a")
    assert redirects.next_hop("http://127.0.0.1:5000/v2/r/blobs/d", "/storage/x?sig=1") == \
        "http://127.0.0.1:5000/storage/x?sig=1"
    assert redirects.next_hop("http://127.0.0.1:5000/v2/r/blobs/d", "http://127.0.0.2:9/o?X-Amz=1") == \
        "http://127.0.0.2:9/o?X-Amz=1"
    for status in (301, 302, 303, 307, 308):
        assert redirects.is_followed("GET", status, "/x") and redirects.is_followed("HEAD", status, "/x")
    assert not redirects.is_followed("PUT", 307, "/x") and not redirects.is_followed("GET", 304, "/x")
    assert not redirects.is_followed("GET", 307, None) and not redirects.is_followed("GET", 300, "/x")


def limited_counters() -> Counters:
    counters = Counters(lambda: 1000.0)
    counters.add_rate_limited("GET /v2/[repo]/blobs/[digest]", 429, 1.0, 1.0)
    counters.add_rate_limited("GET /v2/[repo]/blobs/[digest]", 503, 2.5, 2.5)
    counters.add_rate_limited("PUT /v2/[repo]/manifests/[ref]", 429, None, 30.0)  # gave up
    counters.add_limits({"ratelimit-limit": "20;w=1"})
    counters.add_redirect(cross_origin=True)
    return counters


def test_rate_limit_counters_merge_across_workers_exactly() -> None:
    master = Counters(lambda: 1000.0)
    for worker in (limited_counters(), limited_counters()):
        master.merge(json.loads(json.dumps(worker.drain())))  # through JSON, like the RPC message
    assert master.rate_limited == {"GET /v2/[repo]/blobs/[digest]": 4, "PUT /v2/[repo]/manifests/[ref]": 2}
    assert master.rate_limited_status == {"429": 4, "503": 2}
    assert master.rate_limit_gave_up == {"PUT /v2/[repo]/manifests/[ref]": 2}
    assert master.retry_wait_s == 7.0 and master.largest_retry_after == 30.0
    assert master.rate_limit_headers == {"ratelimit-limit": "20;w=1"}
    assert (master.redirects, master.redirects_cross_origin) == (2, 2)


class Entry:
    """A Locust stats entry, as much of it as the summary reads."""

    def __init__(self, method: str, name: str, count: int, failures: int = 0) -> None:
        self.method, self.name, self.num_requests, self.num_failures = method, name, count, failures
        self.avg_response_time, self.max_response_time, self.total_content_length = 1.0, 2.0, 0

    def get_response_time_percentile(self, _: float) -> float:
        return 1.0


def run_summary(counters: Counters) -> dict[str, Any]:
    blob = "/v2/[repo]/blobs/[digest]"
    entries = [Entry("GET", blob, 96), Entry("PUT", "/v2/[repo]/manifests/[ref]", 4, 1),
               Entry("429", f"GET {blob}", 1), Entry("503", f"GET {blob}", 1), Entry("OP", "pull blob", 96)]
    stats = SimpleNamespace(entries={i: e for i, e in enumerate(entries)})
    return build_summary(stats, counters, started=1000.0, stopped=1010.0, meta={})


def test_summary_counts_rate_limited_answers_apart_from_requests_and_failures() -> None:
    summary = run_summary(limited_counters())
    http = summary["http"]
    # the retried answers are rows of their own, outside the request count; the one that gave up failed
    assert (http["requests"], http["failures"], http["fail_ratio"]) == (100, 1, 0.01)
    block = summary["rate_limited"]
    assert (block["total"], block["retried"], block["gave_up"]) == (3, 2, 1)
    assert block["ratio"] == round(3 / 102, 6) == http["rate_limited_ratio"]
    assert block["by_status"] == {"429": 2, "503": 1}
    assert block["gave_up_by_request"] == {"PUT /v2/[repo]/manifests/[ref]": 1}
    assert block["announced_limits"] == {"ratelimit-limit": "20;w=1"} and block["waited_s"] == 3.5
    assert summary["redirects"] == {"followed": 1, "to_other_origins": 1}
    rows = {(row["type"], row["name"]): row["rate_limited"] for row in summary["requests"]}
    assert rows[("GET", "/v2/[repo]/blobs/[digest]")] == 2
    assert rows[("PUT", "/v2/[repo]/manifests/[ref]")] == 1
    text = "\n".join(rate_limit_lines(summary))
    assert "rate limited: 3 answers (2 x 429, 1 x 503; 2.94% of HTTP answers), 2 retried, 1 gave up" in text
    assert "ratelimit-limit: 20;w=1" in text and "1 to other origins" in text
    assert "GET /v2/[repo]/blobs/[digest]" in rate_limit_section(summary)


def test_a_run_without_rate_limits_says_nothing_about_them() -> None:
    summary = run_summary(Counters(lambda: 1000.0))
    assert summary["rate_limited"]["total"] == 0 and summary["rate_limited"]["ratio"] == 0.0
    assert rate_limit_lines(summary) == [] and rate_limit_section(summary) == ""


def test_max_rate_limited_ratio_threshold() -> None:
    summary = run_summary(limited_counters())
    assert check(summary, parse({"max_rate_limited_ratio": 0.05, "max_fail_ratio": 0.01})) == []
    [breach] = check(summary, parse({"max_rate_limited_ratio": 0.01}))
    assert breach == "rate-limited ratio 0.0294 > max 0.01 (3 answers were 429 or 503 with Retry-After)"
    with pytest.raises(ThresholdConfigError, match="expected a number"):
        parse({"max_rate_limited_ratio": "some"})
