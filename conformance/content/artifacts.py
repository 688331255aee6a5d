"""Artifacts and referrers (image-spec `artifacts-guidance.md`, distribution-spec referrers API).

An artifact is an image manifest with `artifactType`, usually the empty config `{}` and blobs of any
media type as `layers` (or no layers at all: the empty JSON descriptor stands in as one layer,
as the guidance recommends). Give it a `subject` to make it a referrer of another manifest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from conformance.content.blobs import Blob, Seed, empty_json_blob, random_blob, rng_of
from conformance.content.descriptors import Descriptor
from conformance.content.indexes import image_index
from conformance.content.manifests import Manifest, image_manifest

SIGNATURE_ARTIFACT_TYPE = "application/vnd.example.registry-harness.signature.v1"
SBOM_ARTIFACT_TYPE = "application/vnd.example.registry-harness.sbom.v1+json"
ARTIFACT_BLOB_TYPE = "application/vnd.example.registry-harness.payload.v1"


def artifact_manifest(
    seed: Seed = None,
    *,
    artifact_type: str = SBOM_ARTIFACT_TYPE,
    blobs: Sequence[Blob] | int = 1,
    blob_size: int = 128,
    subject: Manifest | Descriptor | None = None,
    annotations: Mapping[str, str] | None = None,
    config: Blob | None = None,
    algorithm: str = "sha256",
) -> Manifest:
    """An artifact manifest: empty config (unless `config`), `artifactType`, payload blobs as layers.

    `blobs=0` gives the "no payload" form whose only layer is the empty JSON descriptor.
    """
    rng = rng_of(seed)
    if isinstance(blobs, int):
        payload = [
            random_blob(rng, blob_size, media_type=ARTIFACT_BLOB_TYPE, algorithm=algorithm)
            for _ in range(blobs)
        ] or [empty_json_blob(algorithm)]
    else:
        payload = list(blobs)
    return image_manifest(
        rng,
        layers=payload,
        config=config,
        empty_config=config is None,
        artifact_type=artifact_type,
        subject=subject,
        annotations=annotations,
        algorithm=algorithm,
    )


def referrer(
    subject: Manifest | Descriptor,
    seed: Seed = None,
    *,
    artifact_type: str = SIGNATURE_ARTIFACT_TYPE,
    annotations: Mapping[str, str] | None = None,
    algorithm: str = "sha256",
) -> Manifest:
    """A small artifact whose `subject` is `subject` (what the referrers API must then list)."""
    return artifact_manifest(
        seed, artifact_type=artifact_type, subject=subject, annotations=annotations, algorithm=algorithm
    )


def index_referrer(
    subject: Manifest | Descriptor,
    manifests: Sequence[Manifest],
    *,
    artifact_type: str = SBOM_ARTIFACT_TYPE,
    annotations: Mapping[str, str] | None = None,
) -> Manifest:
    """An image index with `artifactType` and a `subject`: an index-shaped referrer."""
    return image_index(manifests, artifact_type=artifact_type, subject=subject, annotations=annotations)
