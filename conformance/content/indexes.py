"""OCI image indexes (image-spec `image-index.md`): platform entries, nesting, empty, artifactType, subject.

`image_index(manifests)` lists already-built manifests (images or indexes) as `children`, so
`push_image` pushes them, by digest, before the index. Each entry's `platform` is the child's
build-time platform unless `platforms` overrides it (None entries mean "no platform field").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conformance.content.blobs import Seed, rng_of
from conformance.content.descriptors import Descriptor
from conformance.content.manifests import Manifest, build_sized, finish_document, image_manifest
from conformance.spec import media_types

DEFAULT_PLATFORMS: tuple[Mapping[str, Any], ...] = (
    {"architecture": "amd64", "os": "linux"},
    {"architecture": "arm64", "os": "linux", "variant": "v8"},
    {"architecture": "amd64", "os": "windows", "os.version": "10.0.17763.1879"},
)


def image_index(
    manifests: Sequence[Manifest] = (),
    *,
    platforms: Sequence[Mapping[str, Any] | None] | None = None,
    artifact_type: str | None = None,
    subject: Manifest | Descriptor | None = None,
    annotations: Mapping[str, str] | None = None,
    entry_annotations: Mapping[str, str] | None = None,
    extra_entries: Sequence[Descriptor] = (),
    target_size: int | None = None,
    extra_fields: Mapping[str, Any] | None = None,
    include_media_type: bool = True,
    media_type: str = media_types.OCI_INDEX,
    algorithm: str = "sha256",
) -> Manifest:
    """Build an index over `manifests` (empty allowed); `extra_entries` are listed but not pushed."""
    entries: list[dict[str, Any]] = []
    for position, child in enumerate(manifests):
        platform = child.platform if platforms is None else platforms[position]
        descriptor = Descriptor(
            media_type=child.media_type,
            digest=child.digest,
            size=child.size,
            platform=platform,
            annotations=entry_annotations,
        )
        entries.append(descriptor.to_dict())
    entries += [descriptor.to_dict() for descriptor in extra_entries]

    def build(current_annotations: Mapping[str, str] | None) -> dict[str, Any]:
        document: dict[str, Any] = {"schemaVersion": 2}
        if include_media_type:
            document["mediaType"] = media_type
        if artifact_type is not None:
            document["artifactType"] = artifact_type
        document["manifests"] = entries
        return finish_document(
            document, subject=subject, annotations=current_annotations, extra_fields=extra_fields
        )

    document = build_sized(build, target_size, annotations)
    unique = {child.digest: child for child in manifests}
    return Manifest(
        document=document, media_type=media_type, algorithm=algorithm, children=tuple(unique.values())
    )


def multi_platform_index(
    seed: Seed = None,
    *,
    platforms: Sequence[Mapping[str, Any]] = DEFAULT_PLATFORMS,
    layers: int = 1,
    algorithm: str = "sha256",
    **index_options: Any,
) -> Manifest:
    """An index with one fresh image manifest per platform (Linux amd64/arm64 and Windows by default)."""
    rng = rng_of(seed)
    images = [
        image_manifest(rng, layers=layers, platform=platform, algorithm=algorithm) for platform in platforms
    ]
    return image_index(images, algorithm=algorithm, **index_options)


def nested_index(seed: Seed = None, *, depth: int = 2, algorithm: str = "sha256") -> Manifest:
    """An index whose only entry is an index (repeated `depth - 1` times) over a multi-platform index."""
    index = multi_platform_index(seed, platforms=DEFAULT_PLATFORMS[:2], algorithm=algorithm)
    for _ in range(depth - 1):
        index = image_index([index], algorithm=algorithm)
    return index
