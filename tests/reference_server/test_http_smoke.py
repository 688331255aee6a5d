"""End-to-end smoke test over real loopback HTTP: ping, blob push + pull, manifest push + pull."""

from __future__ import annotations

from tests.reference_server.registry_client import OCI_MANIFEST, Registry, sha256


def test_ping_answers_200_with_api_version(registry: Registry) -> None:
    response = registry.client.get("/v2/")
    assert response.status_code == 200
    assert response.headers["docker-distribution-api-version"] == "registry/2.0"
    head = registry.client.head("/v2/")
    assert head.status_code == 200
    assert head.content == b""
    error = registry.client.get("/v2/x/manifests/missing")
    assert error.headers["docker-distribution-api-version"] == "registry/2.0"
    assert registry.client.delete("/v2/").status_code == 405


def test_push_and_pull_blob_and_manifest(registry: Registry, repo: str) -> None:
    data = b"layer bytes" * 1000
    response = registry.client.post(f"/v2/{repo}/blobs/uploads/")
    assert response.status_code == 202
    location = response.headers["location"]
    response = registry.client.put(location, params={"digest": sha256(data)}, content=data)
    assert response.status_code == 201
    assert response.headers["location"] == f"/v2/{repo}/blobs/{sha256(data)}"
    blob = registry.client.get(f"/v2/{repo}/blobs/{sha256(data)}")
    assert blob.status_code == 200
    assert blob.content == data
    pushed = registry.push_image(repo, "v1")
    manifest = registry.client.get(f"/v2/{repo}/manifests/v1")
    assert manifest.status_code == 200
    assert manifest.content == pushed.body
    assert manifest.headers["content-type"] == OCI_MANIFEST
    assert manifest.headers["docker-content-digest"] == pushed.digest
