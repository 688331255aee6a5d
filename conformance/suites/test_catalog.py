"""Checks of the repository catalog, `GET /v2/_catalog[?n=&last=]` (a distribution extension, not OCI).

The OCI distribution-spec leaves the catalog out ("registries MAY implement other API endpoints");
distribution's `api.md` documents it: 200 with `{"repositories": [...]}` in lexical order, paginated like the
tag list with `n`, `last` and an RFC 5988 `Link: <...>; rel="next"` header. A registry without it (404) or
that restricts it (401/403) makes these checks unsupported. api.md uses no RFC 2119 keyword, so every
departure from it is advice (`conformance.ledger.rules.catalog`), a 200 body that is not the documented JSON
included; which repositories the catalog lists is the registry's choice ("a missing entry does *not* mean
that the registry does not have the repository"), so a pushed repository left out is a note. A relative
`Link` target is a valid URI reference under RFC 5988/8288 and is only noted. A catalog that lists new
repositories late gets `--registry-settle-time` (`conformance.checks.settle`): the first page is re-read
until it shows the pushed repositories, within that time."""

from __future__ import annotations

import random
from itertools import pairwise
from typing import Any

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.documents import (
    MAX_PAGES,
    check_schema,
    is_spec_order,
    json_document,
    push_tree,
)
from conformance.checks.settle import catalog_showing, settle
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import image_manifest
from conformance.fixtures import Workspace
from conformance.ledger.rules import catalog as cr
from conformance.ledger.rules import general
from conformance.verdicts import judge, note, unsupported

pytestmark = [pytest.mark.content_discovery, pytest.mark.writes,
              pytest.mark.rules(general.CATEGORY_CLAIM, cr.CATALOG_FORMAT)]


def _repositories(response: Response, what: str, capabilities: Capabilities) -> list[str] | None:
    """The `repositories` of a catalog answer; 404/401/403 end the check as unsupported.

    None when the answer is not the documented one (advice: the check has nothing more to read).
    """
    if response.status_code in (401, 403, 404):
        capabilities.record(
            "catalog",
            False,
            f"GET /v2/_catalog answered {response.status_code}",
            evidence=response.describe(),
            source="catalog",
        )
        unsupported(f"catalog: {response.describe()}")
    if not judge(cr.CATALOG_FORMAT, response.status_code == 200,
                 f"{what}: {response.describe()}, expected 200 (or 404/401/403)"):
        return None
    capabilities.record(
        "catalog", True, "GET /v2/_catalog answered 200", evidence=response.describe(), source="catalog"
    )
    document: Any = json_document(response, what, rule=cr.CATALOG_FORMAT)
    if document is None or not check_schema(document, "catalog", f"{what} body", rule=cr.CATALOG_FORMAT):
        return None
    repositories: list[str] = document["repositories"]
    return repositories


def is_catalog_order(names: list[str]) -> bool:
    """Lexical in one of the senses catalog-order accepts: byte, case-insensitive, or by path components."""
    by_components = all(a.split("/") <= b.split("/") for a, b in pairwise(names))
    return by_components or is_spec_order(names)


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


@pytest.mark.rules(cr.CATALOG_ORDER, cr.CATALOG_LINK, cr.CATALOG_LAST_AFTER)
def test_catalog_lists_pushed_repositories_in_order(workspace: Workspace) -> None:
    client, capabilities = workspace.client, workspace.capabilities
    ours = _push_repositories(client, workspace.repo, workspace.content, workspace.cleanup)
    response = settle("catalog", "GET /v2/_catalog?n=100", lambda: client.catalog(n=100),
                      catalog_showing(ours))
    listed = _repositories(response, "GET /v2/_catalog?n=100", capabilities)
    if listed is None:
        return
    pages, urls = 1, {str(response.url)}
    while (target := client.follow_link(response)) is not None and pages < MAX_PAGES:
        _note_link(response)
        if not judge(cr.CATALOG_LINK, target not in urls, f'catalog: Link rel="next" loops back to {target}'):
            return
        urls.add(target)
        response = client.request("GET", target)
        page = _repositories(response, f"catalog page {pages + 1}", capabilities)
        if page is None:
            return
        listed += page
        pages += 1
    twice = sorted({name for name in listed if listed.count(name) > 1})
    judge(cr.CATALOG_LAST_AFTER, not twice, f"the catalog lists {twice} on more than one page")
    judge(cr.CATALOG_ORDER, is_catalog_order(listed), f"the catalog is not in lexical order: {listed[:20]}")
    if client.follow_link(response) is not None:
        note(f"the catalog has more than {MAX_PAGES} pages: presence of our repositories not checked")
        return
    missing = [name for name in ours if name not in listed]
    if missing:
        note(f"the catalog does not list the pushed repositories {missing} (its contents are the registry's "
             "choice)")


@pytest.mark.rules(cr.CATALOG_N_LIMIT, cr.CATALOG_LAST_AFTER, cr.CATALOG_LINK)
def test_catalog_pages_with_n_last_and_link(workspace: Workspace) -> None:
    client, repo, capabilities = workspace.client, workspace.repo, workspace.capabilities
    ours = _push_repositories(client, repo, workspace.content, workspace.cleanup)
    first = settle("catalog", f"GET /v2/_catalog?n=2&last={repo}", lambda: client.catalog(n=2, last=repo),
                   catalog_showing(ours[:2], page=True))
    page = _repositories(first, f"GET /v2/_catalog?n=2&last={repo}", capabilities)
    if page is None:
        return
    if len(page) > 2:
        capabilities.record(
            "catalog_pagination", False, "n ignored", evidence=first.describe(), source="catalog"
        )
        judge(cr.CATALOG_N_LIMIT, False, f"the catalog ignores n=2 ({len(page)} entries)")
        unsupported("catalog pagination: n is ignored")
    judge(cr.CATALOG_LAST_AFTER, page == ours[:2],
          f"catalog?n=2&last={repo} returned {page}, expected {ours[:2]}")
    if not page:
        return
    target = client.follow_link(first)
    judge(cr.CATALOG_LINK, target is not None, 'a full page of the catalog carries no Link rel="next"')
    if target is None:
        second_page = _repositories(client.catalog(n=2, last=page[-1]), "catalog?last=", capabilities)
    else:
        _note_link(first)
        second = client.request("GET", target)
        second_page = _repositories(second, "the catalog page behind Link", capabilities)
    if second_page is None:
        return
    judge(cr.CATALOG_N_LIMIT, len(second_page) <= 2,
          f"the second page holds {len(second_page)} entries for n=2")
    judge(cr.CATALOG_LAST_AFTER, second_page[:1] == ours[2:],
          f"the second page starts {second_page[:1]}, expected {ours[2:]}")
