"""Tests of `conformance.checks.documents`: each helper passes a conforming answer and fails, warns or notes
each way of breaking its rule (canned responses, and an in-memory registry behind httpx.MockTransport)."""

from __future__ import annotations

import json
from collections.abc import Iterator
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
from conformance.ledger.documents import SPEC
from conformance.ledger.model import Keyword, Level, Rule, SpecVersion
from conformance.ledger.rules import manifests, pull
from conformance.spec import media_types
from conformance.verdicts import (
    HarnessError,
    MustViolation,
    ShouldViolation,
    VerdictRecorder,
    VerdictSettings,
    configure,
    settings,
)
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
MUST_RULE = Rule("test-must", SPEC, "test", Keyword.MUST, "The answer MUST hold.")
SHOULD_RULE = Rule("test-should", SPEC, "test", Keyword.SHOULD, "The answer SHOULD hold.")
ADVICE_RULE = Rule("test-advice", SPEC, "test", Keyword.NONE, "The answer will hold.")
WALK = {"link_rule": MUST_RULE, "page_rule": MUST_RULE}
CONTESTED_RULE = Rule("test-contested", SPEC, "test", Keyword.MUST, "The answer MUST hold.", contested=True,
                      position="open")


@pytest.fixture(autouse=True)
def _v1_1_run() -> Iterator[None]:
    """Every test runs as a v1.1 run without strict readings, whatever ran before."""
    before = settings()
    configure(VerdictSettings(spec_version=SpecVersion.V1_1))
    yield
    configure(before)


def levels(recorder: VerdictRecorder) -> list[tuple[Level, str]]:
    """The findings of `recorder` as (level, rule id)."""
    return [(finding.level, finding.rule.id) for finding in recorder.findings]


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
def test_json_document_parses_or_breaks_the_callers_rule() -> None:
    assert json_document(answer(200, content=b'{"a": [1]}'), "tags/list", rule=MUST_RULE) == {"a": [1]}
    with pytest.raises(MustViolation, match="is not JSON") as raised:
        json_document(answer(200, content=b"<html>"), "tags/list", rule=MUST_RULE)
    assert raised.value.rule is MUST_RULE
    with pytest.raises(MustViolation, match="is not JSON"):
        json_document(answer(200, content=b"\xff\xfe"), "tags/list", rule=MUST_RULE)
    with verdicts() as recorder:
        assert json_document(answer(200, content=b"<html>"), "tags/list", rule=ADVICE_RULE) is None
    assert [(finding.level, finding.rule) for finding in recorder.findings] == [(Level.ADVICE, ADVICE_RULE)]


def test_check_schema_fails_must_and_judges_the_should_layer_only_with_a_should_rule() -> None:
    assert check_schema(MANIFEST.document, OCI, "manifest", rule=MUST_RULE)
    with pytest.raises(MustViolation, match="does not conform to the"):
        check_schema({"schemaVersion": 2, "mediaType": OCI}, OCI, "manifest", rule=MUST_RULE)
    without_type = {key: value for key, value in MANIFEST.document.items() if key != "mediaType"}
    with verdicts() as recorder, pytest.warns(ShouldViolation, match="SHOULD layer"):
        assert check_schema(without_type, OCI, "manifest", rule=MUST_RULE, should_rule=SHOULD_RULE)
    assert [(finding.level, finding.rule) for finding in recorder.findings] == [(Level.WARN, SHOULD_RULE)]
    with verdicts() as recorder:
        assert check_schema(without_type, OCI, "manifest", rule=MUST_RULE)
    assert recorder.findings == []


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


def test_check_error_response_judges_the_status_and_only_a_named_code() -> None:
    assert check_error_response(
        answer(400, content=envelope("TAG_INVALID")), (400,), ("TAG_INVALID",), "PUT", status_rule=MUST_RULE
    ) == ["TAG_INVALID"]
    with pytest.raises(MustViolation, match="expected 400 or 404"):
        check_error_response(answer(500, content=envelope("UNKNOWN")), (400, 404), (), "GET",
                             status_rule=MUST_RULE)
    with verdicts() as recorder:
        found = check_error_response(answer(400, content=envelope("DIGEST_INVALID")), (400,),
                                     ("MANIFEST_INVALID",), "PUT", status_rule=MUST_RULE)
    assert found == ["DIGEST_INVALID"] and recorder.findings == [], "a code no sentence names is not judged"
    with verdicts() as recorder, pytest.warns(ShouldViolation, match="expected NAME_INVALID"):
        found = check_error_response(answer(404, content=envelope("NAME_UNKNOWN")), (404,), ("NAME_INVALID",),
                                     "GET", status_rule=MUST_RULE, code_rule=SHOULD_RULE)
    assert found == ["NAME_UNKNOWN"] and levels(recorder) == [(Level.WARN, "test-should")]
    with verdicts():
        assert check_error_response(answer(404, content=b"no"), (404,), ("NAME_INVALID",), "GET",
                                    status_rule=MUST_RULE, code_rule=MUST_RULE) is None


# manifests -----------------------------------------------------------------------------------------
def test_manifest_pushed() -> None:
    good = {"Location": f"/v2/ns/manifests/{MANIFEST.digest}", "Docker-Content-Digest": MANIFEST.digest}
    with verdicts() as recorder:
        check_manifest_pushed(answer(201, good, method="PUT"), MANIFEST)
    assert recorder.findings == []
    with pytest.raises(MustViolation, match="expected 201"):
        check_manifest_pushed(answer(202, good, method="PUT"), MANIFEST)
    with pytest.raises(MustViolation, match="carries no Location"):
        check_manifest_pushed(answer(201, {"Docker-Content-Digest": MANIFEST.digest}), MANIFEST)
    with pytest.raises(MustViolation, match="pushed digest") as raised:
        check_manifest_pushed(answer(201, {**good, "Docker-Content-Digest": sha256(b"x")}), MANIFEST)
    assert raised.value.rule is manifests.MANIFEST_PUT_DIGEST_HEADER
    with verdicts() as recorder:
        check_manifest_pushed(answer(201, {"Location": "/x"}), MANIFEST)
    assert levels(recorder) == [(Level.ADVICE, manifests.MANIFEST_PUT_DIGEST_HEADER_PRESENT.id)]


def test_manifest_served_by_get_and_head() -> None:
    config = run_config()
    with verdicts() as recorder:
        check_manifest_served(served(MANIFEST), MANIFEST, config)
        check_manifest_served(served(MANIFEST, method="HEAD"), MANIFEST, config)
    assert recorder.findings == []
    assert {pull.MANIFEST_GET_200.id, pull.HEAD_200.id, pull.HEAD_CONTENT_LENGTH.id,
            manifests.MANIFEST_EXACT_BYTES.id} <= recorder.evaluated


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"status": 404}, "expected 200"),
        ({"content": MANIFEST.data + b" "}, "is not the pushed manifest"),
    ],
)
def test_manifest_served_failures(change: dict[str, Any], problem: str) -> None:
    with pytest.raises(MustViolation, match=problem):
        check_manifest_served(served(MANIFEST, **change), MANIFEST, run_config())


@pytest.mark.parametrize(
    ("change", "rule", "problem"),
    [
        ({"method": "HEAD", "drop": ("Content-Length",)}, pull.HEAD_CONTENT_LENGTH, "Content-Length None"),
        ({"method": "HEAD", "Content_Length": "1"}, pull.HEAD_CONTENT_LENGTH, "Content-Length '1'"),
        ({"drop": ("Docker-Content-Digest",)}, pull.MANIFEST_DIGEST_HEADER, "no Docker-Content-Digest"),
        ({"method": "HEAD", "drop": ("Docker-Content-Digest",)}, pull.HEAD_DIGEST_HEADER,
         "no Docker-Content-Digest"),
    ],
)
def test_manifest_served_should_in_1_1_must_on_main(change: dict[str, Any], rule: Rule, problem: str) -> None:
    with verdicts() as recorder, pytest.warns(ShouldViolation, match=problem):
        check_manifest_served(served(MANIFEST, **change), MANIFEST, run_config())
    assert levels(recorder) == [(Level.WARN, rule.id)]
    configure(VerdictSettings(spec_version=SpecVersion.MAIN))
    with pytest.raises(MustViolation, match=problem) as raised:
        check_manifest_served(served(MANIFEST, **change), MANIFEST, run_config())
    assert raised.value.rule is rule


def test_a_manifest_without_content_type_is_advice() -> None:
    with verdicts() as recorder:
        check_manifest_served(served(MANIFEST, drop=("Content-Type",)), MANIFEST, run_config())
    assert levels(recorder) == [(Level.ADVICE, pull.MANIFEST_CONTENT_TYPE.id)]


def test_content_type_should_rules() -> None:
    with verdicts() as recorder, pytest.warns(ShouldViolation, match="carries parameters"):
        check_content_type(answer(200, {"Content-Type": f"{OCI}; charset=utf-8"}), OCI)
    assert levels(recorder) == [(Level.WARN, pull.MANIFEST_CONTENT_TYPE_NO_PARAMETERS.id)]
    with verdicts() as recorder, pytest.warns(ShouldViolation, match="the manifest was pushed as"):
        check_content_type(answer(200, {"Content-Type": "application/json"}), OCI)
    assert levels(recorder) == [(Level.WARN, pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH.id)]


def test_digest_header_switch_and_algorithms() -> None:
    with pytest.raises(MustViolation, match="carries no Docker-Content-Digest"):
        check_digest_header(answer(200), MANIFEST.digest, run_config(), rule=MUST_RULE)
    with verdicts() as recorder:
        check_digest_header(answer(200), MANIFEST.digest, run_config(digest_header=False), rule=MUST_RULE)
    assert "digest_header switched off" in recorder.notes[0] and recorder.findings == []
    with pytest.raises(MustViolation, match="expected sha256"):
        check_digest_header(answer(200, {"Docker-Content-Digest": sha256(b"x")}), MANIFEST.digest,
                            run_config(), rule=MUST_RULE)
    other = "sha512:" + "0" * 128
    with verdicts() as recorder:
        check_digest_header(answer(200, {"Docker-Content-Digest": other}), MANIFEST.digest, run_config(),
                            rule=MUST_RULE)
    assert "MAY differ" in recorder.notes[0] and recorder.findings == []


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
        pages = walk_pages(client, client.tags_list("ns/r", n=2), "tags/list", **WALK)
    assert [json.loads(page.content)["tags"] for page in pages] == [["a", "b"], ["c", "d"], ["e"]]


def test_walk_pages_fails_a_loop_and_a_bad_page() -> None:
    registry = MemoryRegistry(tags=["a", "b", "c"], loop_links=True)
    with registry.client() as client, pytest.raises(MustViolation, match="loops back"):
        walk_pages(client, client.tags_list("ns/r"), "tags/list", **WALK)
    with MemoryRegistry().client() as client:
        first = answer(200, {"Link": '</v2/ns/r/nowhere>; rel="next"'}, url=f"{REGISTRY}/v2/ns/r/tags/list")
        with pytest.raises(MustViolation, match=r"following Link: GET .* -> 404, expected 200"):
            walk_pages(client, first, "tags/list", **WALK)


def test_walk_pages_fails_an_unparsable_link() -> None:
    with MemoryRegistry().client() as client, pytest.raises(MustViolation, match="unparsable Link header"):
        walk_pages(client, answer(200, {"Link": 'rel="next"'}), "tags/list", **WALK)


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
    with verdicts() as recorder:
        check_gone(answer(404), run_config(), "GET", rule=CONTESTED_RULE)
    assert recorder.findings == []
    with verdicts() as recorder:
        check_gone(answer(200), run_config(), "GET", rule=CONTESTED_RULE)
    assert levels(recorder) == [(Level.ADVICE, "test-contested")]
    configure(VerdictSettings(spec_version=SpecVersion.V1_1, strict_readings=True))
    with pytest.raises(MustViolation, match="after a successful delete, expected 404"):
        check_gone(answer(200), run_config(), "GET", rule=CONTESTED_RULE)
    with verdicts() as recorder:
        check_gone(answer(200), run_config(atomic_delete=False), "GET", rule=CONTESTED_RULE)
    assert "deletes declared non-atomic" in recorder.notes[0] and recorder.findings == []


def test_subject_header_follows_the_referrers_api() -> None:
    subject = MANIFEST.digest
    rules = {"with_api": MUST_RULE, "without_api": CONTESTED_RULE}
    with verdicts() as recorder:
        check_subject_header(answer(201, {"OCI-Subject": subject}), subject, True, **rules)
        check_subject_header(answer(201), subject, False, **rules)
    assert recorder.findings == []
    with pytest.raises(MustViolation, match="expected sha256"):
        check_subject_header(answer(201), subject, True, **rules)
    with verdicts() as recorder:
        check_subject_header(answer(201, {"OCI-Subject": subject}), subject, False, **rules)
    assert levels(recorder) == [(Level.ADVICE, "test-contested")]
    with verdicts() as recorder:
        check_subject_header(answer(201, {"OCI-Subject": subject}), subject, None, **rules)
    assert recorder.notes == [f"OCI-Subject on the push: ['{subject}'] (referrers checks switched off)"]
