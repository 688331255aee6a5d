"""Hand-made OCI image layouts for tests that drive real clients (skopeo, podman, buildah) without network.

An image built here is fully deterministic: gzip tar layers with fixed mtimes, owners and gzip headers,
an OCI image config whose `rootfs.diff_ids` are the digests of the uncompressed tars, an OCI image
manifest, and an `index.json` naming the manifest by tag (`org.opencontainers.image.ref.name`).
The module also reads layouts back (OCI layouts and skopeo's `dir:` transport) so a test can compare
what went into a registry with what came out, blob by blob and digest by digest.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
REF_NAME = "org.opencontainers.image.ref.name"


def sha256_digest(data: bytes) -> str:
    """`sha256:<hex>` of `data`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(document: object) -> bytes:
    """Compact, key-sorted JSON bytes: the same document always gives the same digest."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def deterministic_tar(files: dict[str, bytes]) -> bytes:
    """An uncompressed tar of `files` (path -> content) with fixed mtime, owner and mode."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name in sorted(files):
            content = files[name]
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = 1_700_000_000
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def deterministic_gzip(data: bytes) -> bytes:
    """gzip of `data` with mtime 0 and no file name, so equal input gives equal bytes."""
    return gzip.compress(data, compresslevel=6, mtime=0)


@dataclass(frozen=True)
class Blob:
    """One content-addressed blob: its media type and bytes."""

    media_type: str
    data: bytes

    @property
    def digest(self) -> str:
        """The blob's sha256 digest."""
        return sha256_digest(self.data)

    def descriptor(self) -> dict[str, object]:
        """An OCI descriptor for this blob."""
        return {"mediaType": self.media_type, "digest": self.digest, "size": len(self.data)}


@dataclass(frozen=True)
class Image:
    """A single-platform OCI image: config, layers (with their uncompressed tars) and manifest bytes."""

    config: Blob
    layers: tuple[Blob, ...]
    diff_ids: tuple[str, ...]
    manifest: bytes

    @property
    def manifest_digest(self) -> str:
        """Digest of the manifest bytes."""
        return sha256_digest(self.manifest)

    def blobs(self) -> dict[str, bytes]:
        """Every blob of the image (config, layers, manifest) by digest."""
        found = {blob.digest: blob.data for blob in (self.config, *self.layers)}
        found[self.manifest_digest] = self.manifest
        return found


def build_image(seed: str, layer_count: int = 3, layer_size: int = 64 * 1024) -> Image:
    """A deterministic multi-layer OCI image whose content depends only on `seed` and the sizes.

    Each layer holds one file of pseudo-random (incompressible) bytes derived from the seed, so
    layers of different images never collide and gzip cannot shrink them to nothing.
    """
    layers: list[Blob] = []
    diff_ids: list[str] = []
    for index in range(layer_count):
        content = pseudo_random_bytes(f"{seed}/layer{index}", layer_size)
        tar = deterministic_tar({f"data/{seed}-{index}.bin": content, f"etc/layer{index}": seed.encode()})
        diff_ids.append(sha256_digest(tar))
        layers.append(Blob(OCI_LAYER_GZIP, deterministic_gzip(tar)))
    config_doc = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin"], "Labels": {"seed": seed}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": f"tests.support.oci_layout layer {i}"} for i in range(layer_count)],
    }
    config = Blob(OCI_CONFIG, canonical_json(config_doc))
    manifest_doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.descriptor(),
        "layers": [layer.descriptor() for layer in layers],
    }
    return Image(config, tuple(layers), tuple(diff_ids), canonical_json(manifest_doc))


def pseudo_random_bytes(seed: str, size: int) -> bytes:
    """`size` deterministic, incompressible bytes (SHA-256 in counter mode over `seed`)."""
    chunks: list[bytes] = []
    counter = 0
    produced = 0
    key = seed.encode()
    while produced < size:
        block = hashlib.sha256(key + counter.to_bytes(8, "big")).digest()
        chunks.append(block)
        produced += len(block)
        counter += 1
    return b"".join(chunks)[:size]


def write_layout(directory: Path, images: dict[str, Image]) -> Path:
    """Write an OCI image layout holding `images` (tag -> image) into `directory`; return it."""
    blob_dir = directory / "blobs" / "sha256"
    blob_dir.mkdir(parents=True, exist_ok=True)
    (directory / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    manifests: list[dict[str, object]] = []
    for tag, image in images.items():
        for digest, data in image.blobs().items():
            (blob_dir / digest.removeprefix("sha256:")).write_bytes(data)
        manifests.append({
            "mediaType": OCI_MANIFEST,
            "digest": image.manifest_digest,
            "size": len(image.manifest),
            "annotations": {REF_NAME: tag},
        })
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
    (directory / "index.json").write_bytes(canonical_json(index))
    return directory


@dataclass(frozen=True)
class LayoutContent:
    """What a layout (OCI or skopeo `dir:`) holds for one image: manifest bytes and referenced blobs."""

    manifest: bytes
    blobs: dict[str, bytes]

    @property
    def manifest_digest(self) -> str:
        """Digest of the manifest bytes."""
        return sha256_digest(self.manifest)

    @property
    def manifest_document(self) -> dict[str, object]:
        """The parsed manifest."""
        document: dict[str, object] = json.loads(self.manifest)
        return document


def _referenced_digests(manifest: bytes) -> list[str]:
    document = json.loads(manifest)
    digests = [document["config"]["digest"]]
    digests.extend(layer["digest"] for layer in document["layers"])
    return digests


def read_oci_layout(directory: Path, tag: str) -> LayoutContent:
    """Read the image tagged `tag` from an OCI layout, verifying every blob against its digest."""
    index = json.loads((directory / "index.json").read_bytes())
    entries = [m for m in index["manifests"] if m.get("annotations", {}).get(REF_NAME) == tag]
    if len(entries) != 1:
        raise AssertionError(f"expected one manifest tagged {tag!r} in {directory}, found {len(entries)}")
    manifest = _read_verified(directory, entries[0]["digest"])
    blobs = {digest: _read_verified(directory, digest) for digest in _referenced_digests(manifest)}
    return LayoutContent(manifest, blobs)


def _read_verified(directory: Path, digest: str) -> bytes:
    algorithm, hex_digest = digest.split(":", 1)
    data = (directory / "blobs" / algorithm / hex_digest).read_bytes()
    if hashlib.new(algorithm, data).hexdigest() != hex_digest:
        raise AssertionError(f"blob {digest} in {directory} does not match its digest")
    return data


def read_dir_transport(directory: Path) -> LayoutContent:
    """Read an image stored with skopeo's `dir:` transport (manifest.json + blobs named by hex digest)."""
    manifest = (directory / "manifest.json").read_bytes()
    blobs: dict[str, bytes] = {}
    for digest in _referenced_digests(manifest):
        data = (directory / digest.split(":", 1)[1]).read_bytes()
        if sha256_digest(data) != digest:
            raise AssertionError(f"blob {digest} in {directory} does not match its digest")
        blobs[digest] = data
    return LayoutContent(manifest, blobs)


def uncompressed_digests(layers: Sequence[bytes]) -> list[str]:
    """sha256 digests of the gunzipped layers (the image's diff_ids)."""
    return [sha256_digest(gzip.decompress(layer)) for layer in layers]
