"""Hypothesis strategies for property and stateful checks of a registry (importing this imports Hypothesis).

Built by composition on `conformance.spec.strategies` (names, tags, digests) and the `conformance.content`
builders (documents drawn from parameters, never hand-written JSON):

- `references`: valid and invalid repository names, tags and digests (every registered algorithm, wrong
  lengths, upper-case hex, unregistered algorithms), and manifest references (a tag or a digest).
- `documents`: valid OCI image manifests, image indexes and artifacts of arbitrary shape, Docker
  schema 2 manifests, and tag sets.
- `chunks`: chunk plans (`ChunkPlan`): the sizes of the PATCHes of a chunked upload, 1-byte chunks
  included, with the final chunk in the closing PUT or not.
"""

from __future__ import annotations

from conformance.strategies.chunks import ChunkPlan, chunk_plans
from conformance.strategies.documents import (
    BuiltDocument,
    artifact_types,
    artifacts,
    docker_manifests,
    image_indexes,
    image_manifests,
    manifests,
    tag_sets,
)
from conformance.strategies.references import (
    InvalidValue,
    invalid_digests,
    invalid_names,
    invalid_tags,
    references,
    repository_names,
    tags,
    valid_digests,
)

__all__ = [
    "BuiltDocument",
    "ChunkPlan",
    "InvalidValue",
    "artifact_types",
    "artifacts",
    "chunk_plans",
    "docker_manifests",
    "image_indexes",
    "image_manifests",
    "invalid_digests",
    "invalid_names",
    "invalid_tags",
    "manifests",
    "references",
    "repository_names",
    "tag_sets",
    "tags",
    "valid_digests",
]
