"""Checks of the tag list, `GET /v2/<name>/tags/list[?n=&last=]` (end-8a, end-8b).

The spec (spec.md "Listing Tags"): 200 with `{"name": "<name>", "tags": [...]}` for an existing repository,
where `name` is the repository and `tags` its tags, in lexical (case-insensitive) or ASCIIbetical order. With
`n`, exactly `n` tags unless fewer exist or a `Link` header is given; a `Link` MUST follow RFC 5988 with
`rel="next"`; `n=0` MUST give an empty list and no `Link`; without `last` the page starts at the beginning.
With `last=<tag>`, up to `n` tags strictly after `<tag>` (n optional). The list reflects deletes. A
repository that does not exist: 404 (the error table's code is `NAME_UNKNOWN`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.documents import (
    check_error_response,
    check_schema,
    is_spec_order,
    json_document,
    push_children,
    walk_pages,
)
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import Manifest, image_manifest
from conformance.options import RunConfig
from conformance.verdicts import must, note, should, unsupported

pytestmark = [pytest.mark.content_discovery, pytest.mark.tags, pytest.mark.feature("tags_list")]

TAGS = "spec.md#listing-tags"


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


def _tags_of(response: Response, repo: str, what: str) -> list[str]:
    """The `tags` of a 200 tags-list answer, schema-validated, with `name` equal to `repo`."""
    must(response.status_code == 200, f"{what}: {response.describe()}, expected 200", ref=TAGS)
    document = json_document(response, what, ref=TAGS)
    check_schema(document, "tags-list", f"{what} body", ref=TAGS)
    must(document["name"] == repo, f"{what}: name is {document['name']!r}, expected {repo!r}", ref=TAGS)
    tags: list[str] = document["tags"]
    return tags


def _full_list(client: RegistryClient, repo: str) -> list[str]:
    """Every tag of `repo` in the registry's order (walking `Link`s if the registry pages unasked)."""
    return _tags_from(client, client.tags_list(repo), repo, "tags/list")


def _tags_from(client: RegistryClient, first: Response, repo: str, what: str) -> list[str]:
    """The tags of `first` and of every page its `Link` chain leads to."""
    tags = _tags_of(first, repo, what)
    for page in walk_pages(client, first, what, ref=TAGS)[1:]:
        tags += _tags_of(page, repo, f"{what} (next page)")
    return tags


def _push_image(
    client: RegistryClient, repo: str, image: Manifest, cleanup: Cleanup, tags: list[str | None]
) -> None:
    """Push `image` (children first) under each of `tags` (None: by digest), registered for cleanup."""
    push_children(client, repo, image, cleanup)
    for tag in tags:
        client.push_manifest(repo, tag, image)
    cleanup.manifest(repo, image.digest)


def _check_unknown_repository(response: Response, what: str) -> None:
    """A 404 for a repository the registry does not know; the error table's code is `NAME_UNKNOWN`."""
    check_error_response(response, (404,), ("NAME_UNKNOWN",), what, ref=TAGS, code_level="should")


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

    def full_list(self) -> list[str]:
        return _full_list(self.client, self.repo)

    def page(self, what: str, *, n: int | None = None, last: str | None = None) -> tuple[Response, list[str]]:
        """`GET tags/list?n=&last=`: the response and its tags."""
        response = self.client.tags_list(self.repo, n=n, last=last)
        return response, _tags_of(response, self.repo, what)


@pytest.fixture
def tagged(client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup) -> _TagRepo:
    """The tag-list checks' fixtures in one place."""
    return _TagRepo(client, repo, content, cleanup)


@pytest.mark.spec("end-8a", TAGS)
@pytest.mark.level("MUST")
@pytest.mark.writes
def test_tag_list_names_the_repository_and_every_tag_in_order(tagged: _TagRepo) -> None:
    tags = tagged.push_tagged()
    listed = tagged.full_list()
    must(
        sorted(listed) == sorted(tags),
        f"tags/list lists {sorted(listed)}, the repository has {sorted(tags)}",
        ref=TAGS,
    )
    must(is_spec_order(listed), f"tags/list is in neither lexical nor ASCIIbetical order: {listed}", ref=TAGS)
    note("tag order: " + ("ASCIIbetical" if listed == sorted(listed) else "lexical (case-insensitive)"))


@pytest.mark.spec("end-8b", TAGS)
@pytest.mark.level("MUST")
@pytest.mark.writes
def test_n_returns_the_first_n_tags_or_a_link(tagged: _TagRepo) -> None:
    tags = tagged.push_tagged()
    full = tagged.full_list()
    response, page = tagged.page("tags/list?n=3", n=3)
    has_link = bool(response.headers.get_list("link"))
    must(len(page) <= 3, f"tags/list?n=3 returned {len(page)} tags: {page}", ref=TAGS)
    must(
        len(page) == 3 or has_link,
        f"tags/list?n=3 returned {len(page)} of {len(tags)} tags without a Link header",
        ref=TAGS,
    )
    must(
        page == full[: len(page)],
        f"tags/list?n=3 returned {page}, not the start of the list {full}",
        ref=TAGS,
    )


@pytest.mark.spec("end-8b", TAGS)
@pytest.mark.level("MUST")
@pytest.mark.writes
def test_last_returns_only_tags_strictly_after_it(tagged: _TagRepo) -> None:
    tagged.push_tagged()
    full = tagged.full_list()
    last = full[3]
    _, without_n = tagged.page(f"tags/list?last={last}", last=last)
    must(
        without_n and without_n == full[4 : 4 + len(without_n)],
        f"tags/list?last={last} returned {without_n}, expected the tags after it: {full[4:]}",
        ref=TAGS,
    )
    _, with_n = tagged.page(f"tags/list?n=2&last={last}", n=2, last=last)
    must(with_n == full[4:6], f"tags/list?n=2&last={last} returned {with_n}, expected {full[4:6]}", ref=TAGS)


@pytest.mark.spec("end-8b", TAGS, "RFC 5988")
@pytest.mark.level("MUST")
@pytest.mark.writes
def test_pagination_walk_returns_every_tag_once(tagged: _TagRepo) -> None:
    client, repo = tagged.client, tagged.repo
    tags = tagged.push_tagged()
    size = 3
    first, first_page = tagged.page(f"tags/list?n={size}", n=size)
    pages = [first_page]
    if first.headers.get_list("link"):
        for response in walk_pages(client, first, "tags/list pagination", ref=TAGS)[1:]:
            pages.append(_tags_of(response, repo, f"tags/list page {len(pages) + 1}"))
        note(f"tags/list paginates with Link: {len(pages)} pages of n={size}")
    else:
        while len(pages[-1]) == size and len(pages) <= len(tags):
            last = pages[-1][-1]
            pages.append(tagged.page(f"tags/list?last={last}", n=size, last=last)[1])
        note(f"tags/list gives no Link: walked {len(pages)} pages with n/last")
    walked = [tag for page in pages for tag in page]
    must(all(len(page) <= size for page in pages), f"a page holds more than n={size} tags: {pages}", ref=TAGS)
    must(len(walked) == len(set(walked)), f"the walk returned duplicates: {walked}", ref=TAGS)
    must(
        sorted(walked) == sorted(tags),
        f"the walk returned {sorted(walked)}, expected {sorted(tags)}",
        ref=TAGS,
    )
    must(
        is_spec_order(walked),
        f"the pages together are not in lexical or ASCIIbetical order: {walked}",
        ref=TAGS,
    )


@pytest.mark.spec("end-8b", TAGS)
@pytest.mark.level("MUST")
@pytest.mark.writes
def test_n_zero_returns_an_empty_list_without_link(tagged: _TagRepo) -> None:
    tagged.push_tagged()
    response, page = tagged.page("tags/list?n=0", n=0)
    must(page == [], f"tags/list?n=0 returned {page}, expected an empty list", ref=TAGS)
    must(
        not response.headers.get_list("link"),
        f"tags/list?n=0 carries a Link header {response.headers.get_list('link')}",
        ref=TAGS,
    )


@pytest.mark.spec("end-8b", TAGS)
@pytest.mark.level("MUST")
@pytest.mark.writes
def test_n_larger_than_the_total_returns_every_tag(tagged: _TagRepo) -> None:
    tags = tagged.push_tagged()
    response = tagged.client.tags_list(tagged.repo, n=1000)
    page = _tags_from(tagged.client, response, tagged.repo, "tags/list?n=1000")
    must(
        sorted(page) == sorted(tags),
        f"tags/list?n=1000 returned {sorted(page)}, expected {sorted(tags)}",
        ref=TAGS,
    )


@pytest.mark.spec("end-8b", TAGS)
@pytest.mark.level("MUST")
@pytest.mark.writes
def test_last_equal_to_the_final_tag_returns_nothing(tagged: _TagRepo) -> None:
    tagged.push_tagged()
    final = tagged.full_list()[-1]
    response, page = tagged.page(f"tags/list?n=5&last={final}", n=5, last=final)
    must(page == [], f"tags/list?last={final} (the final tag) returned {page}", ref=TAGS)
    should(not response.headers.get_list("link"), "a Link header points past the final tag", ref=TAGS)


@pytest.mark.spec("end-8a", TAGS, "code-9")
@pytest.mark.level("MUST")
def test_tag_list_of_a_missing_repository_is_404(client: RegistryClient, repo: str) -> None:
    response = client.tags_list(f"{repo}/never-pushed")
    _check_unknown_repository(response, "tags/list of a repository that does not exist")


@pytest.mark.spec("end-8a", "end-9", TAGS, "spec.md#deleting-manifests")
@pytest.mark.level("MUST")
@pytest.mark.content_management
@pytest.mark.deletes
@pytest.mark.writes
@pytest.mark.feature("manifest_delete")
def test_tag_list_reflects_manifest_deletes(
    client: RegistryClient,
    repo: str,
    content: random.Random,
    *,
    cleanup: Cleanup,
    registry_config: RunConfig,
    capabilities: Capabilities,
) -> None:
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
    must(deleted.status_code == 202, f"{deleted.describe()}, expected 202", ref="spec.md#deleting-manifests")
    if not registry_config.enabled("atomic_delete"):
        note("deletes declared non-atomic: the tag list may lag behind")
        return
    listed = _full_list(client, repo)
    must(
        sorted(listed) == [f"two-{suffix}"],
        f"after deleting the manifest tagged one-a/one-b, tags/list lists {listed}",
        ref=TAGS,
    )
    must(
        client.manifest_delete(repo, second.digest).status_code == 202,
        "deleting the last manifest failed",
        ref="spec.md#deleting-manifests",
    )
    emptied = client.tags_list(repo)
    if emptied.status_code == 404:
        _check_unknown_repository(emptied, "tags/list of an emptied repository")
        note("a repository without manifests is reported as unknown (404)")
        return
    must(
        _tags_of(emptied, repo, "tags/list of an emptied repository") == [],
        "tags/list still lists tags after every manifest was deleted",
        ref=TAGS,
    )


@pytest.mark.spec("end-8a", TAGS)
@pytest.mark.level("SHOULD")
@pytest.mark.writes
def test_tag_list_of_a_repository_without_tags_is_empty(tagged: _TagRepo) -> None:
    image = image_manifest(tagged.content, layer_size=32)
    _push_image(tagged.client, tagged.repo, image, tagged.cleanup, [None])
    response = tagged.client.tags_list(tagged.repo)
    if response.status_code == 404:
        _check_unknown_repository(response, "tags/list of an untagged repository")
        should(
            False,
            f"{response.describe()}: the repository holds a manifest (pushed by digest), so its tag "
            "list is expected as 200 with an empty list",
            ref=TAGS,
        )
        return
    tags = _tags_of(response, tagged.repo, "tags/list of a repository with only untagged manifests")
    must(tags == [], f"tags/list of a repository without tags lists {tags}", ref=TAGS)
