"""Strategies for valid manifests, indexes and artifacts of arbitrary shape, built by `conformance.content`.

Each strategy draws the builder's parameters (seed, layer count and sizes, compression, annotations,
artifact type, platforms, digest algorithm) and returns a `BuiltDocument`: the built `Manifest` plus a
short description of its shape. The description is the value's `repr`, so a falsifying example reads
`image manifest (2 layers of 0 and 17 bytes, gzip, 1 annotation)` instead of a page of JSON.
Documents are kept small: property checks push hundreds of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from conformance.content import (
    Manifest,
    artifact_manifest,
    docker_manifest,
    image_index,
    image_manifest,
    random_blob,
    tar_layer,
)
from conformance.content.artifacts import ARTIFACT_BLOB_TYPE
from conformance.strategies.references import tags

ARTIFACT_TYPES: tuple[str, ...] = (
    "application/vnd.example.registry-harness.signature.v1",
    "application/vnd.example.registry-harness.sbom.v1+json",
    "application/vnd.example.registry-harness.attestation.v1+json",
    "application/vnd.example.registry-harness.other",
)
"""Artifact types property checks choose from: few, so that filters by type match several referrers."""

PLATFORMS: tuple[dict[str, str], ...] = (
    {"architecture": "amd64", "os": "linux"},
    {"architecture": "arm64", "os": "linux", "variant": "v8"},
    {"architecture": "s390x", "os": "linux"},
    {"architecture": "amd64", "os": "windows", "os.version": "10.0.17763.1879"},
)


@dataclass(frozen=True)
class BuiltDocument:
    """A built manifest and the shape it was drawn with (its repr, for falsifying examples)."""

    manifest: Manifest
    shape: str

    def __repr__(self) -> str:
        return f"<{self.shape}: {self.manifest.digest[:19]}…, {self.manifest.size} bytes>"


_SEEDS = st.integers(0, 2**32 - 1)
_ANNOTATION_VALUES = st.text(
    st.characters(codec="utf-8"), max_size=12
)
ANNOTATIONS = st.dictionaries(
    st.from_regex(r"\Aorg\.example\.[a-z]{1,6}\Z", fullmatch=True), _ANNOTATION_VALUES, max_size=3
)
"""Annotation maps: 0-3 keys, any Unicode values (registries must keep the bytes exactly)."""


def artifact_types() -> st.SearchStrategy[str]:
    """One of `ARTIFACT_TYPES`."""
    return st.sampled_from(ARTIFACT_TYPES)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


SHA256_ONLY = st.just("sha256")


def image_manifests(algorithm: st.SearchStrategy[str] = SHA256_ONLY) -> st.SearchStrategy[BuiltDocument]:
    """OCI image manifests: 1-3 layers of 0-300 bytes, gzip or plain tar, 0-3 annotations."""

    @st.composite
    def build(draw: st.DrawFn) -> BuiltDocument:
        seed, chosen = draw(_SEEDS), draw(algorithm)
        sizes = draw(st.lists(st.integers(0, 300), min_size=1, max_size=3))
        compressed, annotations = draw(st.booleans()), draw(ANNOTATIONS)
        platform = draw(st.sampled_from(PLATFORMS))
        layers = [tar_layer(seed + position, file_size=size, compressed=compressed, algorithm=chosen)
                  for position, size in enumerate(sizes)]
        manifest = image_manifest(seed, layers=layers, annotations=annotations or None, platform=platform,
                                  algorithm=chosen)
        shape = (f"image manifest ({_plural(len(sizes), 'layer')} of {sizes} bytes, "
                 f"{'gzip' if compressed else 'tar'}, {_plural(len(annotations), 'annotation')}, {chosen})")
        return BuiltDocument(manifest, shape)

    return build()


def artifacts(
    subject: Manifest | None = None, types: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[BuiltDocument]:
    """Artifact manifests: `artifactType`, empty config, 0-2 payload blobs (0 = the empty JSON layer)."""

    @st.composite
    def build(draw: st.DrawFn) -> BuiltDocument:
        seed = draw(_SEEDS)
        artifact_type = draw(types if types is not None else artifact_types())
        sizes = draw(st.lists(st.integers(0, 200), max_size=2))
        annotations = draw(ANNOTATIONS)
        blobs = [random_blob(seed + position, size, media_type=ARTIFACT_BLOB_TYPE)
                 for position, size in enumerate(sizes)]
        manifest = artifact_manifest(seed, artifact_type=artifact_type, blobs=blobs or 0, subject=subject,
                                     annotations=annotations or None)
        kind = artifact_type.rsplit("registry-harness.", 1)[-1].split(".v1", 1)[0]
        shape = f"artifact {kind} ({_plural(len(sizes), 'payload blob')})"
        return BuiltDocument(manifest, shape)

    return build()


def image_indexes() -> st.SearchStrategy[BuiltDocument]:
    """OCI image indexes over 0-3 image manifests or artifacts, with platforms, maybe `artifactType`."""

    @st.composite
    def build(draw: st.DrawFn) -> BuiltDocument:
        children = draw(st.lists(st.one_of(image_manifests(), artifacts()), max_size=3,
                                 unique_by=lambda built: built.manifest.digest))
        platforms = [draw(st.sampled_from(PLATFORMS)) for _ in children]
        artifact_type = draw(st.none() | artifact_types())
        annotations = draw(ANNOTATIONS)
        index = image_index([child.manifest for child in children], platforms=platforms,
                            artifact_type=artifact_type, annotations=annotations or None)
        shape = (f"image index of [{', '.join(child.shape for child in children)}]"
                 + (f", artifactType {artifact_type}" if artifact_type else ""))
        return BuiltDocument(index, shape)

    return build()


def docker_manifests() -> st.SearchStrategy[BuiltDocument]:
    """Docker image manifests (schema 2): 1-2 gzip layers of 0-300 bytes."""

    @st.composite
    def build(draw: st.DrawFn) -> BuiltDocument:
        seed, layers, size = draw(_SEEDS), draw(st.integers(1, 2)), draw(st.integers(0, 300))
        return BuiltDocument(docker_manifest(seed, layers=layers, layer_size=size),
                             f"docker schema 2 manifest ({_plural(layers, 'layer')} of {size} bytes)")

    return build()


def manifests(
    docker: bool = True, algorithms: tuple[str, ...] = ("sha256",)
) -> st.SearchStrategy[BuiltDocument]:
    """Any valid manifest: image manifest, artifact, image index, and (with `docker`) Docker schema 2.

    `algorithms` are the digest algorithms image manifests (and their blobs) may use.
    """
    options = [image_manifests(st.sampled_from(algorithms)), artifacts(), image_indexes()]
    if docker:
        options.append(docker_manifests())
    return st.one_of(options)


def tag_sets(min_size: int = 0, max_size: int = 12) -> st.SearchStrategy[frozenset[str]]:
    """Sets of distinct valid tags (mixed case, digits, `.`, `_`, `-`; up to 128 characters)."""
    short = st.from_regex(r"\A[a-zA-Z0-9_][a-zA-Z0-9._-]{0,11}\Z", fullmatch=True)
    return st.frozensets(st.one_of(short, short, tags()), min_size=min_size, max_size=max_size)
