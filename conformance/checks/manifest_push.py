"""Assertion helpers of the manifest push checks (`suites/test_manifests.py`, spec.md "Pushing Manifests").

Each helper states one rule of a manifest PUT and raises `must`/`should` itself:

- `push_and_check`: children first, then the PUT: 201 with `Location` and `Docker-Content-Digest`.
- `check_location_serves`: the `Location` a push answered serves the exact manifest.
- `check_accepted_by_digest`: an accepted PUT by digest is pushed as the spec says and its digest serves it.
- `push_large`: a PUT by digest of a manifest of about a given size (size limits): never a 5xx.
- `check_refused_as_invalid`: an invalid manifest is refused: never a 5xx (MUST), a 4xx that is 400 with
  `MANIFEST_INVALID` by convention (SHOULD: the spec states no MUST), acceptance a warning.
"""

from __future__ import annotations

import random

from conformance.checks.documents import (
    check_error_response,
    check_manifest_pushed,
    check_manifest_served,
    push_children,
)
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import Manifest, image_manifest
from conformance.options import RunConfig
from conformance.verdicts import must, should

PUSH = "spec.md#pushing-manifests"


def push_and_check(
    client: RegistryClient, repo: str, image: Manifest, reference: str, cleanup: Cleanup
) -> Response:
    """PUT `image` (children first) by `reference`: 201 with `Location` and `Docker-Content-Digest`."""
    push_children(client, repo, image, cleanup)
    response = client.manifest_put(repo, reference, image.data, image.media_type)
    cleanup.manifest(repo, image.digest)
    check_manifest_pushed(response, image)
    return response


def check_location_serves(
    client: RegistryClient, pushed: Response, image: Manifest, registry_config: RunConfig
) -> None:
    """The `Location` a push answered serves `image`."""
    location = pushed.location
    assert location is not None
    check_manifest_served(
        client.request("GET", location, headers={"Accept": image.media_type}),
        image,
        registry_config,
        ref=PUSH,
    )


def check_refused_as_invalid(response: Response, case: str) -> None:
    """An invalid manifest (`case`) is refused: no 5xx; a 4xx, 400 `MANIFEST_INVALID` by convention."""
    must(
        response.status_code < 500,
        f"{case}: {response.describe()}: a server error for a bad manifest",
        ref=PUSH,
    )
    if response.status_code == 201:
        should(False, f"{case}: {response.describe()}: an invalid manifest was accepted", ref=PUSH)
        return
    must(
        400 <= response.status_code < 500, f"{case}: {response.describe()}, expected a 4xx refusal", ref=PUSH
    )
    should(response.status_code == 400, f"{case}: {response.describe()}, expected 400", ref=PUSH)
    check_error_response(
        response, range(400, 500), ("MANIFEST_INVALID",), case, ref="code-6", code_level="should"
    )


def push_large(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, size: int
) -> tuple[Manifest, Response]:
    """PUT by digest of an image manifest of about `size` bytes; never a server error."""
    image = image_manifest(content, target_size=size)
    push_children(client, repo, image, cleanup)
    response = client.manifest_put(repo, image.digest, image.data, image.media_type)
    must(
        response.status_code < 500,
        f"{response.describe()}: server error for a {image.size}-byte manifest",
        ref=PUSH,
    )
    return image, response


def check_accepted_by_digest(
    client: RegistryClient, repo: str, image: Manifest, response: Response, *, cleanup: Cleanup,
    config: RunConfig,
) -> None:
    """An accepted PUT by digest: pushed as the spec says, and the digest serves the exact manifest."""
    cleanup.manifest(repo, image.digest)
    check_manifest_pushed(response, image)
    check_manifest_served(client.manifest_get(repo, image.digest), image, config)
