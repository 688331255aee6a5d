"""Deterministic synthetic content of the recorded sizes: blobs cut from the seeded pool, padded manifests.

Every blob of a trace is `pool bytes from offset 0` followed by a 16-byte suffix derived from its key
(`sha256("registry-harness replay v1|" + key)`), so two runs of the same trace send the same bytes, two
objects of the same size still differ, and bodies are streamed from the pool without copies. Digests are
computed here, in one pass over the pool however many blobs there are: the pool prefix shared by all
blobs is hashed once in order and the sha256 state is copied at each distinct length (cost: the largest
blob, not the sum of all). Blobs of at most 16 bytes are the first bytes of their suffix.

A manifest is an OCI image manifest naming the shared config and base layer (both seeded into every
repository that holds manifests, so registries that check references accept it), with an annotation that
identifies it and another that pads it to exactly the recorded size. A recorded size below the smallest
such document cannot be met; the manifest is then as small as it can be and the replay reports the size.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from load.content import SUFFIX_LEN, Blob, ContentPool

NAMESPACE = "registry-harness replay v1|"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
CONFIG = {"architecture": "amd64", "os": "linux", "rootfs": {"diff_ids": [], "type": "layers"}, "config": {}}
CONFIG_BYTES = json.dumps(CONFIG, sort_keys=True, separators=(",", ":")).encode()
BASE_LAYER_KEY = "base-layer"
BASE_LAYER_SIZE = 1024
PAD_KEY = "org.registry-harness.replay.pad"
ID_KEY = "org.registry-harness.replay.object"
HASH_STEP = 4 * 1024 * 1024


def suffix_for(key: str) -> bytes:
    """The 16 bytes that make the blob of `key` unique."""
    return hashlib.sha256((NAMESPACE + key).encode()).digest()[:SUFFIX_LEN]


def sha256_digest(data: bytes) -> str:
    """`sha256:<hex>` of `data`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def missing_digest(key: str) -> str:
    """A digest no replay ever uploads (the sha256 of a name, not of content), for recorded 404s."""
    return "sha256:" + hashlib.sha256(("missing|" + NAMESPACE + key).encode()).hexdigest()


def make_blobs(pool: ContentPool, specs: dict[str, int],
               run_blocking: Callable[[Callable[[], Any]], Any] = lambda fn: fn()) -> dict[str, Blob]:
    """The blob of each (key, size), digests computed in one ordered pass over the pool."""
    lengths = sorted({size - SUFFIX_LEN for size in specs.values() if size > SUFFIX_LEN})

    def states() -> dict[int, Any]:
        found: dict[int, Any] = {}
        hasher = hashlib.sha256()
        position = 0
        for length in lengths:
            for part in pool.spans(position, length - position, HASH_STEP):
                hasher.update(part)
            position = length
            found[length] = hasher.copy()
        return found

    prefix_states: dict[int, Any] = run_blocking(states) if lengths else {}
    blobs: dict[str, Blob] = {}
    for key, size in specs.items():
        suffix = suffix_for(key)
        if size <= SUFFIX_LEN:
            data = suffix[:size]
            blobs[key] = Blob(pool, 0, 0, data, sha256_digest(data))
            continue
        hasher = prefix_states[size - SUFFIX_LEN].copy()
        hasher.update(suffix)
        blobs[key] = Blob(pool, 0, size - SUFFIX_LEN, suffix, "sha256:" + hasher.hexdigest())
    return blobs


@dataclass(frozen=True)
class Manifest:
    """One manifest document: its bytes, digest and media type."""

    data: bytes
    digest: str
    media_type: str = OCI_MANIFEST

    @property
    def size(self) -> int:
        """Length in bytes."""
        return len(self.data)


def _document(key: str, layer: Blob, pad: str) -> bytes:
    document = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": sha256_digest(CONFIG_BYTES), "size": len(CONFIG_BYTES)},
        "layers": [{"mediaType": OCI_LAYER, "digest": layer.digest, "size": layer.size}],
        "annotations": {ID_KEY: key, PAD_KEY: pad},
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def make_manifest(key: str, size: int | None, layer: Blob) -> Manifest:
    """The manifest of `key`, padded to `size` bytes when that is reachable (else the smallest one)."""
    data = _document(key, layer, "")
    if size is not None and size > len(data):
        data = _document(key, layer, "x" * (size - len(data)))
    return Manifest(data, sha256_digest(data))


class ContentStore:
    """Every blob and manifest of one replay plan, built once (the pool is shared with the engine)."""

    def __init__(self, pool: ContentPool, blob_specs: dict[str, int], manifest_specs: dict[str, int | None],
                 run_blocking: Callable[[Callable[[], Any]], Any] = lambda fn: fn()) -> None:
        self.pool = pool
        specs = dict(blob_specs)
        specs[BASE_LAYER_KEY] = BASE_LAYER_SIZE
        self.blobs = make_blobs(pool, specs, run_blocking)
        self.base_layer = self.blobs[BASE_LAYER_KEY]
        self.config = CONFIG_BYTES
        self.config_digest = sha256_digest(CONFIG_BYTES)
        self.manifests = {key: make_manifest(key, size, self.base_layer)
                          for key, size in manifest_specs.items()}

    def blob(self, key: str) -> Blob:
        """The blob of a plan key."""
        return self.blobs[key]

    def manifest(self, key: str) -> Manifest:
        """The manifest of a plan key."""
        return self.manifests[key]

    def total_bytes(self, keys: Iterable[str]) -> int:
        """Sum of the sizes of the given blob keys."""
        return sum(self.blobs[key].size for key in keys)
