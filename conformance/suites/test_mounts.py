"""Checks of cross-repository mounts: `POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<other>` (end-11).

The spec (spec.md "Mounting a blob from another repository"): a successful mount MUST answer 201 with a
`Location` giving the registry URL of the accepted blob (we GET it and compare bytes; that it is the
target repository's `/v2/<name>/blobs/<digest>` is checked as a SHOULD, since the spec only says "the
registry URL to access the accepted layer"), and afterwards the blob MUST be pullable from the target
repository; `Docker-Content-Digest` MAY differ in algorithm but MUST name the content. The registry MAY
treat `from` as optional. A registry that does not support mounting, or cannot mount the requested blob,
SHOULD answer 202, which opens an ordinary upload session that MUST then work (we finish it with a PUT):
a 202 to a mount of an existing blob is recorded as the `mount` (or `mount_anonymous`) capability being
absent. Mounting a blob that exists nowhere MUST NOT answer 201 and SHOULD answer 202 (end-11 also lists
404). Mounts go into an existing and into a not-yet-existing repository, and work for sha512 blobs
(optional).
"""

from __future__ import annotations

import random
from urllib.parse import urlsplit

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.transfers import (
    check_blob_created,
    check_blob_stored,
    check_digest_header,
    push_sha512_or_unsupported,
    session_location,
)
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import Blob, random_blob
from conformance.verdicts import must, note, should, unsupported

pytestmark = [pytest.mark.push, pytest.mark.mounts, pytest.mark.writes, pytest.mark.feature("mount")]

MOUNTING = "spec.md#mounting-a-blob-from-another-repository"


def _source_blob(client: RegistryClient, repo2: str, blob: Blob, cleanup: Cleanup) -> Blob:
    client.push_blob(repo2, blob)
    cleanup.blob(repo2, blob.digest)
    return blob


def _finish_fallback(client: RegistryClient, response: Response, blob: Blob, what: str) -> None:
    """A 202 to a mount is an upload session: it MUST take the blob with a PUT (201)."""
    location = session_location(response, what=f"{what} answered 202: its upload session", ref=MOUNTING)
    check_blob_created(client, blob, client.upload_put(location, blob.digest, blob.data),
                       what=f"PUT into the session {what} opened", ref=MOUNTING)


def _check_mounted(client: RegistryClient, repo: str, blob: Blob, response: Response, what: str) -> None:
    location = response.location
    must(location, f"{what}: the 201 has no Location header", ref=MOUNTING)
    assert location is not None
    expected_path = f"/v2/{repo}/blobs/{blob.digest}"
    should(urlsplit(location).path == expected_path,
           f"{what}: Location {location} does not name the target repository's blob URL {expected_path}",
           ref=MOUNTING)
    if response.content_digest is None:
        note(f"{what}: the 201 carries no Docker-Content-Digest")
    else:
        check_digest_header(response, blob.data, blob.digest, required=False, what=what, ref=MOUNTING)
    pulled = client.request("GET", location)
    must(pulled.status_code == 200 and pulled.content == blob.data,
         f"{what}: GET of the returned Location answered {pulled.status_code} with "
         f"{len(pulled.content)} bytes, expected 200 with the {blob.size} bytes mounted", ref=MOUNTING)
    check_blob_stored(client, repo, blob, what=f"{what}: the target repository")


@pytest.mark.spec("end-11", MOUNTING)
@pytest.mark.level("MUST")
@pytest.mark.parametrize("target", ["existing-repository", "new-repository"])
def test_mount_from_another_repository_answers_201_and_the_blob_is_pullable(
    *, client: RegistryClient, repo: str, repo2: str, content: random.Random, cleanup: Cleanup,
    capabilities: Capabilities, target: str,
) -> None:
    capabilities.require("mount")
    blob = _source_blob(client, repo2, random_blob(content, 512), cleanup)
    if target == "existing-repository":
        other = random_blob(content, 64)
        client.push_blob(repo, other)
        cleanup.blob(repo, other.digest)
    cleanup.blob(repo, blob.digest)
    what = f"mount of {blob.digest} from {repo2} into a {target.replace('-', ' ')}"
    response = client.blob_mount(repo, blob.digest, repo2)
    if response.status_code == 202:
        _finish_fallback(client, response, blob, what)
        capabilities.record("mount", False, "mount with from= answered 202", evidence=response.describe(),
                            source="test_mounts")
        unsupported("mount: a mount with from= answered 202 (allowed); the upload session it opened worked")
    must(response.status_code == 201, f"{what}: {response.describe()}, expected 201 (or 202)", ref=MOUNTING)
    capabilities.record("mount", True, "mount with from= answered 201", source="test_mounts")
    _check_mounted(client, repo, blob, response, what)


@pytest.mark.spec("end-11", MOUNTING)
@pytest.mark.level("MUST")
@pytest.mark.feature("mount_anonymous")
def test_mount_without_from_answers_201_or_opens_a_session(
    *, client: RegistryClient, repo: str, repo2: str, content: random.Random, cleanup: Cleanup,
    capabilities: Capabilities,
) -> None:
    capabilities.require("mount_anonymous")
    blob = _source_blob(client, repo2, random_blob(content, 512), cleanup)
    cleanup.blob(repo, blob.digest)
    what = f"mount of {blob.digest} without from="
    response = client.blob_mount(repo, blob.digest, None)
    if response.status_code == 202:
        _finish_fallback(client, response, blob, what)
        capabilities.record("mount_anonymous", False, "mount without from= answered 202",
                            evidence=response.describe(), source="test_mounts")
        unsupported("mount_anonymous: a mount without from= answered 202 (allowed); its session worked")
    must(response.status_code == 201, f"{what}: {response.describe()}, expected 201 or 202", ref=MOUNTING)
    capabilities.record("mount_anonymous", True, "mount without from= answered 201", source="test_mounts")
    _check_mounted(client, repo, blob, response, what)


@pytest.mark.spec("end-11", MOUNTING)
@pytest.mark.level("MUST")
def test_mount_of_a_blob_that_exists_nowhere_is_not_201(
    client: RegistryClient, repo: str, repo2: str, content: random.Random, cleanup: Cleanup
) -> None:
    _source_blob(client, repo2, random_blob(content, 64), cleanup)  # the source repository exists
    blob = random_blob(content, 512)  # never pushed anywhere
    cleanup.blob(repo, blob.digest)
    what = f"mount of {blob.digest}, which exists nowhere, from {repo2}"
    response = client.blob_mount(repo, blob.digest, repo2)
    must(response.status_code != 201, f"{what}: answered 201: a mount of missing content succeeded",
         ref=MOUNTING)
    must(response.status_code in (202, 404), f"{what}: {response.describe()}, expected 202 (or 404)",
         ref="end-11")
    if not should(response.status_code == 202, f"{what}: answered 404; a registry unable to mount SHOULD "
                  "answer 202 with an upload session", ref=MOUNTING):
        return
    _finish_fallback(client, response, blob, what)
    check_blob_stored(client, repo, blob, what=f"{what}: after the fallback upload")


@pytest.mark.spec("end-11", MOUNTING, "image-spec descriptor.md#sha-512")
@pytest.mark.level("MUST")
@pytest.mark.feature("sha512")
def test_mount_of_a_sha512_blob(
    *, client: RegistryClient, repo: str, repo2: str, content: random.Random, cleanup: Cleanup,
    capabilities: Capabilities,
) -> None:
    capabilities.require("mount")
    blob = random_blob(content, 512, algorithm="sha512")
    push_sha512_or_unsupported(client, repo2, blob, capabilities, cleanup)
    cleanup.blob(repo, blob.digest)
    what = f"mount of the sha512 blob {blob.digest[:20]}... from {repo2}"
    response = client.blob_mount(repo, blob.digest, repo2)
    if response.status_code == 202:
        _finish_fallback(client, response, blob, what)
        unsupported("mount of sha512 blobs: answered 202 (allowed); the upload session it opened worked")
    must(response.status_code == 201, f"{what}: {response.describe()}, expected 201 (or 202)", ref=MOUNTING)
    _check_mounted(client, repo, blob, response, what)
