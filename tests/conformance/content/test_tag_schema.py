"""The referrers tag index as a client keeps it: descriptors per the spec's client steps, no duplicates."""

from __future__ import annotations

import random

import schemas
from conformance.content import artifact_manifest, image_index, image_manifest, referrer
from conformance.content.tag_schema import (
    appended,
    index_from_bytes,
    listed_digests,
    referrer_descriptor,
    tag_schema_index,
)
from conformance.spec import media_types


def test_descriptors_carry_artifact_type_config_type_and_annotations() -> None:
    rng = random.Random(7)
    subject = image_manifest(rng, layer_size=8)
    signed = referrer(subject, rng, annotations={"a": "1", "empty": ""})
    plain = image_manifest(rng, layer_size=8, subject=subject)
    bundle = image_index([artifact_manifest(rng, blob_size=8)], subject=subject)
    assert referrer_descriptor(signed).to_dict() == {
        "mediaType": media_types.OCI_MANIFEST, "digest": signed.digest, "size": signed.size,
        "annotations": {"a": "1", "empty": ""}, "artifactType": signed.document["artifactType"]}
    assert referrer_descriptor(plain).artifact_type == plain.document["config"]["mediaType"]
    assert referrer_descriptor(bundle).artifact_type is None
    assert referrer_descriptor(bundle).annotations is None


def test_appending_keeps_order_skips_duplicates_and_stays_a_valid_index() -> None:
    rng = random.Random(8)
    subject = image_manifest(rng, layer_size=8)
    first, second = referrer(subject, rng), referrer(subject, rng)
    empty = tag_schema_index()
    assert empty.document == {"schemaVersion": 2, "mediaType": media_types.OCI_INDEX, "manifests": []}
    one = appended(empty, referrer_descriptor(first))
    assert appended(one, referrer_descriptor(first)) is one
    two = appended(index_from_bytes(one.data, one.document), referrer_descriptor(second))
    assert listed_digests(two) == [first.digest, second.digest]
    assert listed_digests(one) == [first.digest] and empty.document["manifests"] == []
    assert schemas.validate(two.document, media_types.OCI_INDEX) == []
