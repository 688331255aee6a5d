"""Content-discovery listings as the checks read them: tag-list pages and referrers descriptors.

Each helper judges the ledger's rules (`conformance.ledger.rules.tags`, `.referrers`) itself; the rule's
keyword decides the level:

- `tags_page`: one `tags/list` answer: its status (`status_rule`, tags-list-200 by default), a JSON body of
  the format (tags-list-format: the `tags-list` schema, `name` the repository), `"tags": null` read as an
  empty list (tags-null, contested) and the order (`check_tag_order`: tags-order; the contested strict
  lexical reading of v1.1.1, tags-order-lexical, only where a check asks for it).
- `walk_tag_pages`: every page of `tags/list?n=`: `Link: rel="next"` when the registry sends it (it MUST
  parse and MUST NOT loop or run on: tags-link-format), else `last=<last tag>` after a full page; each page
  at most `n` tags, and a short page without `Link` while tags remain breaks tags-n-count; a tag listed
  again on a later page is tags-last-after (no keyword); a `Link` after which no tag follows is the MAY
  tags-link-may.
- `full_tag_list`: every tag of an unpaged `tags/list` answer and of the pages its `Link` chain leads to
  (a registry may page unasked), each page as `tags_page` reads it, the whole in spec order.
- `compare_tag_list`: a full list against the tags the repository holds: a missing, repeated or unknown tag
  breaks tags-list-format; a tag still listed right after its accepted delete is tags-list-reflects-deletes
  (contested).
- `referrer_entries`: (its first read settled on what `shows` asks, when given: `conformance.checks.settle`)
  every descriptor of a referrers answer (`Link` pages walked, each page a 200 with the
  index Content-Type and a schema-valid referrers index) and whether `OCI-Filters-Applied` named
  `artifactType` (spec.md "Listing Referrers").

The tag helpers take a `judge_with` (default `judge`) so a property check can pass its run's `judge_once`
and report a warning or advice once per run instead of once per example.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from conformance.checks.documents import (
    check_schema,
    header_values,
    is_lexical_order,
    is_spec_order,
    json_document,
    walk_pages,
)
from conformance.checks.settle import Shows, settle, tags_showing, wait_until_listed
from conformance.client import RegistryClient, Response
from conformance.ledger.model import Rule, SpecVersion
from conformance.ledger.rules import referrers as rr
from conformance.ledger.rules import tags as tr
from conformance.spec import media_types
from conformance.verdicts import judge, note, settings

Judge = Callable[[Rule, object, str], bool]
"""`judge` or a stand-in with its signature (a property run's once-per-run judge)."""

PAGE_RULES = (tr.TAGS_LIST_200, tr.TAGS_LIST_FORMAT, tr.TAGS_NULL, tr.TAGS_ORDER)
"""What `tags_page` judges (with the default status rule)."""
WALK_RULES = (*PAGE_RULES, tr.TAGS_N_COUNT, tr.TAGS_LINK_FORMAT, tr.TAGS_LINK_MAY, tr.TAGS_LAST_AFTER)
"""What `walk_tag_pages` judges."""
FULL_LIST_RULES = (*PAGE_RULES, tr.TAGS_LINK_FORMAT)
"""What `full_tag_list` judges."""
COMPARE_RULES = (tr.TAGS_LIST_FORMAT, tr.TAGS_LIST_REFLECTS_DELETES)
"""What `compare_tag_list` judges."""
TAG_LIST_RULES = (*FULL_LIST_RULES, *COMPARE_RULES, tr.TAGS_LIST_UNTAGGED_REPOSITORY)
"""What a full list compared with the tags a repository holds judges (a 404 of an untagged one included)."""
REFERRER_ENTRIES_RULES = (rr.REFERRERS_200, rr.REFERRERS_NO_404, rr.REFERRERS_CONTENT_TYPE,
                          rr.REFERRERS_INDEX_BODY, rr.REFERRERS_LINK_FORMAT)
"""What `referrer_entries` judges."""


def check_tag_order(tags: list[str], what: str, *, strict_lexical: bool = False,
                    judge_with: Judge = judge) -> bool:
    """`tags` in lexical or ASCIIbetical order (tags-order).

    With `strict_lexical`, under v1.1.1 also in case-insensitive order (tags-order-lexical, contested: one
    check asks it, not every page).
    """
    __tracebackhide__ = True
    if not judge_with(tr.TAGS_ORDER, is_spec_order(tags),
                      f"{what}: the tags are in neither lexical nor ASCIIbetical order: {tags}"):
        return False
    if strict_lexical and settings().spec_version is SpecVersion.V1_1:
        return judge_with(tr.TAGS_ORDER_LEXICAL, is_lexical_order(tags),
                          f"{what}: the tags are in ASCIIbetical (byte) order, not the case-insensitive one "
                          f"v1.1.1 names: {tags}")
    return True


def tags_page(response: Response, repo: str, what: str, *, status_rule: Rule = tr.TAGS_LIST_200,
              order: bool = True, judge_with: Judge = judge) -> list[str]:
    """The tags of one `tags/list` answer of `repo`: 200, the JSON format naming `repo`, in spec order.

    `order=False` leaves the order to the caller (a check that judges another rule of the page first).
    Returns an empty list when a broken rule let the check go on without a readable page.
    """
    __tracebackhide__ = True
    if not judge_with(status_rule, response.status_code == 200,
                      f"{what}: {response.describe()}, expected 200"):
        return []
    document = json_document(response, what, rule=tr.TAGS_LIST_FORMAT)
    if isinstance(document, dict) and "tags" in document and document["tags"] is None:
        judge_with(tr.TAGS_NULL, False, f'{what}: "tags": null where the format shows an array (read as an '
                                        "empty list)")
        document = {**document, "tags": []}
    if not check_schema(document, "tags-list", f"{what} body", rule=tr.TAGS_LIST_FORMAT):
        return []
    judge_with(tr.TAGS_LIST_FORMAT, document["name"] == repo,
               f"{what}: name {document['name']!r}, expected {repo!r}")
    tags: list[str] = document["tags"]
    if order:
        check_tag_order(tags, what, judge_with=judge_with)
    return tags


def walk_tag_pages(client: RegistryClient, repo: str, n: int, held: Collection[str], *,
                   judge_with: Judge = judge) -> list[list[str]]:
    """Pages of `tags/list?n=` of `repo`, which holds the tags `held`: `Link` when given, else `last=`.

    Under a settle time the whole list is first read until it shows `held` (`settle.wait_until_listed`);
    the pages are read after that.
    """
    __tracebackhide__ = True
    wait_until_listed("tags", "tags/list (before paging)", lambda: client.tags_list(repo), tags_showing(held))
    bound = -(-len(held) // n) + 2 if n else 2
    pages: list[list[str]] = []
    seen: set[str] = set()
    urls: set[str] = set()
    response = client.tags_list(repo, n=n)
    what, via_link = f"tags/list?n={n}", False
    while True:
        urls.add(str(response.url))
        page = tags_page(response, repo, what, order=False, judge_with=judge_with)
        if via_link and not page:
            judge_with(tr.TAGS_LINK_MAY, False, f"{what}: the page a Link rel=next led to lists no tags")
        judge_with(tr.TAGS_N_COUNT, len(page) <= n, f"{what}: {len(page)} tags for n={n}: {page}")
        check_tag_order(page, what, judge_with=judge_with)
        again = sorted(seen.intersection(page))
        if not judge_with(tr.TAGS_LAST_AFTER, not again,
                          f"{what} lists {again} again (already on an earlier page)"):
            pages.append(page)
            return pages
        seen.update(page)
        pages.append(page)
        remaining = sorted(set(held) - seen)
        try:
            target = client.follow_link(response)
        except ValueError as exc:
            judge_with(tr.TAGS_LINK_FORMAT, False, f"{what}: unparsable Link header: {exc}")
            return pages
        if target is not None:
            if not judge_with(tr.TAGS_LINK_FORMAT, target not in urls,
                              f'{what}: Link rel="next" loops back to {target}, a page already read'):
                return pages
            if not judge_with(tr.TAGS_LINK_FORMAT, len(pages) < bound,
                              f"{what}: more than {bound} pages of Link rel=next for {len(held)} tags"):
                return pages
            response, what, via_link = client.request("GET", target), f"Link rel=next of {what}", True
            continue
        if len(page) < n or not page:
            judge_with(tr.TAGS_N_COUNT, not remaining,
                       f"{what}: {len(page)} tags for n={n} and no Link header, while {remaining} remain")
            return pages
        if not judge_with(tr.TAGS_LINK_FORMAT, len(pages) < bound,
                          f"tags/list?n={n}: more than {bound} pages of last= for {len(held)} tags"):
            return pages
        response, what = client.tags_list(repo, n=n, last=page[-1]), f"tags/list?n={n}&last={page[-1]}"
        via_link = False


def full_tag_list(client: RegistryClient, first: Response, repo: str, what: str, *, order: bool = True,
                  judge_with: Judge = judge) -> list[str]:
    """The tags of `first` and of every page its `Link` chain leads to, the whole in spec order."""
    __tracebackhide__ = True
    tags = tags_page(first, repo, what, order=order, judge_with=judge_with)
    pages = walk_pages(client, first, what, link_rule=tr.TAGS_LINK_FORMAT, page_rule=tr.TAGS_LIST_200)
    for page in pages[1:]:
        tags += tags_page(page, repo, f"{what} (next page)", order=order, judge_with=judge_with)
    if len(pages) > 1:
        note(f"{what}: the registry paged the list unasked ({len(pages)} pages via Link)")
        if order:
            check_tag_order(tags, f"{what} (all pages)", judge_with=judge_with)
    return tags


def compare_tag_list(listed: list[str], held: Collection[str], deleted: Collection[str], what: str, *,
                     judge_with: Judge = judge) -> None:
    """`listed` (a full tag list) is exactly `held`; `deleted` went by accepted deletes."""
    __tracebackhide__ = True
    missing = sorted(set(held) - set(listed))
    twice = sorted({tag for tag in listed if listed.count(tag) > 1})
    extra = sorted(set(listed) - set(held))
    lagging = [tag for tag in extra if tag in deleted]
    unknown = [tag for tag in extra if tag not in deleted]
    judge_with(tr.TAGS_LIST_FORMAT, not missing and not twice and not unknown,
               f"{what} lists {listed}, the repository holds {sorted(held)}"
               + (f" (missing {missing})" if missing else "") + (f" (twice: {twice})" if twice else "")
               + (f" (never tags here: {unknown})" if unknown else ""))
    judge_with(tr.TAGS_LIST_REFLECTS_DELETES, not lagging,
               f"{what} still lists {lagging} right after their accepted delete")


def referrer_entries(client: RegistryClient, repo: str, subject: str, artifact_type: str | None, *,
                     shows: Shows | None = None) -> tuple[list[dict[str, Any]], bool]:
    """Every descriptor of the referrers answer (pages walked), and whether a filter was applied.

    With `shows`, the first read is settled (`conformance.checks.settle`): re-read, within the settle time,
    until it shows what the check pushed.
    """
    __tracebackhide__ = True
    def read() -> Response:
        return client.referrers(repo, subject, artifact_type=artifact_type)

    first = read() if shows is None else settle("referrers", f"referrers of {subject}", read, shows)
    entries: list[dict[str, Any]] = []
    applied = False
    for page in walk_pages(client, first, "referrers", link_rule=rr.REFERRERS_LINK_FORMAT,
                           page_rule=rr.REFERRERS_200):
        judge(rr.REFERRERS_NO_404, page.status_code != 404,
              f"{page.describe()}: a registry with the referrers API MUST NOT answer 404")
        judge(rr.REFERRERS_200, page.status_code == 200, f"{page.describe()}, expected 200")
        judge(rr.REFERRERS_CONTENT_TYPE, page.content_type == media_types.OCI_INDEX,
              f"referrers: Content-Type {page.header('content-type')!r}, expected {media_types.OCI_INDEX}")
        document = json_document(page, "referrers", rule=rr.REFERRERS_INDEX_BODY)
        if not check_schema(document, "referrers", "referrers body", rule=rr.REFERRERS_INDEX_BODY):
            continue
        entries += document["manifests"]
        applied = applied or "artifacttype" in [v.lower() for v in header_values(page, "oci-filters-applied")]
    return entries, applied
