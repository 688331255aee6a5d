"""`conformance.cleanup`: what is deleted, and the cause of what is not (read-only, unsupported, no answer).

Real registries on loopback: the bundled reference server, and a closed loopback port for the transport error.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from conformance import registries
from conformance.capabilities import Capabilities
from conformance.cleanup import Cleanup, delete_registered
from conformance.client import RegistryClient, Transcript
from conformance.content import image_manifest
from conformance.verdicts import HarnessError
from tests.conformance.checks.checks_doubles import run_config


@pytest.fixture(scope="module")
def registry() -> Iterator[str]:
    with registries.start_reference_server() as process:
        yield process.url


def _pushed(client: RegistryClient, repository: str) -> Cleanup:
    image = image_manifest(random.Random(repository), layer_size=16)
    client.push_image(repository, image, tag="v1")
    cleanup = Cleanup("ns", None)
    for blob in image.blobs_to_push:
        cleanup.blob(repository, blob.digest)
    cleanup.manifest(repository, image.digest)
    cleanup.tag(repository, "v1")
    return cleanup


def test_registration_stays_inside_the_namespace_and_counts_once() -> None:
    cleanup = Cleanup("ns", "mounts")
    cleanup.blob("ns/a", "sha256:" + "0" * 64)
    cleanup.blob("ns/a", "sha256:" + "0" * 64)
    cleanup.tag("mounts/b", "v1")
    assert cleanup.blobs == [("ns/a", "sha256:" + "0" * 64)] and cleanup.tags == [("mounts/b", "v1")]
    with pytest.raises(HarnessError, match="outside the run's namespace"):
        cleanup.manifest("nsx/a", "sha256:" + "0" * 64)


def test_deletes_that_work_delete_everything_and_a_second_pass_finds_it_gone(registry: str) -> None:
    with RegistryClient(registry, transcript=Transcript()) as client:
        cleanup = _pushed(client, "ns/works")
        records = delete_registered(cleanup, client, run_config(), Capabilities(), check="c")
        assert [(record.kind, record.deleted, record.status) for record in records] == [
            ("tag", True, 202), ("manifest", True, 202), ("blob", True, 202), ("blob", True, 202)]
        again = delete_registered(cleanup, client, run_config(), Capabilities(), check="c")
        assert {(record.deleted, record.status, record.reason) for record in again} == {
            (True, 404, "already gone (404)")}


def test_a_read_only_run_and_known_unsupported_deletes_are_not_attempted(registry: str) -> None:
    with RegistryClient(registry, transcript=Transcript()) as client:
        cleanup = _pushed(client, "ns/kept")
        read_only = delete_registered(cleanup, client, run_config(push=False), Capabilities(), check="c")
        assert {(record.cause, record.reason) for record in read_only} == {
            ("read-only", "the run was read-only (--no-push)")}
        capabilities = Capabilities()
        capabilities.record("blob_delete", False, "DELETE of a blob answered 405")
        records = delete_registered(cleanup, client, run_config(), capabilities, check="c")
        blobs = [record for record in records if record.kind == "blob"]
        assert {(record.deleted, record.cause, record.status) for record in blobs} == {
            (False, "unsupported", None)}
        assert blobs[0].reason == "the registry showed it cannot delete blobs (DELETE of a blob answered 405)"
        assert all(record.deleted for record in records if record.kind != "blob")
        assert client.blob_head("ns/kept", blobs[0].reference).status_code == 200


def test_no_answer_is_a_transport_error_never_an_exception() -> None:
    url = f"http://127.0.0.1:{registries.free_port()}"  # nothing listens there
    cleanup = Cleanup("ns", None)
    cleanup.blob("ns/gone", "sha256:" + "0" * 64)
    cleanup.tag("ns/gone", "v1")
    with RegistryClient(url, transcript=Transcript(), timeout=2.0) as client:
        records = delete_registered(cleanup, client, run_config(), Capabilities(), check="c")
    assert {(record.deleted, record.cause, record.status) for record in records} == {
        (False, "transport-error", None)}
    assert all(record.reason and record.reason.startswith(f"the {record.kind} DELETE got no answer: ")
               for record in records)
