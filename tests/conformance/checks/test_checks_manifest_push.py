"""Tests of `conformance.checks.manifest_push`: pushes checked end to end against an in-memory registry, and
the verdicts on refusals (invalid manifests, missing references) on canned answers, per spec version."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from conformance.checks.manifest_push import (
    check_location_serves,
    check_missing_reference_refusal,
    check_read_back,
    check_refused_as_invalid,
    push_and_check,
    push_large,
    unsupported_unless_warned,
)
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import image_manifest
from conformance.ledger.model import Level, SpecVersion
from conformance.verdicts import MustViolation, ShouldViolation, VerdictSettings, configure, settings
from tests.conformance.checks.checks_doubles import (
    REGISTRY,
    MemoryRegistry,
    answer,
    envelope,
    run_config,
    verdicts,
)

IMAGE = image_manifest(9, layer_size=8)
ACCEPTED = answer(201, method="PUT")
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def main_branch() -> Iterator[None]:
    """Judge by the spec's main-branch text (where server-error-for-client-error is a SHOULD)."""
    previous = settings()
    configure(VerdictSettings(spec_version=SpecVersion.MAIN))
    yield
    configure(previous)


def serving(registry: MemoryRegistry, *, mangle: Callable[[bytes], bytes] = lambda data: data) -> Handler:
    """The registry's handler, plus manifest GETs of what was stored (bytes passed through `mangle`)."""

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and "/manifests/" in path:
            stored = registry.manifests.get(path.rsplit("/", 1)[1])
            if stored is None:
                return httpx.Response(404, content=envelope("MANIFEST_UNKNOWN"))
            return httpx.Response(200, content=mangle(stored), headers={
                "Content-Type": IMAGE.media_type, "Docker-Content-Digest": IMAGE.digest})
        return registry.handle(request)

    return handle


def client_of(handler: Handler) -> RegistryClient:
    return RegistryClient(REGISTRY, transport=httpx.MockTransport(handler))


@contextmanager
def fails_on(rule_id: str) -> Iterator[None]:
    """The block must fail the check on the rule `rule_id`."""
    with pytest.raises(MustViolation) as failure:
        yield
    assert failure.value.rule is not None and failure.value.rule.id == rule_id, failure.value


def test_push_and_check_pushes_the_children_then_the_manifest_and_registers_it() -> None:
    registry, cleanup = MemoryRegistry(), Cleanup("ns", None)
    with registry.client() as client:
        response = push_and_check(client, "ns/repo", IMAGE, "latest", cleanup)
    assert response.status_code == 201
    assert registry.manifests["latest"] == IMAGE.data
    assert set(registry.blobs) == {blob.digest for blob in IMAGE.all_blobs()}
    assert ("ns/repo", IMAGE.digest) in cleanup.manifests


def test_push_and_check_fails_a_push_not_answered_201() -> None:
    registry = MemoryRegistry()

    def refuse_manifests(request: httpx.Request) -> httpx.Response:
        if "/manifests/" in request.url.path:
            return httpx.Response(400, content=envelope("MANIFEST_INVALID"))
        return registry.handle(request)

    with client_of(refuse_manifests) as client, pytest.raises(MustViolation, match="400"):
        push_and_check(client, "ns/repo", IMAGE, "latest", Cleanup("ns", None))


def test_the_location_must_serve_the_pushed_bytes() -> None:
    registry = MemoryRegistry()
    with client_of(serving(registry)) as client, verdicts():
        pushed = push_and_check(client, "ns/repo", IMAGE, "latest", Cleanup("ns", None))
        check_location_serves(client, pushed, IMAGE, run_config())
    mangled = client_of(serving(registry, mangle=lambda data: data + b" "))
    with mangled as client, verdicts(), fails_on("manifest-location-pullable"):
        check_location_serves(client, pushed, IMAGE, run_config())


def test_read_back_fails_when_the_accepted_bytes_are_not_stored_exactly() -> None:
    registry = MemoryRegistry()
    body = b'{"not": "a manifest"}'
    registry.manifests["t"] = body
    with client_of(serving(registry)) as client, verdicts() as recorder:
        check_read_back(client, "ns/repo", "t", body, "accepted")
    assert recorder.evaluated == {"manifest-get-200", "manifest-exact-bytes"}
    upper = client_of(serving(registry, mangle=bytes.upper))
    with upper as client, verdicts(), fails_on("manifest-exact-bytes"):
        check_read_back(client, "ns/repo", "t", body, "accepted")
    with client_of(serving(MemoryRegistry())) as client, verdicts(), fails_on("manifest-get-200"):
        check_read_back(client, "ns/repo", "t", body, "accepted")


def test_push_large_returns_the_answer_for_the_caller_to_judge() -> None:
    registry = MemoryRegistry()

    def too_large(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT" and "/manifests/" in request.url.path:
            return httpx.Response(413)
        return registry.handle(request)

    with client_of(too_large) as client, verdicts() as recorder:
        image, response = push_large(client, "ns/repo", random.Random(1), Cleanup("ns", None), 20_000)
    assert response.status_code == 413 and abs(image.size - 20_000) < 64
    assert recorder.findings == []


def test_invalid_manifest_refused_with_400_manifest_invalid_passes_quietly() -> None:
    with client_of(MemoryRegistry().handle) as client, verdicts() as recorder:
        check_refused_as_invalid(client, "ns/repo", "t", answer(400, content=envelope("MANIFEST_INVALID"),
                                 method="PUT"), body=b"x", case="not-json")
    assert recorder.findings == [] and recorder.should_violations == []


def test_invalid_manifest_answered_with_a_server_error_is_advice_for_1_1_and_warns_on_main(
    main_branch: None,
) -> None:
    refused = answer(500, method="PUT")
    with client_of(MemoryRegistry().handle) as client, verdicts() as recorder, pytest.warns(ShouldViolation):
        check_refused_as_invalid(client, "ns/repo", "t", refused, body=b"x", case="not-json")
    assert [finding.rule.id for finding in recorder.findings] == ["server-error-for-client-error"]
    configure(VerdictSettings(spec_version=SpecVersion.V1_1))
    with client_of(MemoryRegistry().handle) as client, verdicts() as recorder:
        check_refused_as_invalid(client, "ns/repo", "t", refused, body=b"x", case="not-json")
    assert [(finding.level, finding.rule.id) for finding in recorder.findings] == [
        (Level.ADVICE, "server-error-for-client-error")]
    assert recorder.should_violations == []


def test_invalid_manifest_accepted_is_advice_and_read_back() -> None:
    registry = MemoryRegistry()
    body = b'[{"schemaVersion": 2}]'
    registry.manifests["t"] = body
    with client_of(serving(registry)) as client, verdicts() as recorder:
        check_refused_as_invalid(client, "ns/repo", "t", ACCEPTED, body=body, case="json-array")
    assert [(finding.level, finding.rule.id) for finding in recorder.findings] == [
        (Level.ADVICE, "invalid-manifest-400")]
    assert "manifest-exact-bytes" in recorder.evaluated
    with client_of(serving(MemoryRegistry())) as client, verdicts(), fails_on("manifest-get-200"):
        check_refused_as_invalid(client, "ns/repo", "t", ACCEPTED, body=body, case="json-array")


def test_invalid_manifest_refused_with_another_4xx_or_code_is_advice() -> None:
    with client_of(MemoryRegistry().handle) as client, verdicts() as recorder:
        check_refused_as_invalid(client, "ns/repo", "t", answer(404, content=envelope("NAME_UNKNOWN"),
                                 method="PUT"), body=b"x", case="not-json")
    assert {finding.level for finding in recorder.findings} == {Level.ADVICE}
    assert len(recorder.findings) == 2 and recorder.should_violations == []


def refusal(status: int, body: bytes) -> Response:
    return answer(status, content=body, method="PUT")


def test_a_missing_reference_refusal_must_name_manifest_blob_unknown() -> None:
    with verdicts() as recorder:
        check_missing_reference_refusal(refusal(400, envelope("MANIFEST_BLOB_UNKNOWN")), "x")
    assert recorder.findings == []
    with verdicts() as recorder:  # distribution, to layers with urls: 500, UNKNOWN + MANIFEST_BLOB_UNKNOWN
        check_missing_reference_refusal(refusal(500, envelope("UNKNOWN", "MANIFEST_BLOB_UNKNOWN")), "x")
    assert [finding.rule.id for finding in recorder.findings] == ["server-error-for-client-error"]
    for body in (envelope("MANIFEST_INVALID"), b"refused"):
        with verdicts(), fails_on("manifest-blob-unknown-on-reject"):
            check_missing_reference_refusal(refusal(400, body), "x")


def test_unsupported_unless_a_should_broke(main_branch: None) -> None:
    with verdicts(), pytest.raises(pytest.skip.Exception, match="unsupported: nope"):
        unsupported_unless_warned("nope")
    with verdicts(), pytest.warns(ShouldViolation):
        check_missing_reference_refusal(refusal(500, envelope("MANIFEST_BLOB_UNKNOWN")), "x")
        unsupported_unless_warned("nope")
