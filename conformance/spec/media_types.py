"""Media-type constants: OCI image-spec, Docker Image Manifest V2 Schema 2, and legacy schema 1.

Sources: image-spec `media-types.md`, distribution `docs/spec/manifest-v2-2.md`. Schema 1 types
exist only so negative tests can send them.
"""

from __future__ import annotations

# OCI image-spec
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_TAR_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
OCI_LAYER_NONDISTRIBUTABLE_TAR = "application/vnd.oci.image.layer.nondistributable.v1.tar"
OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
OCI_LAYER_NONDISTRIBUTABLE_TAR_ZSTD = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
OCI_LAYOUT_HEADER = "application/vnd.oci.layout.header.v1+json"

# Docker Image Manifest V2, Schema 2
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
DOCKER_PLUGIN_CONFIG = "application/vnd.docker.plugin.v1+json"

# Docker schema 1 (deprecated; for negative tests only)
DOCKER_SCHEMA1_MANIFEST = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_SCHEMA1_SIGNED_MANIFEST = "application/vnd.docker.distribution.manifest.v1+prettyjws"

# Generic
OCTET_STREAM = "application/octet-stream"
JSON = "application/json"

MANIFEST_TYPES: tuple[str, ...] = (OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST)
"""Media types of manifests a registry stores and serves (image manifests and indexes, both families)."""

INDEX_TYPES: tuple[str, ...] = (OCI_INDEX, DOCKER_MANIFEST_LIST)
"""Media types whose documents list other manifests (`manifests[]`)."""

IMAGE_MANIFEST_TYPES: tuple[str, ...] = (OCI_MANIFEST, DOCKER_MANIFEST)
"""Media types whose documents have `config` and `layers`."""

NON_DISTRIBUTABLE_LAYER_TYPES: tuple[str, ...] = (
    OCI_LAYER_NONDISTRIBUTABLE_TAR,
    OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP,
    OCI_LAYER_NONDISTRIBUTABLE_TAR_ZSTD,
    DOCKER_FOREIGN_LAYER,
)
"""Layer media types whose blobs are fetched from `urls` and are not pushed to the registry."""

SCHEMA1_TYPES: tuple[str, ...] = (DOCKER_SCHEMA1_MANIFEST, DOCKER_SCHEMA1_SIGNED_MANIFEST)
"""Legacy schema 1 manifest types, for negative tests."""
