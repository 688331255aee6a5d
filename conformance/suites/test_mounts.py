"""Checks of cross-repository mounts: `POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<other>` (end-11).

spec.md "Mounting a blob from another repository": a successful mount MUST answer 201 with a `Location`,
the `<blob-location>` the push sections define as a pullable blob URL: the suite GETs it and compares the
bytes, and the blob must then be readable from the target repository. That the Location is the target's
`/v2/<name>/blobs/<digest>` and that `Docker-Content-Digest` names the blob are advice (no keyword; the
digest MAY differ in algorithm). The registry MAY treat `from` as optional. A registry that does not support
mounting, or cannot mount the requested blob, SHOULD answer 202, which opens an ordinary upload session
(the suite finishes it with a PUT, judged by the upload rules): a 202 to a mount of an existing blob records
the `mount` (or `mount_anonymous`) capability as absent; another answer breaks that SHOULD. A mount of a blob
that exists nowhere cannot succeed: a 201 there names no pullable blob. Mounts go into an existing and into
a not-yet-existing repository, and work for sha512 blobs (optional).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.transfers import (
    CREATED_RULES,
    SHA512_RULES,
    check_blob_created,
    check_blob_stored,
    check_digest_header,
    fallback_location,
    push_sha512_or_unsupported,
)
from conformance.client import RegistryClient, Response
from conformance.content import Blob, random_blob
from conformance.fixtures import Workspace
from conformance.ledger.rules import mounts, uploads
from conformance.verdicts import judge, note, unsupported

pytestmark = [
    pytest.mark.push, pytest.mark.mounts, pytest.mark.writes, pytest.mark.feature("mount"),
    pytest.mark.rules(mounts.MOUNT_201, mounts.MOUNT_FALLBACK_202, mounts.MOUNT_LOCATION_URL,
                      mounts.MOUNT_DIGEST_HEADER, uploads.UPLOAD_PUT_201, *CREATED_RULES),
]


def _source_blob(workspace: Workspace, repo2: str, blob: Blob) -> Blob:
    workspace.client.push_blob(repo2, blob)
    workspace.cleanup.blob(repo2, blob.digest)
    return blob


def _finish_fallback(client: RegistryClient, response: Response, blob: Blob, what: str) -> bool:
    """A 202 to a mount is an upload session: a PUT of the blob must complete it (201). False: no session."""
    location = fallback_location(response, what=f"{what} answered 202: its upload session",
                                 rule=mounts.MOUNT_FALLBACK_202)
    if location is None:
        return False
    check_blob_created(client, blob, client.upload_put(location, blob.digest, blob.data),
                       what=f"PUT into the session {what} opened", rule=uploads.UPLOAD_PUT_201)
    return True


def _not_mounted(response: Response, capabilities: Capabilities, what: str, feature: str | None) -> None:
    """Neither 201 nor 202: a registry unable to mount SHOULD answer 202 (a warning); the feature is "
    "absent."""
    judge(mounts.MOUNT_FALLBACK_202, False, f"{what}: {response.describe()}, expected 201, or 202 with an "
          "upload session when the registry cannot mount")
    if feature is not None:
        capabilities.record(feature, False, f"the mount answered {response.status_code}",
                            evidence=response.describe(), source="test_mounts")


def _check_mounted(client: RegistryClient, repo: str, blob: Blob, response: Response, what: str) -> None:
    """A 201: its Location serves the blob (MUST), names the target's blob URL (advice); the target has it."""
    location = response.location
    judge(mounts.MOUNT_201, location is not None, f"{what}: answered 201 without a Location header")
    assert location is not None
    expected_path = f"/v2/{repo}/blobs/{blob.digest}"
    judge(mounts.MOUNT_LOCATION_URL, urlsplit(location).path == expected_path,
          f"{what}: Location {location} is not the target repository's blob URL {expected_path}")
    if response.content_digest is None:
        note(f"{what}: the 201 carries no Docker-Content-Digest")
    else:
        check_digest_header(response, blob.data, blob.digest, required=False, what=what,
                            value_rule=mounts.MOUNT_DIGEST_HEADER)
    pulled = client.request("GET", location)
    judge(mounts.MOUNT_201, pulled.status_code == 200 and pulled.content == blob.data,
          f"{what}: answered 201, but GET of its Location answered {pulled.status_code} with "
          f"{len(pulled.content)} bytes, expected 200 with the {blob.size} bytes mounted")
    check_blob_stored(client, repo, blob, what=f"{what}: the target repository")


@pytest.mark.parametrize("target", ["existing-repository", "new-repository"])
def test_mount_from_another_repository_answers_201_and_the_blob_is_pullable(
    workspace: Workspace, target: str
) -> None:
    client, repo, capabilities = workspace.client, workspace.repo, workspace.capabilities
    capabilities.require("mount")
    repo2 = workspace.second_repo()
    blob = _source_blob(workspace, repo2, random_blob(workspace.content, 512))
    if target == "existing-repository":
        other = random_blob(workspace.content, 64)
        client.push_blob(repo, other)
        workspace.cleanup.blob(repo, other.digest)
    workspace.cleanup.blob(repo, blob.digest)
    what = f"mount of {blob.digest} from {repo2} into a {target.replace('-', ' ')}"
    response = client.blob_mount(repo, blob.digest, repo2)
    if response.status_code == 202:
        if not _finish_fallback(client, response, blob, what):
            return
        capabilities.record("mount", False, "mount with from= answered 202", evidence=response.describe(),
                            source="test_mounts")
        unsupported("mount: a mount with from= answered 202 (allowed); the upload session it opened worked")
    if response.status_code != 201:
        _not_mounted(response, capabilities, what, "mount")
        return
    capabilities.record("mount", True, "mount with from= answered 201", source="test_mounts")
    _check_mounted(client, repo, blob, response, what)


@pytest.mark.rules(mounts.MOUNT_FROM_OPTIONAL)
@pytest.mark.feature("mount_anonymous")
def test_mount_without_from_answers_201_or_opens_a_session(workspace: Workspace) -> None:
    client, repo, capabilities = workspace.client, workspace.repo, workspace.capabilities
    capabilities.require("mount_anonymous")
    blob = _source_blob(workspace, workspace.second_repo(), random_blob(workspace.content, 512))
    workspace.cleanup.blob(repo, blob.digest)
    what = f"mount of {blob.digest} without from="
    response = client.blob_mount(repo, blob.digest, None)
    if response.status_code == 202:
        if not _finish_fallback(client, response, blob, what):
            return
        capabilities.record("mount_anonymous", False, "mount without from= answered 202",
                            evidence=response.describe(), source="test_mounts")
        unsupported("mount_anonymous: a mount without from= answered 202 (allowed); its session worked")
    if response.status_code != 201:
        _not_mounted(response, capabilities, what, "mount_anonymous")
        return
    capabilities.record("mount_anonymous", True, "mount without from= answered 201", source="test_mounts")
    _check_mounted(client, repo, blob, response, what)


def test_mount_of_a_blob_that_exists_nowhere_is_not_201(workspace: Workspace) -> None:
    client, repo = workspace.client, workspace.repo
    repo2 = workspace.second_repo()
    _source_blob(workspace, repo2, random_blob(workspace.content, 64))  # the source repository exists
    blob = random_blob(workspace.content, 512)  # never pushed anywhere
    workspace.cleanup.blob(repo, blob.digest)
    what = f"mount of {blob.digest}, which exists nowhere, from {repo2}"
    response = client.blob_mount(repo, blob.digest, repo2)
    if response.status_code == 201:
        _check_mounted(client, repo, blob, response, what)  # names no pullable blob: fails
        return
    if response.status_code != 202:
        _not_mounted(response, workspace.capabilities, what, None)
        return
    if _finish_fallback(client, response, blob, what):
        check_blob_stored(client, repo, blob, what=f"{what}: after the fallback upload")


@pytest.mark.rules(*SHA512_RULES)
@pytest.mark.feature("sha512")
def test_mount_of_a_sha512_blob(workspace: Workspace) -> None:
    client, repo, capabilities = workspace.client, workspace.repo, workspace.capabilities
    capabilities.require("mount")
    repo2 = workspace.second_repo()
    blob = random_blob(workspace.content, 512, algorithm="sha512")
    if not push_sha512_or_unsupported(client, repo2, blob, capabilities, workspace.cleanup):
        return
    workspace.cleanup.blob(repo, blob.digest)
    what = f"mount of the sha512 blob {blob.digest[:20]}... from {repo2}"
    response = client.blob_mount(repo, blob.digest, repo2)
    if response.status_code == 202:
        if _finish_fallback(client, response, blob, what):
            unsupported("mount of sha512 blobs: answered 202 (allowed); the upload session it opened worked")
        return
    if response.status_code != 201:
        _not_mounted(response, capabilities, what, None)
        return
    _check_mounted(client, repo, blob, response, what)
