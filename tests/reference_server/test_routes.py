"""Path parsing (routes.py): names with slashes and route keywords, per-segment percent-decoding."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference_server.grammar import NAME_RE
from reference_server.routes import Match, Route, match

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v2/", Match(Route.BASE)),
        ("/v2", None),
        ("/v2/_catalog", Match(Route.CATALOG)),
        ("/v2/a/tags/list", Match(Route.TAGS, "a")),
        ("/v2/a/b/c/tags/list", Match(Route.TAGS, "a/b/c")),
        ("/v2/a/manifests/latest", Match(Route.MANIFEST, "a", "latest")),
        (f"/v2/a/blobs/{DIGEST}", Match(Route.BLOB, "a", DIGEST)),
        ("/v2/a/blobs/uploads/", Match(Route.UPLOADS, "a")),
        ("/v2/a/blobs/uploads", Match(Route.UPLOADS, "a")),
        ("/v2/a/blobs/uploads/abc", Match(Route.UPLOAD, "a", "abc")),
        (f"/v2/a/referrers/{DIGEST}", Match(Route.REFERRERS, "a", DIGEST)),
        # names may contain the route keywords themselves: parsing goes from the right
        ("/v2/blobs/manifests/tags/list", Match(Route.TAGS, "blobs/manifests")),
        ("/v2/tags/list/manifests/v1", Match(Route.MANIFEST, "tags/list", "v1")),
        ("/v2/x/blobs/uploads/blobs/uploads/", Match(Route.UPLOADS, "x/blobs/uploads")),
        # one decoding per segment, after splitting on literal slashes
        ("/v2/org%2Fimage/tags/list", Match(Route.TAGS, "org/image")),
        ("/v2/a/manifests/..%2F..%2Fx", Match(Route.MANIFEST, "a", "../../x")),
        ("/v2/a/manifests/%252e", Match(Route.MANIFEST, "a", "%2e")),
        ("/v2/a/unknown/x", None),
        ("/other", None),
        ("/v2/a", None),
    ],
)
def test_match(path: str, expected: Match | None) -> None:
    assert match(path) == expected


component = st.from_regex(r"[a-z0-9]{1,4}(?:(?:\.|_|__|-{1,3})[a-z0-9]{1,4}){0,2}", fullmatch=True)
names = st.lists(component, min_size=1, max_size=4).map("/".join)


@settings(max_examples=60, deadline=None)
@given(name=names, tag=st.from_regex(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,20}", fullmatch=True))
def test_every_valid_name_round_trips(name: str, tag: str) -> None:
    assert NAME_RE.fullmatch(name)
    assert match(f"/v2/{name}/manifests/{tag}") == Match(Route.MANIFEST, name, tag)
    assert match(f"/v2/{name}/tags/list") == Match(Route.TAGS, name)
    assert match(f"/v2/{name}/blobs/uploads/") == Match(Route.UPLOADS, name)
