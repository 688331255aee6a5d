"""Reading a list until it shows what the check wrote: the settle time for eventually consistent registries.

An object-store-backed registry (or one that indexes referrers asynchronously) may list a just-pushed tag
or referrer, or stop listing a deleted one, a moment after the write. The spec gives no such allowance,
but a lag is no non-conformance the suite should report as a failure: under `--registry-settle-time
SECONDS` (env `REGISTRY_HARNESS_SETTLE_TIME`, default 0) a check's list read goes through `settle()`:

- the first read is made; if it already `shows` what the check wrote, it is returned at once: a registry
  without lag makes no extra request and waits for nothing, whatever the settle time;
- otherwise the list is read again after 0.1 s, 0.2 s, 0.4 s, then every 0.5 s, until an answer shows it
  or the settle time has passed since the first read (the last read is made at that moment, never
  later); every read is a real request, in the transcript, and annotated there (`# settle ...`);
- the LAST answer is returned, and only then does the check judge it, exactly as it judges a first
  read: a registry that still does not show the write when the settle time ends gets the verdict it
  always got (the rules' levels are untouched; polling never turns a failure into a pass beyond the
  configured time). The answers before it are not judged: they are a lag, not an answer to judge.

Each settled read is counted in `settle_tally.RUN_SETTLE` (per kind: reads, polled, unsettled, the lags)
for results.json's `settle` block and the run note; a lag also becomes a note of the check.

`shows` looks at one answer leniently (`listed_tags`, `listed_referrers`, `listed_repositories`: None
when it is no readable list) and must not judge. It sees only the first page: an answer that carries a
`Link` to a next page counts as showing everything (the rest may be on the later pages, which the check
walks and judges itself). `wait_until_listed()` is for checks that then make reads of their own (paging
with `n`/`last`): with a settle time of 0 it reads nothing at all, so paging checks are unchanged by default.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any

from conformance.checks.settle_tally import RUN_SETTLE, ListKind, SettleTally
from conformance.client import Response
from conformance.client.links import LinkHeaderError, next_link
from conformance.options import DEFAULT_SETTLE_TIME
from conformance.verdicts import note

Shows = Callable[[Response], bool]


@dataclass(frozen=True)
class SettlePolicy:
    """How long a list may take to show a write, and the waits between reads."""

    seconds: float = DEFAULT_SETTLE_TIME
    first_wait: float = 0.1
    max_wait: float = 0.5

    def waits(self) -> Iterator[float]:
        """0.1, 0.2, 0.4, 0.5, 0.5, ... seconds (the time left is cut by `settle`)."""
        wait = self.first_wait
        while True:
            yield min(wait, self.max_wait)
            wait *= 2


_policy: list[SettlePolicy] = [SettlePolicy()]


def configure_settle(policy: SettlePolicy) -> None:
    """Set the run's settle policy (the plugin does this once per process, at configure)."""
    _policy[0] = policy
    RUN_SETTLE.reset(policy.seconds)


def settle_policy() -> SettlePolicy:
    """The run's settle policy."""
    return _policy[0]


def sleep(seconds: float) -> None:
    """Wait between two reads (a seam for tests)."""
    time.sleep(seconds)


def settle(kind: ListKind, what: str, read: Callable[[], Response], shows: Shows, *,
           policy: SettlePolicy | None = None, tally: SettleTally = RUN_SETTLE,
           clock: Callable[[], float] = time.monotonic) -> Response:
    """`read()` until an answer `shows` what the check wrote, up to the settle time; the last answer."""
    policy = policy or settle_policy()
    started = clock()
    response = read()
    if shows(response):
        tally.record(kind, polls=0, waited=0.0, lag=0.0)
        return response
    deadline = started + policy.seconds
    polls = 0
    waits = policy.waits()
    while (left := deadline - clock()) > 0:
        wait = min(next(waits), left)
        response.annotate(f"settle {kind}: {what} does not show the write yet (read {polls + 1}); "
                          f"reading again in {wait:.2f} s")
        sleep(wait)
        polls += 1
        read_at = clock()
        response = read()
        if shows(response):
            lag = read_at - started
            response.annotate(f"settle {kind}: shown {lag:.2f} s after the first read (read {polls + 1})")
            tally.record(kind, polls=polls, waited=clock() - started, lag=lag)
            note(f"{what}: the list showed the write {lag:.2f} s after the first read ({polls} more "
                 f"read(s), settle time {policy.seconds:g} s): a list lag, no verdict")
            return response
    waited = clock() - started
    tally.record(kind, polls=polls, waited=waited, lag=None)
    if policy.seconds > 0:
        response.annotate(f"settle {kind}: still not shown after {waited:.2f} s ({polls + 1} reads); judged")
        note(f"{what}: the list did not show the write within the settle time ({policy.seconds:g} s, "
             f"{polls + 1} reads); the last answer is judged")
    else:
        note(f"{what}: the first read does not show the write; a registry that lists writes late can be "
             "given time with --registry-settle-time SECONDS")
    return response


def wait_until_listed(kind: ListKind, what: str, read: Callable[[], Response], shows: Shows) -> None:
    """Before a check's own reads (paging): settle on the whole list, or, with 0 s, read nothing."""
    if settle_policy().seconds > 0:
        settle(kind, what, read, shows)


def _document(response: Response) -> dict[str, Any] | None:
    if response.status_code != 200:
        return None
    try:
        document = response.json()
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _paged(response: Response) -> bool:
    """Whether the answer links a next page (a Link it cannot parse counts: the check judges that Link)."""
    try:
        return next_link(response.headers.get_list("link"), str(response.url)) is not None
    except LinkHeaderError:
        return True


def listed_tags(response: Response) -> list[str] | None:
    """The tags of a tags/list answer read leniently (null as none), or None: no 200 with a tag list."""
    document = _document(response)
    tags = None if document is None else document.get("tags", [])
    if tags is None:
        return []
    return [str(tag) for tag in tags] if isinstance(tags, list) else None


def listed_referrers(response: Response) -> list[str] | None:
    """The digests of a referrers answer read leniently, or None: no 200 with a manifests list."""
    document = _document(response)
    entries = None if document is None else document.get("manifests")
    if not isinstance(entries, list):
        return None
    return [str(entry.get("digest")) for entry in entries if isinstance(entry, dict)]


def listed_repositories(response: Response) -> list[str] | None:
    """The repositories of a catalog answer read leniently, or None: no 200 with a repository list."""
    document = _document(response)
    names = None if document is None else document.get("repositories")
    return [str(name) for name in names] if isinstance(names, list) else None


def showing(peek: Callable[[Response], list[str] | None], present: Collection[str] = (),
            absent: Collection[str] = (), *, page: bool = False) -> Shows:
    """A `shows` for lists: a readable list with every item of `present` and none of `absent`.

    A first page with a `Link` to more counts as showing (the rest may be on the later pages), unless
    `page`: the answer is one page asked for (`n`, `last`) that is to hold `present` itself.
    """
    def shows(response: Response) -> bool:
        listed = peek(response)
        if listed is None:
            return False
        if _paged(response) and not page:
            return True
        return set(present) <= set(listed) and not set(absent) & set(listed)
    return shows


def tags_showing(present: Collection[str] = (), absent: Collection[str] = ()) -> Shows:
    """A tag list with every tag of `present` and none of `absent`."""
    return showing(listed_tags, present, absent)


def referrers_showing(present: Collection[str] = (), absent: Collection[str] = ()) -> Shows:
    """A referrers list with every digest of `present` and none of `absent`."""
    return showing(listed_referrers, present, absent)


NO_CATALOG = (401, 403, 404)
"""A catalog answer that says there is none (to this client): final, nothing to wait for."""


def catalog_showing(present: Collection[str], *, page: bool = False) -> Shows:
    """A catalog (or, with `page`, the one catalog page asked for) with every repository of `present`.

    A registry without a catalog (`NO_CATALOG`) is not waited for: its first answer is final.
    """
    listing = showing(listed_repositories, present, page=page)
    return lambda response: response.status_code in NO_CATALOG or listing(response)


def tags_gone_or_absent(absent: Collection[str]) -> Shows:
    """After deletes: the repository is unknown (404) or its tag list lists none of `absent`."""
    listing = tags_showing(absent=absent)
    return lambda response: response.status_code == 404 or listing(response)
