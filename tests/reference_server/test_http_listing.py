"""Tag list and catalog over real HTTP: order, n/last pagination, Link headers, errors."""

from __future__ import annotations

import re

from tests.reference_server.registry_client import OCI_MANIFEST, Registry, error_codes, unique_repo

TAGS = ["B", "a", "a.1", "a_2", "b", "z", "0", "_x", "A-1"]
LINK_RE = re.compile(r'<([^>]+)>; rel="next"')


def tagged_repo(registry: Registry) -> str:
    repo = unique_repo("tags")
    pushed = registry.push_image(repo)
    registry.put_manifest(repo, pushed.digest, pushed.body, OCI_MANIFEST, params={"tag": TAGS})
    return repo


def test_tags_in_ascii_order(registry: Registry) -> None:
    repo = tagged_repo(registry)
    response = registry.client.get(f"/v2/{repo}/tags/list")
    assert response.status_code == 200
    assert response.json() == {"name": repo, "tags": sorted(TAGS)}
    assert "link" not in response.headers


def walk(registry: Registry, first: str) -> tuple[list[str], int]:
    collected: list[str] = []
    url: str | None = first
    pages = 0
    while url is not None:
        response = registry.client.get(url)
        assert response.status_code == 200
        collected.extend(response.json()["tags"])
        pages += 1
        found = LINK_RE.fullmatch(response.headers.get("link", ""))
        url = found.group(1) if found else None
    return collected, pages


def test_pagination_with_link(registry: Registry) -> None:
    repo = tagged_repo(registry)
    tags, pages = walk(registry, f"/v2/{repo}/tags/list?n=2")
    assert tags == sorted(TAGS)
    assert pages == 5
    first = registry.client.get(f"/v2/{repo}/tags/list", params={"n": 2})
    assert first.headers["link"] == f'</v2/{repo}/tags/list?n=2&last={sorted(TAGS)[1]}>; rel="next"'


def test_last_and_n_edge_cases(registry: Registry) -> None:
    repo = tagged_repo(registry)
    ordered = sorted(TAGS)
    after = registry.client.get(f"/v2/{repo}/tags/list", params={"last": "a"}).json()["tags"]
    assert after == [t for t in ordered if t > "a"]
    zero = registry.client.get(f"/v2/{repo}/tags/list", params={"n": 0})
    assert zero.json()["tags"] == []
    assert "link" not in zero.headers
    everything = registry.client.get(f"/v2/{repo}/tags/list", params={"n": 100})
    assert everything.json()["tags"] == ordered
    assert "link" not in everything.headers
    exact = registry.client.get(f"/v2/{repo}/tags/list", params={"n": len(TAGS)})
    assert "link" not in exact.headers
    past_end = registry.client.get(f"/v2/{repo}/tags/list", params={"last": ordered[-1], "n": 3})
    assert past_end.json()["tags"] == []


def test_invalid_n(registry: Registry) -> None:
    repo = tagged_repo(registry)
    for value in ("-1", "abc", "1.5", ""):
        response = registry.client.get(f"/v2/{repo}/tags/list", params={"n": value})
        assert response.status_code == 400, value
        assert error_codes(response) == ["UNSUPPORTED"]
    catalog = registry.client.get("/v2/_catalog", params={"n": "-5"})
    assert catalog.status_code == 400


def test_unknown_and_invalid_repositories(registry: Registry) -> None:
    unknown = registry.client.get(f"/v2/{unique_repo('none')}/tags/list")
    assert unknown.status_code == 404
    assert error_codes(unknown) == ["NAME_UNKNOWN"]
    invalid = registry.client.get("/v2/Bad_Name/tags/list")
    assert invalid.status_code == 400
    assert error_codes(invalid) == ["NAME_INVALID"]


def test_repository_without_tags_lists_empty(registry: Registry) -> None:
    repo = unique_repo("untagged")
    pushed = registry.push_image(repo, "only")
    assert registry.client.delete(f"/v2/{repo}/manifests/only").status_code == 202
    response = registry.client.get(f"/v2/{repo}/tags/list")
    assert response.status_code == 200
    assert response.json() == {"name": repo, "tags": []}
    blobs_only = unique_repo("blobs")
    registry.push_blob(blobs_only, b"just a blob")
    assert registry.client.get(f"/v2/{blobs_only}/tags/list").json() == {"name": blobs_only, "tags": []}
    assert registry.client.get(f"/v2/{repo}/manifests/{pushed.digest}").status_code == 200


def test_catalog_lists_and_paginates(registry: Registry) -> None:
    names = sorted(unique_repo("cat") for _ in range(3))
    for name in names:
        registry.push_blob(name, b"catalog entry")
    everything = registry.client.get("/v2/_catalog").json()["repositories"]
    assert everything == sorted(everything)
    assert set(names) <= set(everything)
    seen: list[str] = []
    url: str | None = "/v2/_catalog?n=2"
    while url is not None:
        response = registry.client.get(url)
        seen.extend(response.json()["repositories"])
        found = LINK_RE.fullmatch(response.headers.get("link", ""))
        url = found.group(1) if found else None
    assert seen == everything


def test_wrong_method_and_unknown_route(registry: Registry) -> None:
    wrong = registry.client.post("/v2/some/repo/tags/list")
    assert wrong.status_code == 405
    assert error_codes(wrong) == ["UNSUPPORTED"]
    assert wrong.headers["allow"] == "GET"
    unknown = registry.client.get("/v2/some/repo/unknown/x")
    assert unknown.status_code == 404
    assert unknown.content == b"404 page not found\n"
    assert registry.client.get("/nothing").status_code == 404
