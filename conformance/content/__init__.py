"""Deterministic content for checks: blobs, layers, configs, manifests, indexes, artifacts, Docker types.

Every builder takes a seed (`random.Random`, int or None) and computes digests itself. Import from
here: `Blob`, `Descriptor`, `Manifest`, `random_blob`, `empty_blob`, `empty_json_blob`,
`empty_json_descriptor`, `tar_layer`, `image_config`, `image_manifest`, `image_index`,
`multi_platform_index`, `nested_index`, `artifact_manifest`, `referrer`, `index_referrer`,
`docker_manifest`, `docker_manifest_list`, `docker_multi_platform`, `foreign_layer`,
`schema1_manifest` (negative tests only).
"""

from __future__ import annotations

from conformance.content.artifacts import artifact_manifest, index_referrer, referrer
from conformance.content.blobs import (
    EMPTY_JSON_DIGEST,
    Blob,
    Seed,
    empty_blob,
    empty_json_blob,
    empty_json_descriptor,
    random_blob,
    rng_of,
)
from conformance.content.configs import canonical_json, docker_container_config, image_config
from conformance.content.descriptors import Content, Descriptor
from conformance.content.docker import (
    docker_manifest,
    docker_manifest_list,
    docker_multi_platform,
    foreign_layer,
    schema1_manifest,
)
from conformance.content.indexes import image_index, multi_platform_index, nested_index
from conformance.content.layers import Layer, tar_layer
from conformance.content.manifests import Manifest, image_manifest

__all__ = [
    "EMPTY_JSON_DIGEST",
    "Blob",
    "Content",
    "Descriptor",
    "Layer",
    "Manifest",
    "Seed",
    "artifact_manifest",
    "canonical_json",
    "docker_container_config",
    "docker_manifest",
    "docker_manifest_list",
    "docker_multi_platform",
    "empty_blob",
    "empty_json_blob",
    "empty_json_descriptor",
    "foreign_layer",
    "image_config",
    "image_index",
    "image_manifest",
    "index_referrer",
    "multi_platform_index",
    "nested_index",
    "random_blob",
    "referrer",
    "rng_of",
    "schema1_manifest",
    "tar_layer",
]
