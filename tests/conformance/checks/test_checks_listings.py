"""Tests of `conformance.checks.listings`: conforming tag pages (walked by `Link` or by `last=`) pass without
a finding; each way of breaking a tag-list rule fails, warns or advises at its keyword's level (contested
readings advise unless strict readings); referrers descriptors across pages with the filter header (a tag
registry and a referrers registry behind httpx.MockTransport)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from conformance.checks.listings import (
    check_tag_order,
    compare_tag_list,
    full_tag_list,
    referrer_entries,
    tags_page,
    walk_tag_pages,
)
from conformance.client import RegistryClient
from conformance.content import image_manifest, referrer
from conformance.ledger.model import Level, Rule, SpecVersion
from conformance.ledger.rules import referrers as rr
from conformance.ledger.rules import tags as tr
from conformance.spec import media_types
from conformance.verdicts import MustViolation, VerdictRecorder, VerdictSettings, configure, settings
from tests.conformance.checks.checks_doubles import REGISTRY, MemoryRegistry, answer, verdicts

TAGS = ["a", "B", "c", "d", "e"]
"""Five tags whose byte order (`B` first) and case-insensitive order differ."""


@pytest.fixture(autouse=True)
def _v1_1_run() -> Iterator[None]:
    """Every test runs as a v1.1 run without strict readings, whatever ran before."""
    before = settings()
    configure(VerdictSettings(spec_version=SpecVersion.V1_1))
    yield
    configure(before)


def levels(recorder: VerdictRecorder) -> list[tuple[Level, str]]:
    return [(finding.level, finding.rule.id) for finding in recorder.findings]


@dataclass
class TagRegistry:
    """Tag pages of `ns/repo`, conforming unless a switch breaks one rule."""

    tags: list[str] = field(default_factory=lambda: list(TAGS))
    link: bool = True
    """Page with `Link` (else the client must ask `last=`)."""
    byte_order: bool = False
    unsorted: bool = False
    ignore_n: bool = False
    short_without_link: bool = False
    null_empty: bool = False
    loop_links: bool = False
    bad_link: bool = False
    link_past_end: bool = False
    repeat_last: bool = False

    def client(self) -> RegistryClient:
        return RegistryClient(REGISTRY, transport=httpx.MockTransport(self.handle))

    def ordered(self) -> list[str]:
        if self.unsorted:
            return sorted(self.tags, key=lambda tag: tag[::-1], reverse=True)
        return sorted(self.tags) if self.byte_order else sorted(self.tags, key=str.lower)

    def handle(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        ordered = self.ordered()
        last = params.get("last")
        start = ordered.index(last) + (0 if self.repeat_last else 1) if last in ordered else 0
        remaining = ordered[start:]
        n = int(params["n"]) if "n" in params and not self.ignore_n else len(remaining)
        page = remaining[:n]
        if self.short_without_link and len(page) > 1:
            page = page[:-1]
        headers: dict[str, str] = {}
        more = len(remaining) > len(page) or (self.link_past_end and page and last != page[-1])
        if self.link and more and not self.short_without_link:
            target = str(request.url) if self.loop_links else f"/v2/ns/repo/tags/list?n={n}&last={page[-1]}"
            headers["Link"] = "<broken" if self.bad_link else f'<{target}>; rel="next"'
        body = {"name": "ns/repo", "tags": None if self.null_empty and not page else page}
        return httpx.Response(200, headers=headers, json=body)


def walk(registry: TagRegistry, n: int = 2) -> list[list[str]]:
    with registry.client() as client:
        return walk_tag_pages(client, "ns/repo", n, registry.tags)


def page(body: object, status: int = 200) -> list[str]:
    response = answer(status, {"Content-Type": "application/json"}, json.dumps(body).encode(),
                      url=f"{REGISTRY}/v2/ns/repo/tags/list")
    return tags_page(response, "ns/repo", "tags/list")


# conforming pages ----------------------------------------------------------------------------------
@pytest.mark.parametrize("link", [True, False], ids=["by-link", "by-last"])
@pytest.mark.parametrize("byte_order", [False, True], ids=["lexical", "asciibetical"])
def test_a_conforming_walk_gives_every_tag_once_without_a_finding(link: bool, byte_order: bool) -> None:
    registry = TagRegistry(link=link, byte_order=byte_order)
    with verdicts() as recorder:
        pages = walk(registry)
    expected = registry.ordered()
    assert [tag for one in pages for tag in one] == expected
    assert all(len(one) <= 2 for one in pages) and pages[0] == expected[:2]
    assert levels(recorder) == []
    assert {tr.TAGS_N_COUNT.id, tr.TAGS_ORDER.id, tr.TAGS_LIST_FORMAT.id} <= recorder.evaluated


def test_an_n_above_the_count_is_one_page_and_a_full_list_follows_links() -> None:
    assert walk(TagRegistry(), n=10) == [TagRegistry().ordered()]
    registry = TagRegistry()
    with registry.client() as client, verdicts() as recorder:
        first = client.tags_list("ns/repo", n=2)
        assert full_tag_list(client, first, "ns/repo", "tags/list") == registry.ordered()
    assert levels(recorder) == []
    assert any("paged the list unasked" in text for text in recorder.notes)


# order ---------------------------------------------------------------------------------------------
def test_asciibetical_order_is_contested_advice_under_v1_1_only_and_fails_with_strict_readings() -> None:
    tags = sorted(TAGS)
    with verdicts() as recorder:
        assert check_tag_order(tags, "tags/list") is True
        assert check_tag_order(tags, "tags/list", strict_lexical=True) is False
    assert levels(recorder) == [(Level.ADVICE, tr.TAGS_ORDER_LEXICAL.id)]
    configure(VerdictSettings(spec_version=SpecVersion.MAIN))
    with verdicts() as recorder:
        assert check_tag_order(tags, "tags/list", strict_lexical=True) is True
    assert levels(recorder) == []
    configure(VerdictSettings(spec_version=SpecVersion.V1_1, strict_readings=True))
    with pytest.raises(MustViolation, match="ASCIIbetical") as raised:
        check_tag_order(tags, "tags/list", strict_lexical=True)
    assert raised.value.rule is tr.TAGS_ORDER_LEXICAL


def test_a_page_in_neither_order_fails() -> None:
    with pytest.raises(MustViolation, match="neither lexical nor ASCIIbetical") as raised:
        walk(TagRegistry(unsorted=True), n=10)
    assert raised.value.rule is tr.TAGS_ORDER


# format --------------------------------------------------------------------------------------------
def test_tags_null_reads_as_an_empty_list_with_contested_advice() -> None:
    with verdicts() as recorder:
        assert page({"name": "ns/repo", "tags": None}) == []
    assert levels(recorder) == [(Level.ADVICE, tr.TAGS_NULL.id)]
    configure(VerdictSettings(spec_version=SpecVersion.V1_1, strict_readings=True))
    with pytest.raises(MustViolation, match='"tags": null') as raised:
        page({"name": "ns/repo", "tags": None})
    assert raised.value.rule is tr.TAGS_NULL


@pytest.mark.parametrize(("body", "match"), [
    ({"name": "other", "tags": []}, "name 'other', expected 'ns/repo'"),
    ({"name": "ns/repo", "tags": ["a", "a"]}, "tags-list schema"),
    ({"name": "ns/repo"}, "tags-list schema"),
    ([1, 2], "tags-list schema"),
], ids=["other-name", "tag-twice", "no-tags", "not-an-object"])
def test_a_body_that_is_not_the_format_fails(body: object, match: str) -> None:
    with pytest.raises(MustViolation, match=match) as raised:
        page(body)
    assert raised.value.rule is tr.TAGS_LIST_FORMAT


def test_a_body_that_is_not_json_fails_and_a_status_other_than_200_breaks_the_callers_rule() -> None:
    with pytest.raises(MustViolation, match="is not JSON") as raised:
        tags_page(answer(200, content=b"<html>"), "ns/repo", "tags/list")
    assert raised.value.rule is tr.TAGS_LIST_FORMAT
    with pytest.raises(MustViolation, match="expected 200") as raised:
        page({"errors": []}, status=404)
    assert raised.value.rule is tr.TAGS_LIST_200
    with pytest.raises(MustViolation) as raised:
        tags_page(answer(400), "ns/repo", "tags/list?n=0", status_rule=tr.TAGS_N_ZERO)
    assert raised.value.rule is tr.TAGS_N_ZERO


# n, Link, last ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("registry", "rule", "match"), [
    (TagRegistry(ignore_n=True), tr.TAGS_N_COUNT, "5 tags for n=2"),
    (TagRegistry(short_without_link=True), tr.TAGS_N_COUNT, "no Link header, while"),
    (TagRegistry(loop_links=True), tr.TAGS_LINK_FORMAT, "loops back"),
    (TagRegistry(bad_link=True), tr.TAGS_LINK_FORMAT, "unparsable Link"),
], ids=["n-ignored", "short-page-without-link", "link-loop", "unparsable-link"])
def test_a_broken_must_of_the_walk_fails(registry: TagRegistry, rule: Rule, match: str) -> None:
    with pytest.raises(MustViolation, match=match) as raised:
        walk(registry)
    assert raised.value.rule is rule


def test_a_page_repeating_earlier_tags_is_advice_and_ends_the_walk() -> None:
    with verdicts() as recorder:
        pages = walk(TagRegistry(link=False, repeat_last=True))
    assert pages == [["a", "B"], ["B", "c"]]
    assert levels(recorder) == [(Level.ADVICE, tr.TAGS_LAST_AFTER.id)]


def test_a_link_to_an_empty_page_past_the_end_is_advice() -> None:
    registry = TagRegistry(tags=["a", "b", "c", "d"], link_past_end=True)
    with verdicts() as recorder:
        pages = walk(registry)
    assert pages == [["a", "b"], ["c", "d"], []]
    assert levels(recorder) == [(Level.ADVICE, tr.TAGS_LINK_MAY.id)]


def test_the_walk_judges_through_the_callers_judge() -> None:
    seen: list[tuple[str, bool]] = []

    def record(rule: Rule, condition: object, message: str) -> bool:
        seen.append((rule.id, bool(condition)))
        return bool(condition)

    with TagRegistry(link=False, repeat_last=True).client() as client:
        walk_tag_pages(client, "ns/repo", 2, TAGS, judge_with=record)
    assert (tr.TAGS_LAST_AFTER.id, False) in seen and (tr.TAGS_N_COUNT.id, True) in seen


# compare with what the repository holds ------------------------------------------------------------
def test_compare_tag_list_fails_missing_or_unknown_tags_and_advises_on_a_deleted_one() -> None:
    with verdicts() as recorder:
        compare_tag_list(["a", "b"], {"a", "b"}, set(), "tags/list")
        compare_tag_list(["a", "b", "gone"], {"a", "b"}, {"gone"}, "tags/list")
    assert levels(recorder) == [(Level.ADVICE, tr.TAGS_LIST_REFLECTS_DELETES.id)]
    for listed, match in ((["a"], r"missing \['b'\]"), (["a", "b", "x"], r"never tags here: \['x'\]"),
                          (["a", "a", "b"], r"twice: \['a'\]")):
        with pytest.raises(MustViolation, match=match) as raised:
            compare_tag_list(listed, {"a", "b"}, set(), "tags/list")
        assert raised.value.rule is tr.TAGS_LIST_FORMAT


# referrers -----------------------------------------------------------------------------------------
SUBJECT = image_manifest(5, layer_size=8)
SIGNATURE, SBOM = referrer(SUBJECT, 1), referrer(SUBJECT, 2, artifact_type="application/example.sbom")


def referrers_registry(filters_header: bool, content_type: str = media_types.OCI_INDEX
                       ) -> httpx.MockTransport:
    """Referrers of SUBJECT in two pages (Link), filtered by artifactType when asked and `filters_header`."""
    def handle(request: httpx.Request) -> httpx.Response:
        wanted = request.url.params.get("artifactType")
        second = request.url.params.get("page") == "2"
        entries = [SBOM if second else SIGNATURE]
        if wanted and filters_header:
            entries = [entry for entry in entries if entry.artifact_type == wanted]
        document = {"schemaVersion": 2, "mediaType": media_types.OCI_INDEX,
                    "manifests": [m.descriptor(artifact_type=m.artifact_type).to_dict() for m in entries]}
        headers = {"Content-Type": content_type}
        if not second:
            headers["Link"] = f'<{request.url.path}?page=2>; rel="next"'
        if wanted and filters_header:
            headers["OCI-Filters-Applied"] = "artifactType"
        return httpx.Response(200, headers=headers, content=json.dumps(document).encode())

    return httpx.MockTransport(handle)


def test_referrer_entries_walk_every_page_and_say_whether_a_filter_was_applied() -> None:
    with RegistryClient(REGISTRY, transport=referrers_registry(filters_header=True)) as client:
        entries, applied = referrer_entries(client, "ns/repo", SUBJECT.digest, None)
        assert [entry["digest"] for entry in entries] == [SIGNATURE.digest, SBOM.digest]
        assert not applied
        entries, applied = referrer_entries(client, "ns/repo", SUBJECT.digest, "application/example.sbom")
        assert [entry["digest"] for entry in entries] == [SBOM.digest]
        assert applied
    with RegistryClient(REGISTRY, transport=referrers_registry(filters_header=False)) as client:
        entries, applied = referrer_entries(client, "ns/repo", SUBJECT.digest, "application/example.sbom")
        assert len(entries) == 2 and not applied


def test_referrers_answered_with_404_or_another_content_type_fail() -> None:
    with MemoryRegistry().client() as client, pytest.raises(MustViolation, match="MUST NOT answer") as raised:
        referrer_entries(client, "ns/repo", SUBJECT.digest, None)
    assert raised.value.rule is rr.REFERRERS_NO_404
    transport = referrers_registry(filters_header=True, content_type="application/json")
    with RegistryClient(REGISTRY, transport=transport) as client, pytest.raises(MustViolation) as raised:
        referrer_entries(client, "ns/repo", SUBJECT.digest, None)
    assert raised.value.rule is rr.REFERRERS_CONTENT_TYPE
