"""The table of protocol document schemas: names, files and the media types that select them.

Every document schema has a MUST-layer file under ``must/`` and may have a SHOULD-layer file under
``should/`` (same file name). Shared definitions live in ``defs.json`` in each layer and are not
documents themselves. To register a new document schema (for example the later ``results`` document),
add its JSON files and one :class:`SchemaEntry` row to :data:`ENTRIES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["must", "should"]
LEVELS: tuple[Level, ...] = ("must", "should")

#: Base URI of every schema ``$id``. The host is a reserved example domain: nothing is ever fetched.
BASE_URI = "https://registry-harness.example/schemas/"

OCI_DESCRIPTOR = "application/vnd.oci.descriptor.v1+json"
OCI_IMAGE_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_IMAGE_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONTAINER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"


@dataclass(frozen=True, slots=True)
class SchemaEntry:
    """One document schema: its public name, JSON file name and the media types it validates."""

    name: str
    file: str
    title: str
    media_types: tuple[str, ...] = ()


ENTRIES: tuple[SchemaEntry, ...] = (
    SchemaEntry("descriptor", "descriptor.json", "OCI content descriptor", (OCI_DESCRIPTOR,)),
    SchemaEntry("image-manifest", "image-manifest.json", "OCI image manifest", (OCI_IMAGE_MANIFEST,)),
    SchemaEntry("image-index", "image-index.json", "OCI image index", (OCI_IMAGE_INDEX,)),
    SchemaEntry(
        "image-config",
        "image-config.json",
        "OCI image configuration (also Docker container config)",
        (OCI_IMAGE_CONFIG, DOCKER_CONTAINER_CONFIG),
    ),
    SchemaEntry(
        "docker-manifest", "docker-manifest.json", "Docker image manifest V2 schema 2", (DOCKER_MANIFEST,)
    ),
    SchemaEntry(
        "docker-manifest-list", "docker-manifest-list.json", "Docker manifest list", (DOCKER_MANIFEST_LIST,)
    ),
    SchemaEntry("error-envelope", "error-envelope.json", "Registry error envelope"),
    SchemaEntry("tags-list", "tags-list.json", "Tags list response"),
    SchemaEntry("catalog", "catalog.json", "Catalog response"),
    SchemaEntry("referrers", "referrers.json", "Referrers response (an image index)"),
    SchemaEntry("results", "results.json", "registry-harness conformance results.json"),
)

#: Files loaded into the registry besides the documents (shared definitions, one per layer).
SHARED_FILES: tuple[str, ...] = ("defs.json",)

_BY_NAME = {entry.name: entry for entry in ENTRIES}
_BY_MEDIA_TYPE = {media_type: entry.name for entry in ENTRIES for media_type in entry.media_types}


def names() -> list[str]:
    """Return the names of every document schema, in catalogue order."""
    return [entry.name for entry in ENTRIES]


def entry_for(name: str) -> SchemaEntry | None:
    """Return the catalogue row for a schema name, or None when there is no such schema."""
    return _BY_NAME.get(name)


def normalize_media_type(media_type: str) -> str:
    """Strip parameters and whitespace and lower-case a media type (media types are case-insensitive)."""
    return media_type.split(";", 1)[0].strip().lower()


def name_for_media_type(media_type: str) -> str | None:
    """Return the schema name for an OCI/Docker manifest, index, list or config media type, else None."""
    return _BY_MEDIA_TYPE.get(normalize_media_type(media_type))


def schema_uri(level: Level, file: str) -> str:
    """Return the ``$id`` of a schema file in a layer."""
    return f"{BASE_URI}{level}/{file}"
