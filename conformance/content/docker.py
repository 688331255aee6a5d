"""Docker Image Manifest V2 Schema 2, manifest lists and foreign layers (distribution `manifest-v2-2.md`).

`docker_manifest` builds a schema 2 manifest with a Docker container config and gzip tar layers
(`application/vnd.docker.image.rootfs.diff.tar.gzip`). `foreign_layers` appends Windows-style
foreign layers (`...rootfs.foreign.diff.tar.gzip` with `urls`) which are NEVER pushed: they are
absent from `blobs_to_push`. `docker_manifest_list` lists schema 2 manifests with platforms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conformance.content.blobs import Blob, Seed, rng_of
from conformance.content.configs import docker_container_config
from conformance.content.descriptors import Descriptor
from conformance.content.layers import Layer, tar_layer
from conformance.content.manifests import Manifest
from conformance.spec import media_types

FOREIGN_LAYER_URL = "https://mcr.microsoft.com/v2/windows/servercore/blobs"


def foreign_layer(seed: Seed = None, *, size: int = 512) -> tuple[Layer, Descriptor]:
    """A foreign layer (bytes, for a test that serves them elsewhere) and its descriptor with `urls`."""
    layer = tar_layer(seed, file_size=size, media_type=media_types.DOCKER_FOREIGN_LAYER)
    return layer, layer.descriptor(urls=(f"{FOREIGN_LAYER_URL}/{layer.digest}",))


def docker_manifest(
    seed: Seed = None,
    *,
    layers: int | Sequence[Blob] = 1,
    layer_size: int = 256,
    foreign_layers: int = 0,
    platform: Mapping[str, Any] | None = None,
    extra_fields: Mapping[str, Any] | None = None,
) -> Manifest:
    """A Docker schema 2 image manifest; foreign layers go first (as Windows base layers do)."""
    rng = rng_of(seed)
    plat = dict(
        platform
        or (
            {"architecture": "amd64", "os": "windows"}
            if foreign_layers
            else {"architecture": "amd64", "os": "linux"}
        )
    )
    if isinstance(layers, int):
        layer_blobs: list[Blob] = [
            tar_layer(rng, file_size=layer_size, media_type=media_types.DOCKER_LAYER) for _ in range(layers)
        ]
    else:
        layer_blobs = list(layers)
    foreign = [foreign_layer(rng, size=layer_size) for _ in range(foreign_layers)]
    diff_ids = [layer.diff_id for layer, _ in foreign]
    diff_ids += [getattr(blob, "diff_id", "") or blob.digest for blob in layer_blobs]
    config = docker_container_config(
        diff_ids, architecture=plat["architecture"], os=plat["os"], os_version=plat.get("os.version")
    )
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": media_types.DOCKER_MANIFEST,
        "config": config.descriptor().to_dict(),
        "layers": [descriptor.to_dict() for _, descriptor in foreign]
        + [blob.descriptor().to_dict() for blob in layer_blobs],
    }
    document.update(extra_fields or {})
    return Manifest(
        document=document,
        media_type=media_types.DOCKER_MANIFEST,
        blobs_to_push=(config, *layer_blobs),
        platform=plat,
    )


def docker_manifest_list(
    manifests: Sequence[Manifest],
    *,
    platforms: Sequence[Mapping[str, Any]] | None = None,
) -> Manifest:
    """A Docker manifest list over `manifests` (their build-time platforms unless `platforms`)."""
    entries = []
    for position, child in enumerate(manifests):
        platform = platforms[position] if platforms is not None else child.platform
        entries.append(
            Descriptor(
                media_type=child.media_type, digest=child.digest, size=child.size, platform=platform
            ).to_dict()
        )
    document = {"schemaVersion": 2, "mediaType": media_types.DOCKER_MANIFEST_LIST, "manifests": entries}
    unique = {child.digest: child for child in manifests}
    return Manifest(
        document=document, media_type=media_types.DOCKER_MANIFEST_LIST, children=tuple(unique.values())
    )


def docker_multi_platform(seed: Seed = None) -> Manifest:
    """A manifest list of linux/amd64, linux/arm64 and a Windows image with a foreign layer."""
    rng = rng_of(seed)
    return docker_manifest_list(
        [
            docker_manifest(rng),
            docker_manifest(rng, platform={"architecture": "arm64", "os": "linux", "variant": "v8"}),
            docker_manifest(
                rng,
                foreign_layers=1,
                platform={"architecture": "amd64", "os": "windows", "os.version": "10.0.17763.1879"},
            ),
        ]
    )


def schema1_manifest(name: str = "library/x", tag: str = "latest", *, signed: bool = False) -> Manifest:
    """An unsigned Docker schema 1 manifest, for negative tests only: modern registries refuse it."""
    document = {
        "schemaVersion": 1,
        "name": name,
        "tag": tag,
        "architecture": "amd64",
        "fsLayers": [{"blobSum": "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"}],
        "history": [{"v1Compatibility": '{"id":"0","created":"2000-01-01T00:00:00Z"}'}],
    }
    media_type = media_types.DOCKER_SCHEMA1_SIGNED_MANIFEST if signed else media_types.DOCKER_SCHEMA1_MANIFEST
    return Manifest(document=document, media_type=media_type)
