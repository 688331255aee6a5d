"""Checks of the repository catalog, `GET /v2/_catalog[?n=&last=]` (a distribution extension, not OCI).

The OCI distribution-spec leaves the catalog out ("registries MAY implement other API endpoints");
distribution's `api.md` documents it: 200 with `{"repositories": [...]}` in lexical order, paginated like the
tag list with `n`, `last` and an RFC 5988 `Link: <...>; rel="next"` header. A registry without it (404) or
that restricts it (401/403) makes these checks unsupported. Since nothing here is an OCI MUST, departures
from the documented behaviour are warnings; a 200 body that is not the documented JSON fails (clients cannot
read it). A relative `Link` target is a valid URI reference under RFC 5988/8288 and is only noted."""

from __future__ import annotations

import random
from typing import Any

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.documents import (
    MAX_PAGES,
    check_schema,
    is_asciibetical_order,
    json_document,
    push_tree,
)
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import image_manifest
from conformance.verdicts import must, note, should, unsupported

pytestmark = [pytest.mark.content_discovery, pytest.mark.writes]

CATALOG = "distribution api.md#catalog"


def _repositories(response: Response, what: str, capabilities: Capabilities) -> list[str]:
    """The `repositories` of a catalog answer; 404/401/403 end the check as unsupported."""
    if response.status_code in (401, 403, 404):
        capabilities.record(
            "catalog",
            False,
            f"GET /v2/_catalog answered {response.status_code}",
            evidence=response.describe(),
            source="catalog",
        )
        unsupported(f"catalog: {response.describe()}")
    must(
        response.status_code == 200,
        f"{what}: {response.describe()}, expected 200 (or 404/401/403)",
        ref=CATALOG,
    )
    capabilities.record(
        "catalog", True, "GET /v2/_catalog answered 200", evidence=response.describe(), source="catalog"
    )
    document: Any = json_document(response, what, ref=CATALOG)
    check_schema(document, "catalog", f"{what} body", ref=CATALOG)
    repositories: list[str] = document["repositories"]
    return repositories


def _push_repositories(client: RegistryClient, repo: str, rng: random.Random, cleanup: Cleanup) -> list[str]:
    image = image_manifest(rng, layer_size=16)
    names = sorted(f"{repo}/{leaf}" for leaf in ("one", "three", "two"))
    for name in names:
        push_tree(client, name, image, cleanup, "catalog")
    return names


def _note_link(response: Response) -> None:
    for value in response.headers.get_list("link"):
        if value.strip().startswith("</"):
            note(f"catalog Link target is relative ({value.strip()}); resolved against the request URL")


@pytest.mark.spec(CATALOG)
@pytest.mark.level("SHOULD")
def test_catalog_lists_pushed_repositories_in_order(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, capabilities: Capabilities
) -> None:
    ours = _push_repositories(client, repo, content, cleanup)
    response = client.catalog(n=100)
    listed = _repositories(response, "GET /v2/_catalog?n=100", capabilities)
    pages = 1
    while (target := client.follow_link(response)) is not None and pages < MAX_PAGES:
        _note_link(response)
        response = client.request("GET", target)
        listed += _repositories(response, f"catalog page {pages + 1}", capabilities)
        pages += 1
    should(len(listed) == len(set(listed)), "the catalog lists some repositories twice", ref=CATALOG)
    should(is_asciibetical_order(listed), f"the catalog is not in lexical order: {listed[:20]}", ref=CATALOG)
    if client.follow_link(response) is not None:
        note(f"the catalog has more than {MAX_PAGES} pages: presence of our repositories not checked")
        return
    missing = [name for name in ours if name not in listed]
    should(not missing, f"the catalog does not list the pushed repositories {missing}", ref=CATALOG)


@pytest.mark.spec(CATALOG, "RFC 5988")
@pytest.mark.level("SHOULD")
def test_catalog_pages_with_n_last_and_link(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, capabilities: Capabilities
) -> None:
    ours = _push_repositories(client, repo, content, cleanup)
    first = client.catalog(n=2, last=repo)
    page = _repositories(first, f"GET /v2/_catalog?n=2&last={repo}", capabilities)
    if len(page) > 2:
        capabilities.record(
            "catalog_pagination", False, "n ignored", evidence=first.describe(), source="catalog"
        )
        note(f"the catalog ignores n=2 ({len(page)} entries)")
        unsupported("catalog pagination: n is ignored")
    should(page == ours[:2], f"catalog?n=2&last={repo} returned {page}, expected {ours[:2]}", ref=CATALOG)
    if not page:
        return
    target = client.follow_link(first)
    should(target is not None, 'a full page of the catalog carries no Link rel="next"', ref=CATALOG)
    if target is None:
        second_page = _repositories(client.catalog(n=2, last=page[-1]), "catalog?last=", capabilities)
    else:
        _note_link(first)
        second = client.request("GET", target)
        second_page = _repositories(second, "the catalog page behind Link", capabilities)
    should(len(second_page) <= 2, f"the second page holds {len(second_page)} entries for n=2", ref=CATALOG)
    should(
        second_page[:1] == ours[2:],
        f"the second page starts {second_page[:1]}, expected {ours[2:]}",
        ref=CATALOG,
    )
