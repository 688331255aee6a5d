"""Content-discovery listings as the property checks read them: tag-list pages and referrers descriptors.

- `tags_page`: one `tags/list` page: 200, JSON valid against the `tags-list` schema, the asked `name`.
- `walk_tag_pages`: every page of `tags/list?n=`: `Link: rel="next"` when the registry sends it, else
  `last=<last tag>` after a full page (spec.md "Listing Tags"); a tag listed again on a later page, or
  more pages than the tag count allows, fails.
- `referrer_entries`: every descriptor of a referrers answer (its `Link` pages walked, each page valid
  against the `referrers` schema) and whether `OCI-Filters-Applied` named `artifactType`
  (spec.md "Listing Referrers").
"""

from __future__ import annotations

from typing import Any

from conformance.checks.documents import check_schema, header_values, json_document, walk_pages
from conformance.client import RegistryClient, Response
from conformance.verdicts import must

TAGS = "spec.md#listing-tags"
REFERRERS = "spec.md#listing-referrers"


def tags_page(response: Response, repo: str, what: str) -> list[str]:
    """The tags of one `tags/list` page of `repo` (200, schema-valid, named `repo`)."""
    must(response.status_code == 200, f"{what}: {response.describe()}, expected 200", ref=TAGS)
    document = json_document(response, what, ref=TAGS)
    check_schema(document, "tags-list", f"{what} body", ref=TAGS)
    must(document["name"] == repo, f"{what}: name {document['name']!r}, expected {repo!r}", ref=TAGS)
    tags: list[str] = document["tags"] or []
    return tags


def walk_tag_pages(client: RegistryClient, repo: str, n: int, expected_pages: int) -> list[list[str]]:
    """Pages of `tags/list?n=`: follow `Link` when given, else ask `last=<last tag>` after a full page."""
    pages: list[list[str]] = []
    seen: set[str] = set()
    response = client.tags_list(repo, n=n)
    what = f"tags/list?n={n}"
    while True:
        page = tags_page(response, repo, what)
        again = sorted(seen.intersection(page))
        must(not again, f"{what} lists {again} again (already on an earlier page): a page MUST start after "
             "the last tag of the previous one", ref=TAGS)
        seen.update(page)
        pages.append(page)
        must(len(pages) <= expected_pages + 2, f"{what}: more pages than {expected_pages} (n={n})", ref=TAGS)
        try:
            target = client.follow_link(response)
        except ValueError as exc:
            must(False, f"{what}: unparsable Link header: {exc}", ref=TAGS)
            raise
        if target is not None:
            response, what = client.request("GET", target), f"Link rel=next of {what}"
            continue
        if len(page) < n or not page:
            return pages
        response, what = client.tags_list(repo, n=n, last=page[-1]), f"tags/list?n={n}&last={page[-1]}"


def referrer_entries(client: RegistryClient, repo: str, subject: str, artifact_type: str | None
                     ) -> tuple[list[dict[str, Any]], bool]:
    """Every descriptor of the referrers answer (pages walked), and whether a filter was applied."""
    first = client.referrers(repo, subject, artifact_type=artifact_type)
    entries: list[dict[str, Any]] = []
    applied = False
    for page in walk_pages(client, first, "referrers", ref=REFERRERS):
        must(page.status_code == 200, f"{page.describe()}, expected 200 (the referrers API exists)",
             ref=REFERRERS)
        document = json_document(page, "referrers", ref=REFERRERS)
        check_schema(document, "referrers", "referrers body", ref=REFERRERS)
        entries += document["manifests"]
        applied = applied or "artifacttype" in [v.lower() for v in header_values(page, "oci-filters-applied")]
    return entries, applied
