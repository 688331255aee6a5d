"""Tests of `conformance.checks.example_uploads`: uploads by a chunk plan, a manifest's blobs and children,
and sha512 blobs whose refusal is recorded (once) instead of skipping (an in-memory registry)."""

from __future__ import annotations

import httpx
import pytest

from conformance.capabilities import Capabilities
from conformance.checks.example_uploads import (
    push_blobs_and_children,
    push_sha512_blobs,
    send_chunk_plan,
    sha512_refused,
)
from conformance.checks.properties import Example, ExampleTranscript, PropertyRun
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient
from conformance.content import image_index, image_manifest, random_blob
from conformance.strategies import ChunkPlan
from conformance.verdicts import MustViolation
from tests.conformance.checks.checks_doubles import REGISTRY, MemoryRegistry, answer, run_config, verdicts


def example_on(registry: MemoryRegistry) -> Example:
    return Example(registry.client(), ExampleTranscript(""), "ns/repo", Cleanup("ns", None), "ns")


@pytest.mark.parametrize("final_in_put", [False, True])
def test_a_chunk_plan_uploads_the_blob_chunk_by_chunk(final_in_put: bool) -> None:
    registry = MemoryRegistry(stale_locations=True)  # every request must go to the latest Location
    blob = random_blob(1, 8)
    closing = send_chunk_plan(example_on(registry), ChunkPlan((1, 3, 4), final_in_put), blob)
    assert closing.status_code == 201
    assert registry.blobs == {blob.digest: blob.data}
    patches = [request for request in registry.requests if request.method == "PATCH"]
    assert [request.headers["content-range"] for request in patches] == (
        ["0-0", "1-3"] if final_in_put else ["0-0", "1-3", "4-7"])


def test_a_patch_whose_range_does_not_grow_fails() -> None:
    def stuck(request: httpx.Request) -> httpx.Response:
        """Every upload step answers 202 with a Range that never passes the first byte."""
        return httpx.Response(202, headers={"Location": "/v2/ns/repo/blobs/uploads/s", "Range": "0-0"})

    example = example_on(MemoryRegistry())
    example.client = RegistryClient(REGISTRY, transport=httpx.MockTransport(stuck))
    with pytest.raises(MustViolation, match="0-3"):
        send_chunk_plan(example, ChunkPlan((1, 3), False), random_blob(2, 4))


def test_blobs_and_children_are_pushed_children_first_and_registered() -> None:
    registry = MemoryRegistry()
    first, second = image_manifest(1, layer_size=8), image_manifest(2, layer_size=8)
    index = image_index([first, second])
    example = example_on(registry)
    push_blobs_and_children(example, "ns/repo", index)
    assert set(registry.blobs) == {blob.digest for blob in index.all_blobs()}
    assert first.digest in registry.manifests and second.digest in registry.manifests
    assert index.digest not in registry.manifests
    assert example.cleanup.manifests == [("ns/repo", first.digest), ("ns/repo", second.digest)]


def sha512_run(label: str, capabilities: Capabilities) -> PropertyRun:
    return PropertyRun(MemoryRegistry().client(), run_config(), capabilities, label)


def test_sha512_blobs_are_pushed_and_registered() -> None:
    registry, manifest = MemoryRegistry(), image_manifest(3, layer_size=8, algorithm="sha512")
    example = example_on(registry)
    assert push_sha512_blobs(example, manifest, sha512_run("sha512-pushed", Capabilities()))
    assert set(registry.blobs) == {blob.digest for blob in manifest.all_blobs()}
    assert all(digest.startswith("sha512:") for digest in registry.blobs)
    assert {digest for _, digest in example.cleanup.blobs} == set(registry.blobs)


def test_sha512_refused_with_400_is_recorded_once_and_ends_the_example_quietly() -> None:
    capabilities = Capabilities()
    run = sha512_run("sha512-refused", capabilities)
    manifest = image_manifest(4, layer_size=8, algorithm="sha512")
    with verdicts() as recorder:
        for _ in range(2):
            assert not push_sha512_blobs(example_on(MemoryRegistry(refuse_sha512=True)), manifest, run)
    assert capabilities.supported("sha512") is False
    assert recorder.notes == ["sha512 unsupported (POST ?digest-algorithm=sha512 answered 400): sha512 "
                              "examples were not round-tripped"]


def test_only_a_400_counts_as_a_sha512_refusal() -> None:
    capabilities = Capabilities()
    assert not sha512_refused(answer(202), sha512_run("sha512-202", capabilities), "POST")
    assert capabilities.supported("sha512") is None
