"""Tests of `conformance.checks.settle`: a list read is repeated only while it does not show the write,
with 0.1/0.2/0.4/0.5 s waits cut at the settle time, the last answer returned (judged by the check as
always), every read counted and annotated, a lag noted; with 0 s nothing is re-read; what counts as
showing for tags, referrers and catalog answers; the option and its environment variable.

The reads are canned registry answers in order; time is a fake clock that the sleep seam advances, so the
waits are asserted exactly and no test sleeps."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from conformance.checks import settle as settle_module
from conformance.checks.settle import (
    SettlePolicy,
    catalog_showing,
    configure_settle,
    listed_tags,
    referrers_showing,
    settle,
    settle_policy,
    tags_gone_or_absent,
    tags_showing,
    wait_until_listed,
)
from conformance.checks.settle_tally import SettleTally
from conformance.client import Response
from conformance.options import DEFAULT_SETTLE_TIME, SETTLE_ENV, resolve_config
from tests.conformance.checks.checks_doubles import answer, verdicts

pytest_plugins = ["pytester"]


def tags_answer(*tags: str, link: bool = False, status: int = 200) -> Response:
    """A tags/list answer listing `tags` (with a `Link` to a next page when `link`)."""
    headers = {"Content-Type": "application/json"}
    if link:
        headers["Link"] = '</v2/repo/tags/list?n=2&last=b>; rel="next"'
    body = json.dumps({"name": "repo", "tags": list(tags)}).encode() if status == 200 else b""
    return answer(status, headers, body, url="http://registry.test/v2/repo/tags/list")


class Clock:
    """Monotonic time that only `sleep` advances; records every wait."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(settle_module, "sleep", fake.sleep)
    return fake


class Reads:
    """A read function giving `answers` in order (the last one again once they run out)."""

    def __init__(self, *answers: Response) -> None:
        self.answers = list(answers)
        self.count = 0

    def __call__(self) -> Response:
        self.count += 1
        return self.answers[min(self.count, len(self.answers)) - 1]


def test_a_list_that_shows_the_write_at_once_is_read_once(clock: Clock) -> None:
    tally, reads = SettleTally(), Reads(tags_answer("a", "b"))
    with verdicts() as recorder:
        got = settle("tags", "tags/list", reads, tags_showing(["a"]), policy=SettlePolicy(5.0), tally=tally,
                     clock=clock)
    assert got is reads.answers[0] and reads.count == 1 and clock.waits == []
    assert recorder.notes == [] and got.entry.note is None
    block = tally.as_json()["kinds"]["tags"]
    assert (block["reads"], block["polled"], block["unsettled"], block["polls"]) == (1, 0, 0, 0)


def test_a_lagging_list_is_read_again_until_it_shows_the_write(clock: Clock) -> None:
    tally = SettleTally()
    reads = Reads(tags_answer(), tags_answer("b"), tags_answer("b"), tags_answer("a", "b"))
    with verdicts() as recorder:
        got = settle("tags", "tags/list", reads, tags_showing(["a", "b"]), policy=SettlePolicy(5.0),
                     tally=tally, clock=clock)
    assert got is reads.answers[3] and reads.count == 4
    assert clock.waits == [0.1, 0.2, 0.4]
    assert "does not show the write yet (read 1)" in (reads.answers[0].entry.note or "")
    assert "shown 0.70 s after the first read (read 4)" in (got.entry.note or "")
    assert len(recorder.notes) == 1 and "showed the write 0.70 s after the first read" in recorder.notes[0]
    assert recorder.findings == [] and recorder.should_violations == []
    block = tally.as_json()["kinds"]["tags"]
    assert (block["reads"], block["polled"], block["unsettled"], block["polls"]) == (1, 1, 0, 3)
    assert block["lags_seconds"] == [0.7] and block["max_lag_seconds"] == block["median_lag_seconds"] == 0.7


def test_a_list_that_never_shows_the_write_is_judged_on_the_read_at_the_settle_time(clock: Clock) -> None:
    tally, reads = SettleTally(), Reads(tags_answer("x"))
    with verdicts() as recorder:
        got = settle("tags", "tags/list", reads, tags_showing(["a"]), policy=SettlePolicy(2.0), tally=tally,
                     clock=clock)
    assert clock.waits == [0.1, 0.2, 0.4, 0.5, 0.5, 0.3]  # the last read at exactly 2 s, never later
    assert sum(clock.waits) == pytest.approx(2.0) and reads.count == 7
    assert got is reads.answers[0] and listed_tags(got) == ["x"]  # the answer the check then judges
    assert "still not shown after 2.00 s (7 reads); judged" in (got.entry.note or "")
    assert any("did not show the write within the settle time (2 s, 7 reads)" in item
               for item in recorder.notes)
    block = tally.as_json()["kinds"]["tags"]
    assert (block["reads"], block["polled"], block["unsettled"], block["polls"]) == (1, 0, 1, 6)
    assert block["lags_seconds"] == [] and block["max_lag_seconds"] is None
    assert block["waited_seconds"] == pytest.approx(2.0)


def test_with_a_settle_time_of_zero_nothing_is_read_again(clock: Clock) -> None:
    tally, reads = SettleTally(), Reads(tags_answer(), tags_answer("a"))
    with verdicts() as recorder:
        got = settle("tags", "tags/list", reads, tags_showing(["a"]), policy=SettlePolicy(0.0), tally=tally,
                     clock=clock)
    assert got is reads.answers[0] and reads.count == 1 and clock.waits == []
    assert any("--registry-settle-time SECONDS" in item for item in recorder.notes)
    assert tally.as_json()["kinds"]["tags"]["unsettled"] == 1


@pytest.fixture
def policy() -> Iterator[None]:
    """Restore the run's policy (tests configure their own)."""
    before = settle_policy()
    yield
    configure_settle(before)


@pytest.mark.usefixtures("policy")
def test_waiting_before_paging_reads_nothing_without_a_settle_time(clock: Clock) -> None:
    configure_settle(SettlePolicy(0.0))
    reads = Reads(tags_answer())
    wait_until_listed("tags", "tags/list", reads, tags_showing(["a"]))
    assert reads.count == 0
    configure_settle(SettlePolicy(1.0))
    reads = Reads(tags_answer(), tags_answer("a"))
    with verdicts():
        wait_until_listed("tags", "tags/list", reads, tags_showing(["a"]))
    assert reads.count == 2 and clock.waits == [0.1]


def test_the_backoff_is_short_and_capped() -> None:
    waits = SettlePolicy(10.0).waits()
    assert [next(waits) for _ in range(6)] == [0.1, 0.2, 0.4, 0.5, 0.5, 0.5]


def test_what_shows_a_write_in_a_tag_list() -> None:
    shows = tags_showing(["a"], ["gone"])
    assert shows(tags_answer("a", "b"))
    assert not shows(tags_answer("b"))
    assert not shows(tags_answer("a", "gone"))
    assert not shows(tags_answer(status=404))
    assert not shows(answer(200, {}, b"not json"))
    assert shows(tags_answer("b", link=True))  # the rest may be on the next page: nothing to wait for
    null = answer(200, {}, json.dumps({"name": "repo", "tags": None}).encode())
    assert listed_tags(null) == [] and tags_showing(absent=["gone"])(null)
    gone = tags_gone_or_absent(["gone"])
    assert gone(tags_answer(status=404)) and gone(tags_answer("a")) and not gone(tags_answer("gone"))


def test_what_shows_a_write_in_referrers_and_catalog_lists() -> None:
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"digest": "sha256:aa"}, {"digest": "sha256:bb"}]}
    listing = answer(200, {}, json.dumps(index).encode())
    assert referrers_showing(["sha256:aa"])(listing)
    assert not referrers_showing(["sha256:cc"])(listing)
    assert not referrers_showing(absent=["sha256:bb"])(listing)
    page = answer(200, {"Link": '</v2/_catalog?n=2&last=b>; rel="next"'},
                  json.dumps({"repositories": ["a", "b"]}).encode())
    assert catalog_showing(["z"])(page)  # the whole catalog: z may be on a later page
    assert not catalog_showing(["z"], page=True)(page)  # the one page asked for must hold it
    assert catalog_showing(["a", "b"], page=True)(page)
    assert all(catalog_showing(["a"])(answer(status)) for status in (401, 403, 404))  # no catalog: final


def test_the_settle_time_option_and_its_variable(pytester: pytest.Pytester) -> None:
    assert resolve_config(pytester.parseconfig(), {}).settle_time == DEFAULT_SETTLE_TIME == 0.0
    from_env = resolve_config(pytester.parseconfig(), {SETTLE_ENV: "2.5"})
    assert (from_env.settle_time, from_env.sources["settle_time"]) == (2.5, SETTLE_ENV)
    from_cli = resolve_config(pytester.parseconfig("--registry-settle-time", "4"), {SETTLE_ENV: "2.5"})
    assert (from_cli.settle_time, from_cli.sources["settle_time"]) == (4.0, "cli")
    assert from_cli.redacted()["settle_time_seconds"] == 4.0
    for bad in ("-1", "soon", "inf", "nan"):
        with pytest.raises(pytest.UsageError, match="settle time"):
            resolve_config(pytester.parseconfig(), {SETTLE_ENV: bad})
