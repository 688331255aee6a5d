"""Setup helpers: push blobs, manifests and whole images, raising `SetupFailed` when refused.

Checks use these to create the state they then examine; a refusal is the registry's failure (the
plugin reports `SetupFailed` as a failed check with the transcript), not a harness error.

- `push_blob`: `POST /blobs/uploads/` (expects 202 + `Location`; `?digest-algorithm=` for non-sha256
  blobs, as the spec recommends), then `PUT <Location>&digest=` with the whole body, streamed in
  1 MiB slices (expects 201).
- `push_blob_chunked`: POST, then PATCHes with `Content-Range` following the latest `Location`,
  then an empty closing PUT (each step must answer 202, the PUT 201).
- `push_manifest`: `PUT /manifests/<tag or digest>` with the manifest's media type (expects 201).
- `push_image`: every blob of the tree once, children before parents (an index's manifests
  first, by digest), then the top manifest by `tag` or digest.

A manifest built with `algorithm="sha512"` is stored under its sha512 digest only when pushed by
that digest (`tag=None`, or `reference=None` for `push_manifest`); pushed by tag, a registry names
it by its own canonical digest (sha256).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from conformance.client.errors import SetupFailed
from conformance.client.response import Response
from conformance.client.session import Body, sliced
from conformance.client.transcript import Transcript
from conformance.content.blobs import Blob
from conformance.content.descriptors import Content, Descriptor
from conformance.content.manifests import Manifest


class PushingClient(Protocol):
    """The operations the setup helpers use (`RegistryClient` has them); no import of the client needed."""

    transcript: Transcript

    def upload_start(
        self, repo: str, *, params: Mapping[str, str | int | None] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """POST /v2/<repo>/blobs/uploads/."""

    def upload_patch(
        self, location: str, chunk: Body, *, content_range: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """PATCH <location> with a chunk."""

    def upload_put(
        self, location: str, digest: str, chunk: Body = b"", *, content_range: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """PUT <location>&digest= (closes the upload)."""

    def manifest_put(
        self, repo: str, reference: str, body: bytes, media_type: str | None, *, tags: tuple[str, ...] = (),
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """PUT /v2/<repo>/manifests/<reference>."""


def _refused(client: PushingClient, what: str, response: Response, expected: str) -> SetupFailed:
    return SetupFailed(f"setup failed: {what}: {response.describe()}, expected {expected}", client.transcript)


def push_blob(
    client: PushingClient, repo: str, data: bytes | Content, *, media_type: str | None = None
) -> Descriptor:
    """Upload `data` (bytes, a Blob or a Manifest's bytes) to `repo`; return its descriptor."""
    blob = _as_blob(data)
    if media_type is not None:
        blob = blob.with_media_type(media_type)
    started = _start_upload(client, repo, blob)
    location = started.location
    if started.status_code != 202 or location is None:
        raise _refused(client, f"starting an upload of {blob.digest} to {repo}", started, "202 with Location")
    finished = client.upload_put(location, blob.digest, sliced(blob.data) if blob.size else b"")
    if finished.status_code != 201:
        raise _refused(client, f"uploading {blob.digest} ({blob.size} bytes) to {repo}", finished, "201")
    return blob.descriptor()


def push_blob_chunked(
    client: PushingClient, repo: str, data: bytes | Content, chunk_size: int = 1024 * 1024
) -> Descriptor:
    """Upload `data` in PATCH chunks, then close the upload; return its descriptor or raise `SetupFailed`.

    Each PATCH carries `Content-Range: start-end` and goes to the latest `Location`; the closing
    `PUT ...&digest=` has an empty body.
    """
    blob = (
        Blob(data) if isinstance(data, bytes) else Blob(data.data, data.media_type, _algorithm(data.digest))
    )
    algorithm = _algorithm(blob.digest)
    started = client.upload_start(
        repo, params={"digest-algorithm": algorithm} if algorithm != "sha256" else None
    )
    location = started.location
    if started.status_code != 202 or location is None:
        raise _refused(
            client, f"starting a chunked upload of {blob.digest} to {repo}", started, "202 with Location"
        )
    view = memoryview(blob.data)
    for start in range(0, blob.size, chunk_size):
        chunk = bytes(view[start : start + chunk_size])
        patched = client.upload_patch(location, chunk, content_range=f"{start}-{start + len(chunk) - 1}")
        if patched.status_code != 202 or patched.location is None:
            what = f"uploading bytes {start}-{start + len(chunk) - 1} of {blob.digest} to {repo}"
            raise _refused(client, what, patched, "202 with Location")
        location = patched.location
    finished = client.upload_put(location, blob.digest)
    if finished.status_code != 201:
        raise _refused(client, f"closing the chunked upload of {blob.digest} to {repo}", finished, "201")
    return blob.descriptor()


def push_manifest(client: PushingClient, repo: str, reference: str | None, manifest: Manifest) -> Descriptor:
    """PUT `manifest` to `repo` under `reference` (its digest when None); return its descriptor."""
    target = reference or manifest.digest
    response = client.manifest_put(repo, target, manifest.data, manifest.media_type)
    if response.status_code != 201:
        raise _refused(client, f"pushing manifest {manifest.digest} to {repo}:{target}", response, "201")
    return manifest.descriptor()


def push_image(client: PushingClient, repo: str, image: Manifest, tag: str | None = None) -> Descriptor:
    """Push all blobs of `image`'s tree, its child manifests (depth first), then `image`."""
    for blob in image.all_blobs():
        push_blob(client, repo, blob)
    pushed: set[str] = set()
    _push_children(client, repo, image, pushed)
    return push_manifest(client, repo, tag, image)


def _push_children(client: PushingClient, repo: str, manifest: Manifest, pushed: set[str]) -> None:
    for child in manifest.children:
        if child.digest in pushed:
            continue
        _push_children(client, repo, child, pushed)
        push_manifest(client, repo, None, child)
        pushed.add(child.digest)


def _as_blob(data: bytes | Content) -> Blob:
    return (
        Blob(data) if isinstance(data, bytes) else Blob(data.data, data.media_type, _algorithm(data.digest))
    )


def _start_upload(client: PushingClient, repo: str, blob: Blob) -> Response:
    algorithm = _algorithm(blob.digest)
    return client.upload_start(
        repo, params={"digest-algorithm": algorithm} if algorithm != "sha256" else None
    )


def _algorithm(digest: str) -> str:
    return digest.split(":", 1)[0]
