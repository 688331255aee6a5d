"""Tests of `conformance.checks.manifest_push`: a push checked end to end against an in-memory registry,
and the refusal of invalid manifests on canned answers (no 5xx; 400 MANIFEST_INVALID by convention)."""

from __future__ import annotations

import random

import httpx
import pytest

from conformance.checks.manifest_push import check_refused_as_invalid, push_and_check, push_large
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient
from conformance.content import image_manifest
from conformance.verdicts import MustViolation, ShouldViolation
from tests.conformance.checks.checks_doubles import REGISTRY, MemoryRegistry, answer, envelope, verdicts

IMAGE = image_manifest(9, layer_size=8)


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

    transport = httpx.MockTransport(refuse_manifests)
    with RegistryClient(REGISTRY, transport=transport) as client, pytest.raises(MustViolation, match="400"):
        push_and_check(client, "ns/repo", IMAGE, "latest", Cleanup("ns", None))


def test_push_large_fails_a_server_error() -> None:
    registry = MemoryRegistry()

    def broken(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT" and "/manifests/" in request.url.path:
            return httpx.Response(500)
        return registry.handle(request)

    expected = pytest.raises(MustViolation, match=r"server error for a \d+-byte manifest")
    with RegistryClient(REGISTRY, transport=httpx.MockTransport(broken)) as client, expected:
        push_large(client, "ns/repo", random.Random(1), Cleanup("ns", None), 20_000)


def test_invalid_manifest_refused_with_400_manifest_invalid_passes_quietly() -> None:
    with verdicts() as recorder:
        check_refused_as_invalid(answer(400, content=envelope("MANIFEST_INVALID"), method="PUT"), "not-json")
    assert recorder.should_violations == []


def test_invalid_manifest_answered_with_a_server_error_fails() -> None:
    with pytest.raises(MustViolation, match="a server error for a bad manifest"):
        check_refused_as_invalid(answer(500, method="PUT"), "not-json")


def test_invalid_manifest_accepted_warns() -> None:
    with verdicts() as recorder, pytest.warns(ShouldViolation):
        check_refused_as_invalid(answer(201, method="PUT"), "json-array")
    assert len(recorder.should_violations) == 1
    assert "json-array" in recorder.should_violations[0]
    assert "an invalid manifest was accepted" in recorder.should_violations[0]


def test_invalid_manifest_refused_with_another_4xx_warns() -> None:
    with verdicts() as recorder, pytest.warns(ShouldViolation):
        check_refused_as_invalid(answer(404, content=envelope("MANIFEST_INVALID"), method="PUT"), "not-json")
    assert len(recorder.should_violations) == 1
    assert "expected 400" in recorder.should_violations[0]
