"""Deterministic content for checks: blobs, layers, configs, manifests, indexes, artifacts, Docker types.

Every builder takes a seed (`random.Random`, int or None) and computes digests itself. Import from
here: `Blob`, `Descriptor`, `Manifest`, `random_blob`, `empty_blob`, `empty_json_blob`,
`empty_json_descriptor`, `tar_layer`, `image_config`, `image_manifest`, and (see their modules)
`image_index`, `artifact_manifest`, `docker_manifest`, `docker_manifest_list`, `foreign_layer`.
"""

from __future__ import annotations

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
    "canonical_json",
    "docker_container_config",
    "empty_blob",
    "empty_json_blob",
    "empty_json_descriptor",
    "image_config",
    "image_manifest",
    "random_blob",
    "rng_of",
    "tar_layer",
]
