"""Built manifests and the OCI image manifest builder (image-spec `manifest.md`).

A `Manifest` is any JSON document a registry stores under `manifests/`: OCI image manifest or
index, Docker schema 2 manifest or manifest list. It knows its exact bytes (`data`), `digest`,
`size`, `media_type`, the blobs it needs pushed first (`blobs_to_push`) and the manifests it
references that must be pushed before it (`children`). `push_image` in the client walks these.
Treat `document` as read-only (bytes and digest are computed once): to change a field, edit a
copy (`json.loads(manifest.data)`) and call `manifest.with_document(copy)`.

    manifest = image_manifest(seed=1, layers=2, annotations={"a": "b"})
    manifest.digest, manifest.size, manifest.data      # computed here, never taken from a registry
    manifest.descriptor(platform={...})               # to reference it from an index

Options of `image_manifest` cover the formats a suite needs: layer count or explicit layers,
uncompressed layers, empty config + `artifactType`, `subject`, annotations (with `target_size`
padding to land exactly on a byte count, e.g. just under or over 4 MiB), `data` on the config
descriptor, custom extra fields, no layers, non-distributable layers with `urls` (never pushed)
and sha512 digests throughout (`algorithm="sha512"`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from conformance.content.blobs import Blob, Seed, empty_json_blob, rng_of
from conformance.content.configs import canonical_json, image_config
from conformance.content.descriptors import Descriptor
from conformance.content.layers import tar_layer
from conformance.spec import media_types
from conformance.spec.digests import digest_bytes

PADDING_ANNOTATION = "org.example.registry-harness.padding"
NON_DISTRIBUTABLE_URL = "https://example.com/registry-harness/layer"


@dataclass(frozen=True)
class Manifest:
    """A manifest-like JSON document ready to push, with everything it depends on."""

    document: dict[str, Any]
    media_type: str
    algorithm: str = "sha256"
    blobs_to_push: tuple[Blob, ...] = ()
    children: tuple[Manifest, ...] = ()
    platform: Mapping[str, Any] | None = None
    raw: bytes | None = field(default=None, repr=False)

    @cached_property
    def data(self) -> bytes:
        """The bytes to push: `raw` when given, else compact JSON of `document`."""
        return self.raw if self.raw is not None else canonical_json(self.document)

    @cached_property
    def digest(self) -> str:
        """Digest of `data` with this manifest's algorithm."""
        return digest_bytes(self.data, self.algorithm)

    @property
    def size(self) -> int:
        """Length of `data` in bytes."""
        return len(self.data)

    @property
    def artifact_type(self) -> str | None:
        """`artifactType` of the document, else the config media type (as the referrers API reports it)."""
        value = self.document.get("artifactType")
        if isinstance(value, str):
            return value
        config = self.document.get("config")
        return config.get("mediaType") if isinstance(config, dict) else None

    def descriptor(self, **fields: Any) -> Descriptor:
        """A descriptor of this manifest (the build-time `platform` unless one is passed)."""
        fields.setdefault("platform", self.platform)
        return Descriptor(media_type=self.media_type, digest=self.digest, size=self.size, **fields)

    def with_document(self, document: dict[str, Any]) -> Manifest:
        """The same dependencies with another document (negative tests: wrong sizes, bad fields)."""
        return replace(self, document=document, raw=None)

    def with_raw(self, raw: bytes) -> Manifest:
        """The same dependencies with other exact bytes (pretty-printed JSON, broken JSON, ...)."""
        return replace(self, raw=raw)

    def all_blobs(self) -> list[Blob]:
        """Blobs of this manifest and, recursively, of its children, each digest once."""
        seen: dict[str, Blob] = {}
        for child in self.children:
            for blob in child.all_blobs():
                seen.setdefault(blob.digest, blob)
        for blob in self.blobs_to_push:
            seen.setdefault(blob.digest, blob)
        return list(seen.values())


def as_descriptor(target: Manifest | Descriptor) -> Descriptor:
    """A descriptor for `subject` fields: a built manifest's own, or the one given."""
    if isinstance(target, Manifest):
        return Descriptor(media_type=target.media_type, digest=target.digest, size=target.size)
    return target


def pad_to_size(build: Any, target_size: int, annotations: dict[str, str]) -> dict[str, Any]:
    """Grow the padding annotation until `canonical_json(build(annotations))` is `target_size` bytes."""
    annotations[PADDING_ANNOTATION] = ""
    base = len(canonical_json(build(annotations)))
    if target_size < base:
        raise ValueError(f"target_size {target_size} is below the unpadded size {base}")
    annotations[PADDING_ANNOTATION] = "x" * (target_size - base)
    document: dict[str, Any] = build(annotations)
    return document


def finish_document(
    document: dict[str, Any],
    *,
    subject: Manifest | Descriptor | None,
    annotations: Mapping[str, str] | None,
    extra_fields: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Add the optional tail that manifests and indexes share: `subject`, `annotations`, extra fields."""
    if subject is not None:
        document["subject"] = as_descriptor(subject).to_dict()
    if annotations:
        document["annotations"] = dict(annotations)
    document.update(extra_fields or {})
    return document


def build_sized(build: Any, target_size: int | None, annotations: Mapping[str, str] | None) -> dict[str, Any]:
    """`build(annotations)`, padded to exactly `target_size` bytes when one is given."""
    if target_size is not None:
        return pad_to_size(build, target_size, dict(annotations or {}))
    document: dict[str, Any] = build(annotations)
    return document


def image_manifest(
    seed: Seed = None,
    *,
    layers: int | Sequence[Blob] = 1,
    layer_size: int = 256,
    compressed_layers: bool = True,
    config: Blob | None = None,
    empty_config: bool = False,
    artifact_type: str | None = None,
    subject: Manifest | Descriptor | None = None,
    annotations: Mapping[str, str] | None = None,
    target_size: int | None = None,
    config_data: bool = False,
    extra_fields: Mapping[str, Any] | None = None,
    non_distributable_layers: int = 0,
    include_media_type: bool = True,
    platform: tuple[str, str] | Mapping[str, Any] = ("linux", "amd64"),
    algorithm: str = "sha256",
) -> Manifest:
    """Build an OCI image manifest; see the module docstring for the options.

    `layers` is a count of fresh gzip tar layers (plain tar with `compressed_layers=False`) or the
    exact blobs to list. `platform` is `(os, architecture)` or a platform mapping; it shapes the
    config and the descriptor an index gets. `non_distributable_layers` appends that many
    non-distributable layers with `urls` that are NOT in `blobs_to_push`.
    """
    rng = rng_of(seed)
    plat = _platform(platform)
    if isinstance(layers, int):
        layer_blobs: list[Blob] = [
            tar_layer(rng, file_size=layer_size, compressed=compressed_layers, algorithm=algorithm)
            for _ in range(layers)
        ]
    else:
        layer_blobs = list(layers)
    foreign = [
        tar_layer(
            rng,
            file_size=layer_size,
            media_type=media_types.OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP,
            algorithm=algorithm,
        )
        for _ in range(non_distributable_layers)
    ]
    if config is None:
        if empty_config:
            config = empty_json_blob(algorithm)
        else:
            diff_ids = [getattr(blob, "diff_id", "") or blob.digest for blob in [*layer_blobs, *foreign]]
            config = image_config(
                diff_ids,
                architecture=plat["architecture"],
                os=plat["os"],
                variant=plat.get("variant"),
                os_version=plat.get("os.version"),
                algorithm=algorithm,
            )
    config_descriptor = config.descriptor(data=config.data) if config_data else config.descriptor()
    layer_descriptors = [blob.descriptor().to_dict() for blob in layer_blobs]
    layer_descriptors += [
        blob.descriptor(urls=(f"{NON_DISTRIBUTABLE_URL}/{blob.digest}",)).to_dict() for blob in foreign
    ]

    def build(current_annotations: Mapping[str, str] | None) -> dict[str, Any]:
        document: dict[str, Any] = {"schemaVersion": 2}
        if include_media_type:
            document["mediaType"] = media_types.OCI_MANIFEST
        if artifact_type is not None:
            document["artifactType"] = artifact_type
        document["config"] = config_descriptor.to_dict()
        document["layers"] = layer_descriptors
        return finish_document(
            document, subject=subject, annotations=current_annotations, extra_fields=extra_fields
        )

    document = build_sized(build, target_size, annotations)
    pushed = [config, *layer_blobs]
    return Manifest(
        document=document,
        media_type=media_types.OCI_MANIFEST,
        algorithm=algorithm,
        blobs_to_push=tuple(_unique(pushed)),
        platform=plat,
    )


def _platform(platform: tuple[str, str] | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(platform, tuple):
        os_name, architecture = platform
        return {"architecture": architecture, "os": os_name}
    return dict(platform)


def _unique(blobs: Sequence[Blob]) -> list[Blob]:
    seen: dict[str, Blob] = {}
    for blob in blobs:
        seen.setdefault(blob.digest, blob)
    return list(seen.values())
