"""Checks of the tag list, `GET /v2/<name>/tags/list[?n=&last=]` (end-8a, end-8b).

What binds (spec.md "Listing Tags", `conformance.ledger.rules.tags`): a found repository MUST answer 200
with `{"name": "<name>", "tags": [...]}` whose `tags` are the repository's tags, in lexical (v1.1.1; main:
lexical or ASCIIbetical) order. With `n`, the answer MUST hold `n` tags unless fewer remain or a `Link`
header is given; a `Link` MUST follow RFC 5988 with `rel="next"`; `n=0` MUST give an empty list and no
`Link`. Where a page starts (the beginning without `last`, after `<tagname>` with it) is said without a
keyword: advice. Contested (advice unless `--registry-strict-readings`): `"tags": null` for an empty list,
ASCIIbetical order under v1.1.1, a 404 for a repository with only untagged manifests, and a tag still
listed right after its accepted (202) delete. A repository that does not exist: 404 in the endpoint
table only, `NAME_UNKNOWN` in the code table only (advice).

A registry that lists writes late gets `--registry-settle-time` (`conformance.checks.settle`): a check's
first list read is repeated until it shows the tags pushed (or no longer the tags deleted), and paging
checks wait for the whole list before they page; the last answer is judged as always.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass

import pytest

from conformance.checks.documents import check_error_response, is_spec_order, push_children
from conformance.checks.listings import (
    FULL_LIST_RULES,
    PAGE_RULES,
    WALK_RULES,
    check_tag_order,
    full_tag_list,
    tags_page,
    walk_tag_pages,
)
from conformance.checks.settle import settle, tags_gone_or_absent, tags_showing
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import Manifest, image_manifest
from conformance.fixtures import Workspace
from conformance.ledger.rules import deletes, general, pull
from conformance.ledger.rules import tags as tr
from conformance.verdicts import judge, note, unsupported

pytestmark = [pytest.mark.content_discovery, pytest.mark.tags, pytest.mark.feature("tags_list"),
              pytest.mark.rules(general.CATEGORY_CLAIM)]

def _tag_set(rng: random.Random) -> list[str]:
    """Eight tags where lexical and ASCIIbetical order differ (upper case, digits, `_`, `.`, `-`)."""
    suffix = f"{rng.getrandbits(16):04x}"
    return [f"{stem}{suffix}" for stem in ("b-", "Alpha.", "_under", "0.9-", "alpha-", "Zeta_", "1.10.", "c")]


def _push_tagged(
    client: RegistryClient, repo: str, rng: random.Random, cleanup: Cleanup
) -> tuple[Manifest, list[str]]:
    """One image tagged with every tag of `_tag_set`, pushed in a scrambled order."""
    image = image_manifest(rng, layer_size=32)
    push_children(client, repo, image, cleanup)
    tags = _tag_set(rng)
    order = list(tags)
    rng.shuffle(order)
    for tag in order:
        client.push_manifest(repo, tag, image)
        cleanup.tag(repo, tag)
    cleanup.manifest(repo, image.digest)
    return image, tags


def _full_list(client: RegistryClient, repo: str, *, order: bool = False, present: Collection[str] = (),
               absent: Collection[str] = ()) -> list[str]:
    """Every tag of `repo` in the registry's order (walking `Link`s if the registry pages unasked).

    The first read is settled: repeated (within the settle time) until it lists every tag of `present` and
    none of `absent`. The order is judged only where asked: the list is most checks' reference for what a
    page should hold, and the order has its own check.
    """
    first = settle("tags", "tags/list", lambda: client.tags_list(repo), tags_showing(present, absent))
    return _tags_from(client, first, repo, "tags/list", order=order)


def _tags_from(client: RegistryClient, first: Response, repo: str, what: str, *, order: bool = False
               ) -> list[str]:
    """The tags of `first` and of every page its `Link` chain leads to."""
    return full_tag_list(client, first, repo, what, order=order)


def _push_image(
    client: RegistryClient, repo: str, image: Manifest, cleanup: Cleanup, tags: list[str | None]
) -> None:
    """Push `image` (children first) under each of `tags` (None: by digest), registered for cleanup."""
    push_children(client, repo, image, cleanup)
    for tag in tags:
        client.push_manifest(repo, tag, image)
    cleanup.manifest(repo, image.digest)


def _has_link(response: Response) -> bool:
    return bool(response.headers.get_list("link"))


@dataclass(frozen=True)
class _TagRepo:
    """The fixtures of a tag-list check that pushes its own tags."""

    client: RegistryClient
    repo: str
    content: random.Random
    cleanup: Cleanup

    def push_tagged(self) -> list[str]:
        """Push one image under the eight tags of `_tag_set`; the tags."""
        return _push_tagged(self.client, self.repo, self.content, self.cleanup)[1]

    def full_list(self, pushed: Collection[str], *, order: bool = False) -> list[str]:
        """The whole tag list, once it shows the tags `pushed` (within the settle time)."""
        return _full_list(self.client, self.repo, order=order, present=pushed)

    def complete_list(self, pushed: Collection[str]) -> list[str]:
        """`full_list`, which must hold every tag `pushed` (a check that indexes into it needs them)."""
        __tracebackhide__ = True
        full = self.full_list(pushed)
        missing = sorted(set(pushed) - set(full))
        judge(tr.TAGS_LIST_FORMAT, not missing,
              f"tags/list lists {full}, the repository has {sorted(pushed)} (missing {missing})")
        return full

    def page(self, what: str, *, n: int | None = None, last: str | None = None) -> tuple[Response, list[str]]:
        """`GET tags/list?n=&last=`: the response and its tags (order judged by the caller)."""
        response = self.client.tags_list(self.repo, n=n, last=last)
        return response, tags_page(response, self.repo, what, order=False)


@pytest.fixture
def tagged(workspace: Workspace) -> _TagRepo:
    """The tag-list checks' fixtures in one place."""
    return _TagRepo(workspace.client, workspace.repo, workspace.content, workspace.cleanup)


@pytest.mark.rules(*FULL_LIST_RULES, tr.TAGS_ORDER_LEXICAL)
@pytest.mark.writes
def test_tag_list_names_the_repository_and_every_tag_in_order(tagged: _TagRepo) -> None:
    tags = tagged.push_tagged()
    listed = tagged.full_list(tags, order=True)
    check_tag_order(listed, "tags/list", strict_lexical=True)
    judge(tr.TAGS_LIST_FORMAT, sorted(listed) == sorted(tags),
          f"tags/list lists {sorted(listed)}, the repository has {sorted(tags)}")
    note("tag order: " + ("ASCIIbetical" if listed == sorted(listed) else "lexical (case-insensitive)"))


@pytest.mark.rules(*FULL_LIST_RULES, tr.TAGS_N_COUNT, tr.TAGS_FROM_START)
@pytest.mark.writes
def test_n_returns_the_first_n_tags_or_a_link(tagged: _TagRepo) -> None:
    tags = tagged.push_tagged()
    full = tagged.full_list(tags)
    response, page = tagged.page("tags/list?n=3", n=3)
    judge(tr.TAGS_N_COUNT, len(page) <= 3, f"tags/list?n=3 returned {len(page)} tags: {page}")
    judge(tr.TAGS_N_COUNT, len(page) == 3 or _has_link(response),
          f"tags/list?n=3 returned {len(page)} of {len(tags)} tags without a Link header")
    check_tag_order(page, "tags/list?n=3")
    judge(tr.TAGS_FROM_START, page == full[: len(page)],
          f"tags/list?n=3 returned {page}, not the start of the list {full}")


@pytest.mark.rules(*FULL_LIST_RULES, tr.TAGS_N_COUNT, tr.TAGS_LAST_AFTER)
@pytest.mark.writes
def test_last_returns_only_tags_strictly_after_it(tagged: _TagRepo) -> None:
    full = tagged.complete_list(tagged.push_tagged())
    last = full[3]
    _, without_n = tagged.page(f"tags/list?last={last}", last=last)
    judge(tr.TAGS_LAST_AFTER, without_n and without_n == full[4 : 4 + len(without_n)],
          f"tags/list?last={last} returned {without_n}, expected the tags after it: {full[4:]}")
    response, with_n = tagged.page(f"tags/list?n=2&last={last}", n=2, last=last)
    judge(tr.TAGS_N_COUNT, len(with_n) == 2 or (len(with_n) < 2 and _has_link(response)),
          f"tags/list?n=2&last={last} returned {len(with_n)} tags ({with_n}) while {len(full[4:])} follow")
    check_tag_order(with_n, f"tags/list?n=2&last={last}")
    judge(tr.TAGS_LAST_AFTER, with_n == full[4 : 4 + len(with_n)],
          f"tags/list?n=2&last={last} returned {with_n}, expected {full[4:6]}")


@pytest.mark.rules(*WALK_RULES)
@pytest.mark.writes
def test_pagination_walk_returns_every_tag_once(tagged: _TagRepo) -> None:
    tags = tagged.push_tagged()
    size = 3
    pages = walk_tag_pages(tagged.client, tagged.repo, size, tags)
    note(f"walked {len(pages)} pages of tags/list?n={size}")
    walked = [tag for page in pages for tag in page]
    judge(tr.TAGS_LAST_AFTER, sorted(set(walked)) == sorted(tags),
          f"the walk returned {sorted(set(walked))}, expected {sorted(tags)}")
    judge(tr.TAGS_LAST_AFTER, is_spec_order(walked),
          f"the pages together are not in lexical or ASCIIbetical order: {walked}")


@pytest.mark.rules(tr.TAGS_N_ZERO, tr.TAGS_LIST_FORMAT, tr.TAGS_NULL, tr.TAGS_ORDER)
@pytest.mark.writes
def test_n_zero_returns_an_empty_list_without_link(tagged: _TagRepo) -> None:
    tagged.push_tagged()
    response = tagged.client.tags_list(tagged.repo, n=0)
    page = tags_page(response, tagged.repo, "tags/list?n=0", status_rule=tr.TAGS_N_ZERO, order=False)
    judge(tr.TAGS_N_ZERO, page == [], f"tags/list?n=0 returned {page}, expected an empty list")
    judge(tr.TAGS_N_ZERO, not _has_link(response),
          f"tags/list?n=0 carries a Link header {response.headers.get_list('link')}")


@pytest.mark.rules(*FULL_LIST_RULES)
@pytest.mark.writes
def test_n_larger_than_the_total_returns_every_tag(tagged: _TagRepo) -> None:
    tags = tagged.push_tagged()
    response = settle("tags", "tags/list?n=1000", lambda: tagged.client.tags_list(tagged.repo, n=1000),
                      tags_showing(tags))
    page = _tags_from(tagged.client, response, tagged.repo, "tags/list?n=1000")
    judge(tr.TAGS_LIST_FORMAT, sorted(page) == sorted(tags),
          f"tags/list?n=1000 returned {sorted(page)}, expected {sorted(tags)}")


@pytest.mark.rules(*FULL_LIST_RULES, tr.TAGS_N_COUNT, tr.TAGS_LAST_AFTER, tr.TAGS_LINK_MAY)
@pytest.mark.writes
def test_last_equal_to_the_final_tag_returns_nothing(tagged: _TagRepo) -> None:
    final = tagged.complete_list(tagged.push_tagged())[-1]
    response, page = tagged.page(f"tags/list?n=5&last={final}", n=5, last=final)
    judge(tr.TAGS_N_COUNT, len(page) <= 5, f"tags/list?n=5&last={final}: {len(page)} tags for n=5: {page}")
    judge(tr.TAGS_LAST_AFTER, page == [], f"tags/list?last={final} (the final tag) returned {page}")
    judge(tr.TAGS_LINK_MAY, not _has_link(response),
          f"tags/list?n=5&last={final}: a Link header {response.headers.get_list('link')} points past the "
          "final tag")


@pytest.mark.rules(general.ENDPOINT_TABLE, pull.REPOSITORY_MISSING_CODE, general.ERROR_ENVELOPE,
                   general.ERROR_CODE_TABLE)
def test_tag_list_of_a_missing_repository_is_404(workspace: Workspace) -> None:
    response = workspace.client.tags_list(f"{workspace.repo}/never-pushed")
    check_error_response(response, (404,), ("NAME_UNKNOWN",), "tags/list of a repository that does not exist",
                         status_rule=general.ENDPOINT_TABLE, code_rule=pull.REPOSITORY_MISSING_CODE)


@pytest.mark.rules(*FULL_LIST_RULES, deletes.MANIFEST_DELETE_202, tr.TAGS_LIST_REFLECTS_DELETES)
@pytest.mark.content_management
@pytest.mark.deletes
@pytest.mark.writes
@pytest.mark.feature("manifest_delete")
def test_tag_list_reflects_manifest_deletes(workspace: Workspace) -> None:
    client, repo, content, cleanup = workspace.client, workspace.repo, workspace.content, workspace.cleanup
    capabilities = workspace.capabilities
    capabilities.require("manifest_delete")
    first = image_manifest(content, layer_size=32)
    second = image_manifest(content, layer_size=32)
    suffix = f"{content.getrandbits(16):04x}"
    for image, names in ((first, ("one-a", "one-b")), (second, ("two",))):
        _push_image(client, repo, image, cleanup, [f"{name}-{suffix}" for name in names])
    deleted = client.manifest_delete(repo, first.digest)
    if deleted.status_code in (400, 405):
        capabilities.record(
            "manifest_delete", False, f"DELETE by digest answered {deleted.status_code}", source="tags"
        )
        unsupported(f"manifest_delete: DELETE by digest answered {deleted.status_code}")
    judge(deletes.MANIFEST_DELETE_202, deleted.status_code == 202, f"{deleted.describe()}, expected 202")
    if not workspace.config.enabled("atomic_delete"):
        note("deletes declared non-atomic: the tag list may lag behind")
        return
    listed = _full_list(client, repo, present=[f"two-{suffix}"],
                        absent=[f"one-a-{suffix}", f"one-b-{suffix}"])
    judge(tr.TAGS_LIST_REFLECTS_DELETES, sorted(listed) == [f"two-{suffix}"],
          f"right after the accepted delete of the manifest tagged one-a/one-b, tags/list lists {listed}")
    last = client.manifest_delete(repo, second.digest)
    judge(deletes.MANIFEST_DELETE_202, last.status_code == 202,
          f"deleting the last manifest: {last.describe()}, expected 202")
    emptied = settle("tags", "tags/list of an emptied repository", lambda: client.tags_list(repo),
                     tags_gone_or_absent([f"two-{suffix}"]))
    if emptied.status_code == 404:
        note(f"tags/list of a repository whose every manifest was deleted: {emptied.describe()} (the "
             "repository is reported as unknown)")
        return
    remaining = tags_page(emptied, repo, "tags/list of an emptied repository")
    judge(tr.TAGS_LIST_REFLECTS_DELETES, remaining == [],
          f"right after every manifest was deleted, tags/list still lists {remaining}")


@pytest.mark.rules(*PAGE_RULES, tr.TAGS_LIST_UNTAGGED_REPOSITORY)
@pytest.mark.writes
def test_tag_list_of_a_repository_without_tags_is_empty(tagged: _TagRepo) -> None:
    image = image_manifest(tagged.content, layer_size=32)
    _push_image(tagged.client, tagged.repo, image, tagged.cleanup, [None])
    response = settle("tags", "tags/list of a repository with only untagged manifests",
                      lambda: tagged.client.tags_list(tagged.repo), lambda answer: answer.status_code == 200)
    if response.status_code == 404:
        judge(tr.TAGS_LIST_UNTAGGED_REPOSITORY, False,
              f"{response.describe()}: the repository holds a manifest (pushed by digest), so it is found "
              "and its tag list is expected as 200 with an empty list")
        return
    tags = tags_page(response, tagged.repo, "tags/list of a repository with only untagged manifests")
    judge(tr.TAGS_LIST_FORMAT, tags == [], f"tags/list of a repository without tags lists {tags}")
