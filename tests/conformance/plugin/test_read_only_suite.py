"""The read-only suite (conformance/suites/test_read_only.py) against content seeded into a real registry."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from conformance import registries
from conformance.client import RegistryClient
from conformance.content import artifact_manifest, image_manifest
from tests.conformance.plugin.plugin_runs import run_inner

pytest_plugins = ["pytester"]

SUITE = Path(__file__).resolve().parents[3] / "conformance" / "suites" / "test_read_only.py"
REPO = "library/seeded"


@dataclass(frozen=True)
class Seeded:
    url: str
    image_digest: str
    layer_digest: str
    referrer_digest: str


@pytest.fixture(scope="module")
def seeded_registry() -> Iterator[Seeded]:
    """A reference server holding an image tagged `v1` with one artifact referring to it."""
    rng = random.Random(7)
    image = image_manifest(rng, layers=1)
    artifact = artifact_manifest(rng, subject=image)
    with registries.start_reference_server() as process, RegistryClient(process.url) as client:
        client.push_image(REPO, image, "v1")
        client.push_image(REPO, artifact)
        yield Seeded(process.url, image.digest, image.all_blobs()[-1].digest, artifact.digest)


def test_named_content_passes_without_any_write(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, seeded_registry: Seeded
) -> None:
    env = {"OCI_REPO1": REPO, "OCI_RO_DATA_TAGS": "v1", "OCI_RO_DATA_MANIFESTS": seeded_registry.image_digest,
           "OCI_RO_DATA_BLOBS": seeded_registry.layer_digest,
           "OCI_RO_DATA_REFERRERS": seeded_registry.image_digest}
    before = httpx.get(f"{seeded_registry.url}/v2/_catalog", timeout=10).json()
    run = run_inner(pytester, monkeypatch, "", str(SUITE), "--registry-url", seeded_registry.url,
                    "--registry-read-only", env=env)
    run.result.assert_outcomes(passed=4)
    assert httpx.get(f"{seeded_registry.url}/v2/_catalog", timeout=10).json() == before == {
        "repositories": [REPO]}
    assert {check["outcome"] for check in run.results["checks"]} == {"passed"}
    assert run.results["config"]["read_only"] is True


def test_wrong_names_fail_with_the_registry_answer(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, seeded_registry: Seeded
) -> None:
    missing = "sha256:" + "0" * 64
    run = run_inner(pytester, monkeypatch, "", str(SUITE), "--registry-url", seeded_registry.url,
                    "--registry-namespace", REPO, "--registry-ro-tags", "no-such-tag",
                    "--registry-ro-blobs", missing)
    outcomes = {check["name"]: check["outcome"] for check in run.results["checks"]}
    assert outcomes == {
        "test_named_tag_is_served_and_listed[no-such-tag]": "failed",
        f"test_named_blob_is_served[{missing}]": "failed",
        "test_named_manifest_is_served_by_digest[(none named)]": "disabled",
        "test_named_subject_lists_its_referrers[(none named)]": "disabled",
    }
    message = run.check("test_named_tag_is_served_and_listed[no-such-tag]")["message"]
    assert "manifests/no-such-tag -> 404, expected 200 for a named tag" in message
