"""Tests of `conformance.checks.documents`: each helper passes a conforming answer and fails, warns or notes
each way of breaking its rule (canned responses, and an in-memory registry behind httpx.MockTransport)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from conformance.checks.documents import (
    check_content_type,
    check_digest_header,
    check_error_response,
    check_gone,
    check_manifest_pushed,
    check_manifest_served,
    check_own_document,
    check_schema,
    check_subject_header,
    error_codes,
    header_values,
    is_asciibetical_order,
    is_lexical_order,
    is_spec_order,
    json_document,
    push_children,
    push_tree,
    walk_pages,
)
from conformance.cleanup import Cleanup
from conformance.client import Response
from conformance.content import Manifest, image_index, image_manifest
from conformance.spec import media_types
from conformance.verdicts import HarnessError, MustViolation, ShouldViolation
from tests.conformance.checks.checks_doubles import (
    REGISTRY,
    MemoryRegistry,
    answer,
    envelope,
    run_config,
    sha256,
    verdicts,
)

MANIFEST = image_manifest(7, layer_size=8)
OCI = media_types.OCI_MANIFEST


def served(
    manifest: Manifest,
    *,
    method: str = "GET",
    status: int = 200,
    content: bytes | None = None,
    drop: tuple[str, ...] = (),
    **headers: str,
) -> Response:
    """How a conforming registry serves `manifest`, changed by the arguments (`drop` removes headers)."""
    base = {
        "Content-Type": manifest.media_type,
        "Content-Length": str(manifest.size),
        "Docker-Content-Digest": manifest.digest,
    }
    base.update({name.replace("_", "-"): value for name, value in headers.items()})
    body = (b"" if method == "HEAD" else manifest.data) if content is None else content
    kept = {name: value for name, value in base.items() if name not in drop}
    return answer(status, kept, body, method=method)


# JSON documents ------------------------------------------------------------------------------------
def test_json_document_parses_or_fails() -> None:
    assert json_document(answer(200, content=b'{"a": [1]}'), "tags/list") == {"a": [1]}
    with pytest.raises(MustViolation, match="is not JSON"):
        json_document(answer(200, content=b"<html>"), "tags/list")
    with pytest.raises(MustViolation, match="is not JSON"):
        json_document(answer(200, content=b"\xff\xfe"), "tags/list")


def test_check_schema_fails_must_and_warns_should() -> None:
    check_schema(MANIFEST.document, OCI, "manifest")
    with pytest.raises(MustViolation, match="does not conform to the"):
        check_schema({"schemaVersion": 2, "mediaType": OCI}, OCI, "manifest")
    without_type = {key: value for key, value in MANIFEST.document.items() if key != "mediaType"}
    with verdicts() as recorder, pytest.warns(ShouldViolation, match="mediaType property SHOULD"):
        check_schema(without_type, OCI, "manifest")
    assert len(recorder.should_violations) == 1
    check_schema(without_type, OCI, "manifest", should_layer=False)


def test_own_invalid_document_is_a_harness_error() -> None:
    broken = replace(MANIFEST, document={**MANIFEST.document, "layers": "none"}, raw=None)
    with pytest.raises(HarnessError, match=r"built application/vnd\.oci\.image\.manifest\.v1\+json is"):
        check_own_document(broken)
    check_own_document(MANIFEST)


# errors --------------------------------------------------------------------------------------------
def test_error_codes_of_documents() -> None:
    assert error_codes(answer(404, content=envelope("MANIFEST_UNKNOWN"))) == ["MANIFEST_UNKNOWN"]
    with verdicts() as recorder:
        assert error_codes(answer(404, content=b"404 page not found")) is None
    assert recorder.notes and "non-JSON error body" in recorder.notes[0]
    with pytest.raises(MustViolation, match="not an OCI error envelope"):
        error_codes(answer(400, content=b'{"errors": [{"detail": 1}]}'))


def test_check_error_response_levels() -> None:
    assert check_error_response(
        answer(400, content=envelope("TAG_INVALID")), (400,), ("TAG_INVALID",), "PUT"
    ) == ["TAG_INVALID"]
    with pytest.raises(MustViolation, match="expected 400 or 404"):
        check_error_response(answer(500, content=envelope("UNKNOWN")), (400, 404), (), "GET")
    with pytest.raises(MustViolation, match="expected MANIFEST_INVALID"):
        check_error_response(
            answer(400, content=envelope("DIGEST_INVALID")), (400,), ("MANIFEST_INVALID",), "PUT"
        )
    with verdicts(), pytest.warns(ShouldViolation, match="expected NAME_INVALID"):
        found = check_error_response(
            answer(404, content=envelope("NAME_UNKNOWN")),
            (404,),
            ("NAME_INVALID",),
            "GET",
            code_level="should",
        )
    assert found == ["NAME_UNKNOWN"]
    with verdicts():
        assert check_error_response(answer(404, content=b"no"), (404,), ("NAME_INVALID",), "GET") is None


# manifests -----------------------------------------------------------------------------------------
def test_manifest_pushed() -> None:
    good = {"Location": f"/v2/ns/manifests/{MANIFEST.digest}", "Docker-Content-Digest": MANIFEST.digest}
    check_manifest_pushed(answer(201, good, method="PUT"), MANIFEST)
    with pytest.raises(MustViolation, match="expected 201"):
        check_manifest_pushed(answer(202, good, method="PUT"), MANIFEST)
    with pytest.raises(MustViolation, match="carries no Location"):
        check_manifest_pushed(answer(201, {"Docker-Content-Digest": MANIFEST.digest}), MANIFEST)
    with pytest.raises(MustViolation, match="pushed digest"):
        check_manifest_pushed(answer(201, {**good, "Docker-Content-Digest": sha256(b"x")}), MANIFEST)
    with verdicts(), pytest.warns(ShouldViolation, match="carries no Docker-Content-Digest"):
        check_manifest_pushed(answer(201, {"Location": "/x"}), MANIFEST)


def test_manifest_served_by_get_and_head() -> None:
    config = run_config()
    check_manifest_served(served(MANIFEST), MANIFEST, config)
    check_manifest_served(served(MANIFEST, method="HEAD"), MANIFEST, config)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"status": 404}, "expected 200"),
        ({"content": MANIFEST.data + b" "}, "is not the pushed manifest"),
        ({"drop": ("Content-Length",)}, "Content-Length None"),
        ({"Content_Length": "1"}, "Content-Length '1'"),
        ({"drop": ("Docker-Content-Digest",)}, "no Docker-Content-Digest"),
        ({"drop": ("Content-Type",)}, "carries no Content-Type"),
        ({"method": "HEAD", "content": MANIFEST.data}, "returned a body to a HEAD request"),
    ],
)
def test_manifest_served_failures(change: dict[str, Any], problem: str) -> None:
    with pytest.raises(MustViolation, match=problem):
        check_manifest_served(served(MANIFEST, **change), MANIFEST, run_config())


def test_content_type_should_rules() -> None:
    with verdicts() as recorder, pytest.warns(ShouldViolation):
        check_content_type(answer(200, {"Content-Type": f"{OCI}; charset=utf-8"}), OCI, ref="r")
    assert recorder.should_violations == [
        f"GET {REGISTRY}/v2/repo/blobs/uploads/abc -> 200: Content-Type '{OCI}; charset=utf-8' carries "
        "parameters (SHOULD NOT) [r]"
    ]
    with verdicts() as recorder, pytest.warns(ShouldViolation):
        check_content_type(answer(200, {"Content-Type": "application/json"}), OCI, ref="r")
    assert (
        len(recorder.should_violations) == 1 and "the manifest was pushed as" in recorder.should_violations[0]
    )


def test_digest_header_switch() -> None:
    with pytest.raises(MustViolation, match="carries no Docker-Content-Digest"):
        check_digest_header(answer(200), MANIFEST.digest, run_config(), ref="r")
    with verdicts() as recorder:
        check_digest_header(answer(200), MANIFEST.digest, run_config(digest_header=False), ref="r")
    assert "digest_header switched off" in recorder.notes[0]
    with pytest.raises(MustViolation, match="expected sha256"):
        check_digest_header(
            answer(200, {"Docker-Content-Digest": sha256(b"x")}), MANIFEST.digest, run_config(), ref="r"
        )


# pushing trees -------------------------------------------------------------------------------------
def test_push_tree_pushes_blobs_then_children_then_the_top_and_registers_cleanup() -> None:
    first, second = image_manifest(1, layer_size=8), image_manifest(2, layer_size=8)
    index = image_index([first, second])
    registry, cleanup = MemoryRegistry(), Cleanup("ns", None)
    with registry.client() as client:
        push_tree(client, "ns/r", index, cleanup, tag="v1")
    puts = [request.url.path for request in registry.requests if "/manifests/" in request.url.path]
    assert puts == [
        f"/v2/ns/r/manifests/{first.digest}",
        f"/v2/ns/r/manifests/{second.digest}",
        "/v2/ns/r/manifests/v1",
    ]
    first_manifest_put = next(i for i, r in enumerate(registry.requests) if "/manifests/" in r.url.path)
    assert all("/blobs/" in r.url.path for r in registry.requests[:first_manifest_put])
    assert set(registry.blobs) == {blob.digest for blob in index.all_blobs()}
    assert cleanup.tags == [("ns/r", "v1")]
    assert cleanup.manifests == [("ns/r", first.digest), ("ns/r", second.digest), ("ns/r", index.digest)]
    assert len(cleanup.blobs) == len(index.all_blobs())


def test_push_children_leaves_out_the_top() -> None:
    child = image_manifest(3, layer_size=8)
    registry, cleanup = MemoryRegistry(), Cleanup("ns", None)
    with registry.client() as client:
        push_children(client, "ns/r", image_index([child]), cleanup)
    assert [r.url.path for r in registry.requests if "/manifests/" in r.url.path] == [
        f"/v2/ns/r/manifests/{child.digest}"
    ]
    assert cleanup.manifests == [("ns/r", child.digest)]


# headers and pagination ----------------------------------------------------------------------------
def test_header_values_splits_lines_and_commas() -> None:
    response = answer(200, [("OCI-Filters-Applied", "artifactType, x"), ("oci-filters-applied", " y ,")])
    assert header_values(response, "oci-filters-applied") == ["artifactType", "x", "y"]
    assert header_values(response, "absent") == []


def test_walk_pages_follows_link_to_the_end() -> None:
    registry = MemoryRegistry(tags=["e", "a", "d", "c", "b"])
    with registry.client() as client:
        pages = walk_pages(client, client.tags_list("ns/r", n=2), "tags/list", ref="r")
    assert [json.loads(page.content)["tags"] for page in pages] == [["a", "b"], ["c", "d"], ["e"]]


def test_walk_pages_fails_a_loop_and_a_bad_page() -> None:
    registry = MemoryRegistry(tags=["a", "b", "c"], loop_links=True)
    with registry.client() as client, pytest.raises(MustViolation, match="loops back"):
        walk_pages(client, client.tags_list("ns/r"), "tags/list", ref="r")
    with MemoryRegistry().client() as client:
        first = answer(200, {"Link": '</v2/ns/r/nowhere>; rel="next"'}, url=f"{REGISTRY}/v2/ns/r/tags/list")
        with pytest.raises(MustViolation, match=r"following Link: GET .* -> 404, expected 200"):
            walk_pages(client, first, "tags/list", ref="r")


def test_walk_pages_fails_an_unparsable_link() -> None:
    with MemoryRegistry().client() as client, pytest.raises(MustViolation, match="unparsable Link header"):
        walk_pages(client, answer(200, {"Link": 'rel="next"'}), "tags/list", ref="r")


# ordering ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("items", "ascii_order", "lexical"),
    [
        ([], True, True),
        (["A", "B", "a", "b"], True, False),
        (["a", "B", "c"], False, True),
        (["b", "a"], False, False),
        (["A", "a", "b"], True, True),
        (["A", "a", "B"], False, True),
    ],
)
def test_orders(items: list[str], ascii_order: bool, lexical: bool) -> None:
    assert is_asciibetical_order(items) is ascii_order
    assert is_lexical_order(items) is lexical
    assert is_spec_order(items) is (ascii_order or lexical)


# deletes and referrers -----------------------------------------------------------------------------
def test_check_gone() -> None:
    check_gone(answer(404), run_config(), "GET", ref="r")
    with pytest.raises(MustViolation, match="after a successful delete, expected 404"):
        check_gone(answer(200), run_config(), "GET", ref="r")
    with verdicts() as recorder:
        check_gone(answer(200), run_config(atomic_delete=False), "GET", ref="r")
    assert "deletes declared non-atomic" in recorder.notes[0]


def test_subject_header_follows_the_referrers_api() -> None:
    subject = MANIFEST.digest
    check_subject_header(answer(201, {"OCI-Subject": subject}), subject, True)
    check_subject_header(answer(201), subject, False)
    with pytest.raises(MustViolation, match="expected sha256"):
        check_subject_header(answer(201), subject, True)
    with pytest.raises(MustViolation, match="without the referrers API"):
        check_subject_header(answer(201, {"OCI-Subject": subject}), subject, False)
    with verdicts() as recorder:
        check_subject_header(answer(201, {"OCI-Subject": subject}), subject, None)
    assert recorder.notes == [f"OCI-Subject on the push: ['{subject}'] (referrers checks switched off)"]
