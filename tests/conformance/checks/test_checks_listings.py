"""Tests of `conformance.checks.listings`: tag-list pages walked by `Link` or by `last=`, and referrers
descriptors across pages with the filter header (an in-memory registry behind httpx.MockTransport)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from conformance.checks.listings import referrer_entries, tags_page, walk_tag_pages
from conformance.client import RegistryClient
from conformance.content import image_manifest, referrer
from conformance.spec import media_types
from conformance.verdicts import MustViolation
from tests.conformance.checks.checks_doubles import REGISTRY, MemoryRegistry, answer

TAGS = ["a", "b", "c", "d", "e"]


def test_tag_pages_followed_by_link_are_every_tag_once() -> None:
    with MemoryRegistry(tags=TAGS, page_size=2).client() as client:
        assert walk_tag_pages(client, "ns/repo", 2, 3) == [["a", "b"], ["c", "d"], ["e"]]


def test_without_link_a_full_page_is_followed_by_last() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        query = {key: values[-1] for key, values in parse_qs(urlsplit(str(request.url)).query).items()}
        after = [tag for tag in TAGS if tag > query.get("last", "")]
        return httpx.Response(200, json={"name": "ns/repo", "tags": after[: int(query["n"])]})

    with RegistryClient(REGISTRY, transport=httpx.MockTransport(handle)) as client:
        assert walk_tag_pages(client, "ns/repo", 2, 3) == [["a", "b"], ["c", "d"], ["e"]]
        assert walk_tag_pages(client, "ns/repo", 5, 1) == [TAGS, []]


def test_a_tag_listed_again_on_a_later_page_fails() -> None:
    registry = MemoryRegistry(tags=TAGS, page_size=2, loop_links=True)
    with registry.client() as client, pytest.raises(MustViolation, match=r"lists \['a', 'b'\] again"):
        walk_tag_pages(client, "ns/repo", 2, 3)


def test_a_page_naming_another_repository_fails() -> None:
    body = json.dumps({"name": "other", "tags": []}).encode()
    page = answer(200, {"Content-Type": "application/json"}, body)
    with pytest.raises(MustViolation, match="name 'other', expected 'ns/repo'"):
        tags_page(page, "ns/repo", "tags/list")


SUBJECT = image_manifest(5, layer_size=8)
SIGNATURE, SBOM = referrer(SUBJECT, 1), referrer(SUBJECT, 2, artifact_type="application/example.sbom")


def referrers_registry(filters_header: bool) -> httpx.MockTransport:
    """Referrers of SUBJECT in two pages (Link), filtered by artifactType when asked and `filters_header`."""
    def handle(request: httpx.Request) -> httpx.Response:
        wanted = request.url.params.get("artifactType")
        second = request.url.params.get("page") == "2"
        entries = [SBOM if second else SIGNATURE]
        if wanted and filters_header:
            entries = [entry for entry in entries if entry.artifact_type == wanted]
        document = {"schemaVersion": 2, "mediaType": media_types.OCI_INDEX,
                    "manifests": [m.descriptor(artifact_type=m.artifact_type).to_dict() for m in entries]}
        headers = {"Content-Type": media_types.OCI_INDEX}
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


def test_referrers_answered_with_404_fail() -> None:
    with MemoryRegistry().client() as client, pytest.raises(MustViolation, match="the referrers API exists"):
        referrer_entries(client, "ns/repo", SUBJECT.digest, None)
