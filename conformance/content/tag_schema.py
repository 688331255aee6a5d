"""The referrers tag schema's image index as a client maintains it (spec.md "Pushing Manifests with Subject").

Without the referrers API the client keeps, under the tag `referrers_tag(subject)`, an image index whose
`manifests` describe the subject's referrers. Its steps: pull the tag (a 404 means "begin with an empty
image index"), append a descriptor for the pushed manifest unless it is listed ("duplicate entries SHOULD
NOT be created"), push the index to the same tag. The descriptor carries the manifest's `mediaType`, `digest`
and `size`; `artifactType` is the manifest's, else (an image manifest) its config `mediaType`, and an
index without one gets none; "All annotations from the pushed manifest MUST be copied to this descriptor."

    index = tag_schema_index([referrer_descriptor(signature)])
    index = appended(index, referrer_descriptor(sbom))       # a new Manifest; `index` is unchanged
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conformance.content.descriptors import Descriptor
from conformance.content.manifests import Manifest
from conformance.spec import media_types


def referrer_descriptor(manifest: Manifest) -> Descriptor:
    """The descriptor a client appends to the referrers tag index for `manifest` (a referrer)."""
    artifact_type = manifest.document.get("artifactType") or None
    if artifact_type is None and manifest.media_type != media_types.OCI_INDEX:
        config = manifest.document.get("config")
        artifact_type = config.get("mediaType") if isinstance(config, dict) else None
    annotations = manifest.document.get("annotations")
    return Descriptor(manifest.media_type, manifest.digest, manifest.size,
                      annotations=dict(annotations) if annotations else None,
                      artifact_type=str(artifact_type) if artifact_type else None)


def tag_schema_index(descriptors: Sequence[Descriptor] = ()) -> Manifest:
    """An image index listing `descriptors` (an empty list: the index a client begins with after a 404)."""
    document: dict[str, Any] = {"schemaVersion": 2, "mediaType": media_types.OCI_INDEX,
                                "manifests": [descriptor.to_dict() for descriptor in descriptors]}
    return Manifest(document=document, media_type=media_types.OCI_INDEX)


def index_from_bytes(data: bytes, document: dict[str, Any]) -> Manifest:
    """The index a pull of the tag served (`document` parsed from `data`), kept byte for byte."""
    return Manifest(document=document, media_type=media_types.OCI_INDEX, raw=data)


def appended(index: Manifest, descriptor: Descriptor) -> Manifest:
    """`index` with `descriptor` appended to `manifests`, unless its digest is listed already."""
    entries: list[dict[str, Any]] = list(index.document.get("manifests") or [])
    if any(entry.get("digest") == descriptor.digest for entry in entries):
        return index
    document = {**index.document, "manifests": [*entries, descriptor.to_dict()]}
    return Manifest(document=document, media_type=media_types.OCI_INDEX)


def listed_digests(index: Manifest) -> list[str]:
    """The digests `index` lists, in order."""
    return [str(entry.get("digest")) for entry in index.document.get("manifests") or []]
