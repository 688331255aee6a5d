"""The manifest formats the round-trip checks push (`suites/test_manifest_formats.py`), each with its rule.

A `Format` builds a `Case` (the manifest pushed by tag, and a `subject` pushed before it when given) and
names the ledger rule a REFUSAL of that manifest breaks: the sentence that makes a registry store it (an
image-spec "MUST support" or "MUST NOT error on unknown ...", spec.md's missing-subject MUST), or one that
only allows it (MAY, no keyword: the refusal is advice and the check ends unsupported). `never_pushed`
marks layers that are by design never uploaded (non-distributable, foreign), which a registry MAY refuse
as missing references if it names `MANIFEST_BLOB_UNKNOWN`; `as_missing` names the (contested) rule a refusal
naming `MANIFEST_BLOB_UNKNOWN` is judged on where the registry may see a reference as missing (an index entry
of an unknown type, pushed as a blob).

`FORMATS` maps the check's parameter id to its format; `features` are the switches (`OCI_DATA_*`) that
turn a case off.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable
from dataclasses import dataclass

from conformance.content import (
    Descriptor,
    Manifest,
    artifact_manifest,
    docker_manifest,
    docker_manifest_list,
    image_config,
    image_index,
    image_manifest,
    index_referrer,
    multi_platform_index,
    nested_index,
    random_blob,
    referrer,
    tar_layer,
)
from conformance.content.blobs import Blob
from conformance.ledger.model import Rule
from conformance.ledger.rules import content, manifests
from conformance.spec import media_types
from conformance.spec.digests import digest_bytes

EXAMPLE_TYPE = "application/vnd.example.registry-harness.custom.v1"
"""An artifact, config, layer or index-entry media type no registry knows."""


@dataclass(frozen=True)
class Case:
    """What one format case pushes: `top` (by tag), and a `subject` pushed first when given."""

    top: Manifest
    subject: Manifest | None = None
    subject_digest: str | None = None
    never_pushed: str | None = None
    """Why some referenced blobs are never pushed (then MANIFEST_BLOB_UNKNOWN is an allowed refusal)."""


@dataclass(frozen=True)
class Format:
    """A case builder, the switches that turn it off, and the rule a refusal of its manifest breaks."""

    build: Callable[[random.Random], Case]
    features: tuple[str, ...]
    refusal: Rule
    as_missing: Rule | None = None
    """The rule a refusal that names MANIFEST_BLOB_UNKNOWN breaks instead (a contested reading)."""


def zstd_frame(data: bytes) -> bytes:
    """`data` as one zstd frame of raw (stored) blocks (RFC 8878): valid zstd, no compression needed."""
    header = b"\x28\xb5\x2f\xfd" + bytes([0xA0]) + struct.pack("<I", len(data))  # single segment, 4-byte size
    blocks = bytearray()
    limit = 128 * 1024
    for start in range(0, max(len(data), 1), limit):
        piece = data[start : start + limit]
        last = 1 if start + limit >= len(data) else 0
        blocks += (len(piece) << 3 | last).to_bytes(3, "little") + piece
    return header + bytes(blocks)


def _zstd_image(rng: random.Random) -> Case:
    tar = tar_layer(rng, compressed=False)
    layer = Blob(zstd_frame(tar.data), media_types.OCI_LAYER_TAR_ZSTD)
    config = image_config([tar.diff_id])
    return Case(image_manifest(rng, layers=[layer], config=config))


def _unknown_layer_image(rng: random.Random) -> Case:
    return Case(image_manifest(rng, layers=[random_blob(rng, 96, media_type=EXAMPLE_TYPE)]))


def _config_extra_fields_image(rng: random.Random) -> Case:
    layer = tar_layer(rng)
    config = image_config([layer.diff_id], extra={"org.example.registry-harness": {"extra": [1, "two"]}})
    return Case(image_manifest(rng, layers=[layer], config=config))


def _unknown_entry_index(rng: random.Random) -> Case:
    image = image_manifest(rng)
    blob = random_blob(rng, 64, media_type=EXAMPLE_TYPE)
    index = image_index([image], extra_entries=[blob.descriptor()])
    return Case(Manifest(document=index.document, media_type=index.media_type, children=(image,),
                         blobs_to_push=(blob,)))


def _subject_case(rng: random.Random) -> Case:
    subject = image_manifest(rng)
    signature = referrer(subject, rng, annotations={"org.example.kind": "signature"})
    return Case(signature, subject, subject.digest)


def _missing_subject_case(rng: random.Random) -> Case:
    ghost = Descriptor(image_manifest(rng).media_type, digest_bytes(rng.randbytes(64)), 1234)
    return Case(referrer(ghost, rng), None, ghost.digest)


def _index_subject_case(rng: random.Random) -> Case:
    subject = multi_platform_index(rng, platforms=({"architecture": "amd64", "os": "linux"},))
    children = [artifact_manifest(rng, subject=subject)]
    top = index_referrer(subject, children, annotations={"org.example.kind": "sbom-set"})
    return Case(top, subject, subject.digest)


def _custom_fields_case(rng: random.Random) -> Case:
    image = image_manifest(rng, extra_fields={"org.example.custom": {"nested": [1, "two", None]}})
    return Case(image_index([image], extra_fields={"org.example.index-field": 42}))


def _data_field_case(rng: random.Random) -> Case:
    image = image_manifest(rng, config_data=True)
    with_data = Descriptor(image.media_type, image.digest, image.size, data=image.data,
                           platform={"architecture": "amd64", "os": "linux"})
    index = image_index([], extra_entries=[with_data])
    return Case(Manifest(document=index.document, media_type=index.media_type, children=(image,)))


def _artifact_index(rng: random.Random) -> Case:
    return Case(image_index([artifact_manifest(rng), artifact_manifest(rng)], artifact_type=EXAMPLE_TYPE))


def _docker_list(rng: random.Random) -> Case:
    arm = {"architecture": "arm64", "os": "linux", "variant": "v8"}
    return Case(docker_manifest_list([docker_manifest(rng), docker_manifest(rng, platform=arm)]))


FORMATS: dict[str, Format] = {
    "oci-image": Format(lambda rng: Case(image_manifest(rng, layers=2)), (),
                        content.IMAGE_MEDIA_TYPES_SUPPORTED),
    "oci-image-uncompressed-layers": Format(
        lambda rng: Case(image_manifest(rng, compressed_layers=False)), (),
        content.IMAGE_MEDIA_TYPES_SUPPORTED,
    ),
    "oci-image-zstd-layers": Format(_zstd_image, (), content.ZSTD_LAYERS_SUPPORTED),
    "oci-image-unknown-layer-type": Format(_unknown_layer_image, (), content.UNKNOWN_LAYER_MEDIA_TYPE),
    "oci-image-config-extra-fields": Format(_config_extra_fields_image, (), content.CONFIG_EXTRA_FIELDS),
    "oci-image-unknown-annotations": Format(
        lambda rng: Case(image_manifest(rng, annotations={"org.example.registry-harness.note": "x",
                                                          "org.example.empty": ""})),
        (), content.UNKNOWN_ANNOTATION_KEY),
    "oci-index": Format(lambda rng: Case(multi_platform_index(rng)), ("index",),
                        content.INDEX_MANIFEST_TYPE_SUPPORTED),
    "oci-nested-index": Format(lambda rng: Case(nested_index(rng)), ("nested_index",),
                               content.INDEX_NESTED_SUPPORTED),
    "oci-empty-index": Format(lambda rng: Case(image_index([])), ("index",), content.INDEX_MAY_BE_EMPTY),
    "index-unknown-entry-type": Format(_unknown_entry_index, ("index",), content.INDEX_UNKNOWN_MEDIA_TYPE,
                                       as_missing=content.INDEX_UNKNOWN_ENTRY_AS_MISSING),
    "artifact": Format(lambda rng: Case(artifact_manifest(rng, artifact_type=EXAMPLE_TYPE)), ("artifact",),
                       content.UNKNOWN_ARTIFACT_TYPE),
    "artifact-unknown-config-type": Format(
        lambda rng: Case(artifact_manifest(rng, config=random_blob(rng, 48, media_type=EXAMPLE_TYPE))),
        ("artifact",), content.UNKNOWN_CONFIG_MEDIA_TYPE),
    "artifact-without-layers": Format(lambda rng: Case(artifact_manifest(rng, blobs=0)), ("artifact",),
                                      content.UNKNOWN_ARTIFACT_TYPE),
    "artifact-index": Format(_artifact_index, ("artifact_index",), content.INDEX_MANIFEST_TYPE_SUPPORTED),
    "subject": Format(_subject_case, ("subject",), content.UNKNOWN_ARTIFACT_TYPE),
    "missing-subject": Format(_missing_subject_case, ("subject_missing",),
                              manifests.SUBJECT_MISSING_ACCEPTED),
    "index-with-subject": Format(_index_subject_case, ("subject_index",),
                                 content.INDEX_MANIFEST_TYPE_SUPPORTED),
    "data-field": Format(_data_field_case, ("data_field",), content.UNKNOWN_PROPERTY),
    "custom-fields": Format(_custom_fields_case, ("custom_fields",), content.UNKNOWN_PROPERTY),
    "no-layers": Format(lambda rng: Case(image_manifest(rng, layers=0)), ("empty_layers",),
                        manifests.BLOB_LIST_MAY_BE_EMPTY),
    "non-distributable-layers": Format(
        lambda rng: Case(image_manifest(rng, non_distributable_layers=2), never_pushed="non-distributable"),
        ("nondistributable",), content.NONDISTRIBUTABLE_MEDIA_TYPES_SUPPORTED),
    "docker-schema2": Format(lambda rng: Case(docker_manifest(rng, layers=2)), ("docker_formats",),
                             content.DOCKER_FORMATS_ACCEPTED),
    "docker-manifest-list": Format(_docker_list, ("docker_formats",), content.DOCKER_FORMATS_ACCEPTED),
    "docker-foreign-layers": Format(
        lambda rng: Case(docker_manifest(rng, foreign_layers=1), never_pushed="foreign"),
        ("docker_formats", "nondistributable"), content.DOCKER_FOREIGN_LAYERS),
}


def descendants(manifest: Manifest) -> list[Manifest]:
    """Every child manifest below `manifest` (each once)."""
    found: dict[str, Manifest] = {}
    stack = list(manifest.children)
    while stack:
        child = stack.pop()
        if child.digest not in found:
            found[child.digest] = child
            stack.extend(child.children)
    return list(found.values())


def data_fields(document: object, path: str = "$") -> set[str]:
    """JSON paths of every descriptor (an object with a `digest`) that carries a `data` field."""
    found: set[str] = set()
    if isinstance(document, dict):
        if "digest" in document and "data" in document:
            found.add(path)
        for key, value in document.items():
            found |= data_fields(value, f"{path}.{key}")
    elif isinstance(document, list):
        for position, value in enumerate(document):
            found |= data_fields(value, f"{path}[{position}]")
    return found
