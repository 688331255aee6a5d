"""Setup helpers: push blobs, manifests and whole images, raising `SetupFailed` when refused.

Checks use these to create the state they then examine; a refusal is the registry's failure (the
plugin reports `SetupFailed` as a failed check with the transcript), not a harness error.

- `push_blob`: `POST /blobs/uploads/` (expects 202 + `Location`), then `PUT <Location>&digest=`
  with the whole body, streamed in 1 MiB slices (expects 201).
- `push_manifest`: `PUT /manifests/<tag or digest>` with the manifest's media type (expects 201).
- `push_image`: every blob of the tree once, children before parents (an index's manifests
  first, by digest), then the top manifest by `tag` or digest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.client.errors import SetupFailed
from conformance.client.session import sliced
from conformance.content.blobs import Blob
from conformance.content.descriptors import Content, Descriptor
from conformance.content.manifests import Manifest

if TYPE_CHECKING:
    from conformance.client.registry import RegistryClient
    from conformance.client.response import Response


def _refused(client: RegistryClient, what: str, response: Response, expected: str) -> SetupFailed:
    return SetupFailed(f"setup failed: {what}: {response.describe()}, expected {expected}", client.transcript)


def push_blob(
    client: RegistryClient, repo: str, data: bytes | Content, *, media_type: str | None = None
) -> Descriptor:
    """Upload `data` (bytes, a Blob or a Manifest's bytes) to `repo`; return its descriptor."""
    blob = (
        Blob(data) if isinstance(data, bytes) else Blob(data.data, data.media_type, _algorithm(data.digest))
    )
    if media_type is not None:
        blob = blob.with_media_type(media_type)
    started = client.upload_start(repo)
    location = started.location
    if started.status_code != 202 or location is None:
        raise _refused(client, f"starting an upload of {blob.digest} to {repo}", started, "202 with Location")
    finished = client.upload_put(location, blob.digest, sliced(blob.data) if blob.size else b"")
    if finished.status_code != 201:
        raise _refused(client, f"uploading {blob.digest} ({blob.size} bytes) to {repo}", finished, "201")
    return blob.descriptor()


def push_manifest(client: RegistryClient, repo: str, reference: str | None, manifest: Manifest) -> Descriptor:
    """PUT `manifest` to `repo` under `reference` (its digest when None); return its descriptor."""
    target = reference or manifest.digest
    response = client.manifest_put(repo, target, manifest.data, manifest.media_type)
    if response.status_code != 201:
        raise _refused(client, f"pushing manifest {manifest.digest} to {repo}:{target}", response, "201")
    return manifest.descriptor()


def push_image(client: RegistryClient, repo: str, image: Manifest, tag: str | None = None) -> Descriptor:
    """Push all blobs of `image`'s tree, its child manifests (depth first), then `image`."""
    for blob in image.all_blobs():
        push_blob(client, repo, blob)
    pushed: set[str] = set()
    _push_children(client, repo, image, pushed)
    return push_manifest(client, repo, tag, image)


def _push_children(client: RegistryClient, repo: str, manifest: Manifest, pushed: set[str]) -> None:
    for child in manifest.children:
        if child.digest in pushed:
            continue
        _push_children(client, repo, child, pushed)
        push_manifest(client, repo, None, child)
        pushed.add(child.digest)


def _algorithm(digest: str) -> str:
    return digest.split(":", 1)[0]
