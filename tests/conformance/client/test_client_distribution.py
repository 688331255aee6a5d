"""Round trips against Debian's distribution 2.8.2 on loopback (skipped when it is not installed)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest

from conformance.client import Credentials, RegistryClient, RegistryConnectionError, SetupFailed, Transcript
from conformance.content import image_manifest, random_blob
from conformance.registries import RegistryProcess, distribution_available, start_distribution
from conformance.spec import media_types
from conformance.spec.digests import digest_bytes

pytestmark = pytest.mark.skipif(
    not distribution_available(), reason="Debian's docker-registry (distribution 2.8.2) is not installed"
)


@pytest.fixture(scope="module")
def registry() -> Iterator[RegistryProcess]:
    process = start_distribution()
    yield process
    process.stop()


@pytest.fixture
def client(registry: RegistryProcess) -> Iterator[RegistryClient]:
    with RegistryClient(registry.url, timeout=10.0) as registry_client:
        yield registry_client


def test_blob_push_pull_round_trip_with_streamed_body(client: RegistryClient) -> None:
    blob = random_blob(7, 3 * 1024 * 1024 + 17)
    descriptor = client.push_blob("round/trip", blob)
    assert descriptor.digest == blob.digest and descriptor.size == blob.size
    head = client.blob_head("round/trip", blob.digest)
    assert head.status_code == 200 and head.headers["content-length"] == str(blob.size)
    streamed = client.blob_get_digest("round/trip", blob.digest)
    assert streamed.status_code == 200
    assert streamed.computed_digest == blob.digest and streamed.body_size == blob.size
    assert streamed.content == b""
    assert f"<{blob.size} bytes binary>" in streamed.entry.response_body
    full = client.blob_get("round/trip", blob.digest)
    assert full.content == blob.data


def test_chunked_upload_follows_the_latest_state_location_verbatim(client: RegistryClient) -> None:
    data = random_blob(3, 10_000).data
    started = client.upload_start("chunked/repo")
    assert started.status_code == 202
    location = started.location
    assert location is not None and "_state=" in location
    first = client.upload_patch(location, data[:4000], content_range="0-3999")
    assert first.status_code == 202 and first.headers["range"] == "0-3999"
    assert first.location is not None and first.location != location
    # distribution signs the offset into _state: the older Location is refused
    stale = client.upload_patch(location, data[4000:], content_range="4000-9999")
    assert stale.status_code == 404
    second = client.upload_patch(first.location, data[4000:], content_range="4000-9999")
    assert second.status_code == 202 and second.location is not None
    status = client.upload_status(second.location)
    assert status.status_code == 204 and status.headers["range"] == "0-9999"
    done = client.upload_put(second.location, digest_bytes(data))
    assert done.status_code == 201
    assert done.content_digest == digest_bytes(data)
    # the signed _state went back byte for byte, followed by &digest=
    assert done.url == second.location + "&digest=" + digest_bytes(data)


def test_image_push_and_manifest_fetch(client: RegistryClient) -> None:
    image = image_manifest(11, layers=3)
    descriptor = client.push_image("images/one", image, tag="v1")
    assert descriptor.digest == image.digest
    by_tag = client.manifest_get("images/one", "v1")
    assert by_tag.status_code == 200 and by_tag.content == image.data
    assert by_tag.content_type == media_types.OCI_MANIFEST
    assert by_tag.content_digest == image.digest
    # distribution quirk: OCI manifests are invisible without the OCI type in Accept
    assert (
        client.manifest_get("images/one", image.digest, accept=[media_types.DOCKER_MANIFEST]).status_code
        == 404
    )
    assert client.manifest_head("images/one", image.digest).status_code == 200
    tags = client.tags_list("images/one")
    assert tags.json() == {"name": "images/one", "tags": ["v1"]}
    assert client.manifest_delete("images/one", image.digest).status_code == 202
    assert client.manifest_head("images/one", image.digest).status_code == 404


def test_mount_and_monolithic_upload(client: RegistryClient) -> None:
    blob = random_blob(5, 2048)
    client.push_blob("mount/source", blob)
    mounted = client.blob_mount("mount/target", blob.digest, "mount/source")
    assert mounted.status_code == 201
    assert client.blob_head("mount/target", blob.digest).status_code == 200
    # distribution answers single-POST uploads with 202 and drops the body (known deviation)
    other = random_blob(6, 100)
    assert client.upload_monolithic("mount/target", other.data, other.digest).status_code == 202


def test_catalog_pagination_with_relative_link(client: RegistryClient) -> None:
    for index in range(3):
        client.push_blob(f"catalog/r{index}", random_blob(index, 10))
    seen: list[str] = []
    page = client.catalog(n=1)
    pages = 0
    while True:
        assert page.status_code == 200
        seen += page.json()["repositories"]
        pages += 1
        next_url = client.follow_link(page)
        if next_url is None or pages > 50:
            break
        assert next_url.startswith(client.base_url + "/v2/_catalog?")
        page = client.request("GET", next_url)
    assert {"catalog/r0", "catalog/r1", "catalog/r2"} <= set(seen)
    assert pages == len(seen)
    walked = [repo for page in client.pages(client.catalog(n=2)) for repo in page.json()["repositories"]]
    assert walked == seen
    assert len(list(client.pages(client.catalog(n=1), max_pages=2))) == 2


def test_setup_failure_carries_the_transcript(client: RegistryClient) -> None:
    image = image_manifest(12, layers=1)
    with pytest.raises(SetupFailed) as caught:
        client.push_manifest("setup/fail", "v1", image)  # blobs were never pushed
    text = str(caught.value)
    assert "PUT" in text and "/v2/setup/fail/manifests/v1" in text
    assert "MANIFEST_BLOB_UNKNOWN" in text


@pytest.mark.skipif(shutil.which("htpasswd") is None, reason="htpasswd (apache2-utils) is not installed")
def test_basic_auth_through_the_challenge(tmp_path_factory: pytest.TempPathFactory) -> None:
    directory = tmp_path_factory.mktemp("htpasswd")
    htpasswd = directory / "htpasswd"
    line = subprocess.run(["htpasswd", "-Bbn", "user", "s3cret"], check=True, capture_output=True, text=True)
    htpasswd.write_text(line.stdout)
    process = start_distribution(
        auth_yaml=f"auth:\n  htpasswd:\n    realm: basic-realm\n    path: {htpasswd}\n"
    )
    try:
        with RegistryClient(process.url, timeout=10.0) as anonymous:
            refused = anonymous.ping()
            assert refused.status_code == 401
            assert 'Basic realm="basic-realm"' in refused.headers["www-authenticate"]
        transcript = Transcript()
        with RegistryClient(
            process.url, credentials=Credentials("user", "s3cret"), transcript=transcript
        ) as client:
            assert client.ping().status_code == 200
            descriptor = client.push_blob("auth/repo", b"hello")
            assert client.blob_get("auth/repo", descriptor.digest).content == b"hello"
            raw = client.request_raw("GET", f"/v2/auth/repo/blobs/{descriptor.digest}")
            assert raw.status_code == 200 and raw.content == b"hello"
            assert ("Authorization", "Basic <redacted>") in raw.entry.request_headers
        statuses = [entry.status for entry in transcript.entries]
        assert statuses[:2] == [401, 200]  # one challenge, then credentials sent up front (raw too)
        assert statuses.count(401) == 1
        rendered = transcript.render()
        assert "Basic <redacted>" in rendered and "s3cret" not in rendered
        assert "dXNlcjpzM2NyZXQ" not in rendered  # base64 of user:s3cret
        with RegistryClient(process.url, credentials=Credentials("user", "wrong")) as wrong:
            assert wrong.ping().status_code == 401
            assert len(wrong.transcript) == 2  # tried once with credentials, no loop
    finally:
        process.stop()


def test_chunked_setup_helper(client: RegistryClient) -> None:
    blob = random_blob(21, 2_500_000)
    descriptor = client.push_blob_chunked("chunked/helper", blob, chunk_size=1_000_000)
    assert descriptor.digest == blob.digest
    patches = [e for e in client.transcript.entries if e.method == "PATCH"]
    assert [dict(e.request_headers)["content-range"] for e in patches] == [
        "0-999999",
        "1000000-1999999",
        "2000000-2499999",
    ]
    assert client.blob_get_digest("chunked/helper", blob.digest).computed_digest == blob.digest


def test_unsatisfiable_range_416_with_missing_body_is_kept_as_partial(client: RegistryClient) -> None:
    blob = random_blob(31, 2048)
    client.push_blob("range/repo", blob)
    # distribution 2.8.2 announces a 2048-byte body with its 416 and sends a short text instead
    with pytest.raises(RegistryConnectionError) as caught:
        client.blob_get("range/repo", blob.digest, headers={"Range": "bytes=500-0"})
    partial = caught.value.partial
    assert partial is not None and partial.status_code == 416
    assert partial.headers["content-length"] == "2048" and len(partial.content) < 2048
