"""Real clients (skopeo, podman, buildah) against the bundled server, with distribution 2.8.2 alongside.

Every test runs against both registries: distribution shows the test itself is right, the reference
server must then behave the same way for software nobody on the team wrote. Images are built locally
(tests/support/oci_layout.py), never downloaded. podman 4.3 cannot push straight from an `oci:` layout
("unsupported transport"), so podman and buildah push an image that skopeo first copied from the
layout into containers-storage; their blob-info cache is removed first so they really upload.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conformance.registries import RegistryProcess, start_distribution, start_reference_server
from tests.support.clients import (
    buildah,
    debug_requests,
    forget_blob_locations,
    podman,
    require_tools,
    skopeo,
    skopeo_stdout,
)
from tests.support.oci_layout import (
    DOCKER_MANIFEST,
    OCI_MANIFEST,
    build_image,
    read_dir_transport,
    read_oci_layout,
    sha256_digest,
    uncompressed_digests,
    write_layout,
)
from tests.support.tcp_recorder import recording_relay

NO_TLS = "--tls-verify=false"
ACCEPT_MANIFESTS = ", ".join([OCI_MANIFEST, DOCKER_MANIFEST])


@pytest.fixture(scope="module", params=["reference", "reference-2-workers", "distribution"])
def served(request: pytest.FixtureRequest) -> Iterator[RegistryProcess]:
    """Each registry under test; two workers means a client's connections land on different processes."""
    if request.param == "distribution":
        require_tools("docker-registry")
        process = start_distribution()
    elif request.param == "reference-2-workers":
        process = start_reference_server(extra_args=["--workers", "2"])
    else:
        process = start_reference_server()
    with process:
        yield process


def unique(prefix: str) -> str:
    """A fresh name part, so runs never share repositories or blobs (and no client cache helps)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def http_manifest(registry: RegistryProcess, repo: str, reference: str) -> httpx.Response:
    return httpx.get(
        f"{registry.url}/v2/{repo}/manifests/{reference}", headers={"Accept": ACCEPT_MANIFESTS}, timeout=30
    )


def http_blob(registry: RegistryProcess, repo: str, digest: str) -> bytes:
    response = httpx.get(f"{registry.url}/v2/{repo}/blobs/{digest}", timeout=30, follow_redirects=True)
    assert response.status_code == 200, f"GET blob {digest}: {response.status_code} {response.text[:300]}"
    assert sha256_digest(response.content) == digest
    return response.content


def push_oci_layout(registry: RegistryProcess, tmp_path: Path, repo: str, tag: str = "v1") -> Path:
    """Write a fresh three-layer image to an OCI layout and skopeo-copy it to `repo:tag`."""
    source = write_layout(tmp_path / f"src-{tag}", {tag: build_image(unique("img"), layer_count=3)})
    skopeo("copy", "--dest-tls-verify=false", f"oci:{source}:{tag}", f"docker://{registry.host}/{repo}:{tag}")
    return source


def test_skopeo_copies_oci_image_in_and_out_byte_identically(
    served: RegistryProcess, tmp_path: Path
) -> None:
    require_tools("skopeo")
    repo = unique("clients/oci")
    source = push_oci_layout(served, tmp_path, repo)
    back = tmp_path / "back"
    skopeo("copy", "--src-tls-verify=false", f"docker://{served.host}/{repo}:v1", f"oci:{back}:v1")

    sent, received = read_oci_layout(source, "v1"), read_oci_layout(back, "v1")
    assert received.manifest == sent.manifest
    assert received.manifest_digest == sent.manifest_digest
    assert received.blobs == sent.blobs
    assert len(sent.blobs) == 4  # config + three layers

    raw = skopeo_stdout("inspect", "--raw", NO_TLS, f"docker://{served.host}/{repo}:v1")
    assert raw == sent.manifest
    inspected = json.loads(skopeo("inspect", NO_TLS, f"docker://{served.host}/{repo}:v1"))
    assert inspected["Digest"] == sent.manifest_digest
    assert inspected["Layers"] == [layer["digest"] for layer in json.loads(sent.manifest)["layers"]]

    response = http_manifest(served, repo, sent.manifest_digest)
    assert response.status_code == 200
    assert response.content == sent.manifest
    assert response.headers.get("Docker-Content-Digest") == sent.manifest_digest


def test_skopeo_copies_docker_schema2_image_in_and_out_byte_identically(
    served: RegistryProcess, tmp_path: Path
) -> None:
    require_tools("skopeo")
    source = write_layout(tmp_path / "src", {"v1": build_image(unique("v2s2"), layer_count=2)})
    converted = tmp_path / "v2s2"
    skopeo("copy", "--format", "v2s2", f"oci:{source}:v1", f"dir:{converted}")
    sent = read_dir_transport(converted)
    assert sent.manifest_document["mediaType"] == DOCKER_MANIFEST

    repo = unique("clients/docker")
    skopeo("copy", "--dest-tls-verify=false", f"dir:{converted}", f"docker://{served.host}/{repo}:v2s2")
    back = tmp_path / "back"
    skopeo("copy", "--src-tls-verify=false", f"docker://{served.host}/{repo}:v2s2", f"dir:{back}")
    received = read_dir_transport(back)
    assert received.manifest == sent.manifest
    assert received.blobs == sent.blobs

    raw = skopeo_stdout("inspect", "--raw", NO_TLS, f"docker://{served.host}/{repo}:v2s2")
    assert raw == sent.manifest
    response = http_manifest(served, repo, "v2s2")
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0].strip() == DOCKER_MANIFEST
    assert response.headers.get("Docker-Content-Digest") == sent.manifest_digest


def test_skopeo_lists_tags(served: RegistryProcess, tmp_path: Path) -> None:
    require_tools("skopeo")
    repo = unique("clients/tags")
    source = push_oci_layout(served, tmp_path, repo, tag="v1")
    tags = {"v1", "latest", "2.0.1", "release_candidate-3"}
    for tag in sorted(tags - {"v1"}):
        skopeo("copy", "--dest-tls-verify=false", f"oci:{source}:v1", f"docker://{served.host}/{repo}:{tag}")
    listed = json.loads(skopeo("list-tags", NO_TLS, f"docker://{served.host}/{repo}"))
    assert listed["Repository"] == f"{served.host}/{repo}"
    assert sorted(listed["Tags"]) == sorted(tags)


def test_skopeo_deletes_an_image(served: RegistryProcess, tmp_path: Path) -> None:
    require_tools("skopeo")
    repo = unique("clients/delete")
    source = push_oci_layout(served, tmp_path, repo)
    digest = read_oci_layout(source, "v1").manifest_digest
    assert http_manifest(served, repo, digest).status_code == 200

    skopeo("delete", NO_TLS, f"docker://{served.host}/{repo}:v1")

    for reference in (digest, "v1"):
        response = http_manifest(served, repo, reference)
        assert response.status_code == 404, f"manifest {reference} still served after skopeo delete"
    with pytest.raises(AssertionError, match="manifest unknown"):
        skopeo("inspect", "--raw", NO_TLS, f"docker://{served.host}/{repo}:v1")


def _copy_with_mounts(
    served: RegistryProcess, source_repo: str, target_repo: str
) -> tuple[str, dict[str, str]]:
    """skopeo-copy `source_repo:v1` to `target_repo:v1`: its debug log, {layer digest: `from`} it mounted."""
    output = skopeo(
        "--debug", "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
        f"docker://{served.host}/{source_repo}:v1", f"docker://{served.host}/{target_repo}:v1",
    )
    mounts = {}
    for method, url in debug_requests(output):
        query = urllib.parse.parse_qs(url.query)
        if method == "POST" and url.path == f"/v2/{target_repo}/blobs/uploads/" and "mount" in query:
            mounts[query["mount"][0]] = query.get("from", [""])[0]
    return output, mounts


def test_skopeo_copy_to_another_repository_mounts_blobs(served: RegistryProcess, tmp_path: Path) -> None:
    """A repo-to-repo copy mounts every layer: skopeo asks (`?mount=&from=`) and the registry answers 201.

    skopeo only asks when its blob-info cache (/var/lib/containers/cache, written by the push) names the
    source repository for a layer. About one run in eight against the two-worker server, skopeo 1.9.3
    finds no cached location for one layer (its debug log has no "Trying to reuse cached location" line
    for it) and copies that layer without asking the registry anything about a mount. The likely cause,
    read in containers/image v5.23: the push records a layer's compression (without which no cached
    location is offered) only when its digesting reader reached EOF, and Go's HTTP client reads that EOF
    after the body only if the registry's 202 has not arrived first; a fast answer ends the upload
    reader before. Such a layer is
    then in skopeo's cache (the copy read it from the source), so a second copy to a fresh repository must
    mount every layer, from the source or the first target; the registry's side (every mount asked names a
    repository holding the blob and is accepted) is checked on both copies.
    """
    require_tools("skopeo")
    source_repo, target_repo = unique("clients/mount-src"), unique("clients/mount-dst")
    source = push_oci_layout(served, tmp_path, source_repo)
    sent = read_oci_layout(source, "v1")
    layer_digests = [layer["digest"] for layer in json.loads(sent.manifest)["layers"]]

    output, mounts = _copy_with_mounts(served, source_repo, target_repo)
    holders = {source_repo}
    unasked = set(layer_digests) - set(mounts)
    for digest in unasked:
        assert f"Trying to reuse cached location {digest}" not in output, output
    if unasked:
        assert all(origin in holders for origin in mounts.values()), mounts
        assert output.count("mount OK") >= len(mounts), "the registry did not accept the mounts (201)"
        holders.add(target_repo)  # the second copy may mount from the first target as well
        target_repo = unique("clients/mount-dst-again")
        output, mounts = _copy_with_mounts(served, source_repo, target_repo)
    assert set(layer_digests) <= set(mounts), f"skopeo did not try to mount every layer: {mounts}"
    assert all(origin in holders for origin in mounts.values()), mounts
    assert output.count("mount OK") >= len(layer_digests), "the registry did not accept the mounts (201)"
    patched = [
        url.path for method, url in debug_requests(output)
        if method in ("PATCH", "PUT") and "/blobs/uploads/" in url.path
    ]
    assert len(patched) <= 2, f"layers were uploaded instead of mounted: {patched}"

    for digest in layer_digests:
        assert http_blob(served, target_repo, digest) == sent.blobs[digest]
    raw = skopeo_stdout("inspect", "--raw", NO_TLS, f"docker://{served.host}/{target_repo}:v1")
    assert raw == sent.manifest


@pytest.fixture
def local_image(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A fresh image loaded into podman's local storage from an OCI layout; removed afterwards."""
    require_tools("podman", "skopeo")
    name = f"localhost/{unique('harness-test')}:v1"
    source = write_layout(tmp_path / "src", {"v1": build_image(unique("podman"), layer_count=2)})
    skopeo("copy", f"oci:{source}:v1", f"containers-storage:{name}")
    try:
        yield name, source
    finally:
        podman("rmi", "--force", "--ignore", name)


@pytest.mark.parametrize("manifest_format", ["oci", "v2s2"])
def test_podman_pushes_and_pulls(
    served: RegistryProcess, local_image: tuple[str, Path], manifest_format: str
) -> None:
    name, source = local_image
    sent = read_oci_layout(source, "v1")
    diff_ids = json.loads(sent.blobs[sent.manifest_document["config"]["digest"]])["rootfs"]["diff_ids"]  # type: ignore[index]
    repo = unique(f"clients/podman-{manifest_format}")
    remote = f"{served.host}/{repo}:v1"

    forget_blob_locations()
    podman("push", NO_TLS, "--format", manifest_format, name, f"docker://{remote}")

    response = http_manifest(served, repo, "v1")
    assert response.status_code == 200
    manifest = response.json()
    assert manifest["mediaType"] == (OCI_MANIFEST if manifest_format == "oci" else DOCKER_MANIFEST)
    assert response.headers.get("Docker-Content-Digest") == sha256_digest(response.content)
    layers = [http_blob(served, repo, layer["digest"]) for layer in manifest["layers"]]
    assert uncompressed_digests(layers) == diff_ids
    config = json.loads(http_blob(served, repo, manifest["config"]["digest"]))
    assert config["rootfs"]["diff_ids"] == diff_ids

    try:
        podman("pull", NO_TLS, f"docker://{remote}")
        inspected = json.loads(podman("image", "inspect", remote))[0]
        assert inspected["Id"] == manifest["config"]["digest"].removeprefix("sha256:")
        assert f"{served.host}/{repo}@{sha256_digest(response.content)}" in inspected["RepoDigests"]
        assert inspected["RootFS"]["Layers"] == diff_ids
    finally:
        podman("rmi", "--force", "--ignore", remote)


def test_buildah_pushes_with_chunked_patch(
    served: RegistryProcess, local_image: tuple[str, Path], tmp_path: Path
) -> None:
    require_tools("buildah")
    name, source = local_image
    sent = read_oci_layout(source, "v1")
    config_digest = sent.manifest_document["config"]["digest"]  # type: ignore[index]
    diff_ids = json.loads(sent.blobs[config_digest])["rootfs"]["diff_ids"]
    repo = unique("clients/buildah")

    forget_blob_locations()
    with recording_relay(("127.0.0.1", int(served.url.rsplit(":", 1)[1]))) as relay:
        buildah("push", NO_TLS, name, f"docker://127.0.0.1:{relay.port}/{repo}:v1")
        requests = relay.requests()
    patches = [r for r in requests if r.method == "PATCH" and "/blobs/uploads/" in r.target]
    chunked = [r for r in patches if r.headers.get("transfer-encoding") == "chunked"]
    # Layers are recompressed on the fly (length unknown): chunked. The config has a known length.
    assert len(chunked) >= len(diff_ids), [r.headers for r in patches]
    assert all("content-length" not in r.headers for r in chunked)

    back = tmp_path / "back"
    skopeo("copy", "--src-tls-verify=false", f"docker://{served.host}/{repo}:v1", f"oci:{back}:v1")
    received = read_oci_layout(back, "v1")
    layer_digests = [layer["digest"] for layer in received.manifest_document["layers"]]  # type: ignore[attr-defined]
    assert uncompressed_digests([received.blobs[d] for d in layer_digests]) == diff_ids
    assert received.blobs[config_digest] == sent.blobs[config_digest]
