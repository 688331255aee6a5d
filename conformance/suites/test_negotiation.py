"""Manifest content negotiation (`Accept` on GET/HEAD /v2/<name>/manifests/<ref>): a record-and-report matrix.

What is normative (spec.md "Pulling manifests"): a GET of an existing manifest MUST provide the expected
manifest with 200; a `Docker-Content-Digest` SHOULD (main: MUST) be the digest of the bytes served; the
`Content-Type` tells the type and SHOULD match what was pushed. Negotiation itself is barely normative:
`content-negotiation.md` is a TODO placeholder recording historic Docker Hub behaviour, and RFC 9110 lets a
server ignore `Accept` or answer 406. So (`conformance.checks.negotiation`): by digest the stored bytes are
expected under any `Accept`; by tag, with no `Accept` (really none: httpx's default `*/*` is removed), `*/*`
or an `Accept` naming the stored type, the stored manifest is expected, except the documented schema 1
rewrite of Docker types for old clients (only the Content-Type SHOULD then breaks); an `Accept` excluding the
stored type may get it anyway, a 406, a child or a documented rewrite, while a 404 or 400 for content that
exists departs from HTTP semantics (a SHOULD of the main branch). HEAD SHOULD answer like GET. Every answer
is recorded in the capability table as `negotiation:<stored>:<by>:<accept>` for the report.
"""

from __future__ import annotations

import random

import pytest

from conformance.checks.documents import push_tree
from conformance.checks.negotiation import RULES, judge_by_digest, judge_by_tag, run_matrix
from conformance.content import (
    Manifest,
    docker_manifest,
    docker_manifest_list,
    image_manifest,
    multi_platform_index,
)
from conformance.fixtures import Workspace

pytestmark = [pytest.mark.pull, pytest.mark.push, pytest.mark.writes, pytest.mark.negotiation,
              pytest.mark.rules(*RULES)]

ARM64 = {"architecture": "arm64", "os": "linux", "variant": "v8"}


def _stored(kind: str, rng: random.Random) -> Manifest:
    if kind == "oci-manifest":
        return image_manifest(rng)
    if kind == "oci-index":
        return multi_platform_index(rng, platforms=({"architecture": "amd64", "os": "linux"}, ARM64))
    if kind == "docker-manifest":
        return docker_manifest(rng)
    return docker_manifest_list([docker_manifest(rng), docker_manifest(rng, platform=ARM64)])


KINDS = {
    "oci-manifest": (),
    "oci-index": ("index",),
    "docker-manifest": ("docker_formats",),
    "docker-list": ("docker_formats",),
}


def _kinds() -> list[object]:
    return [
        pytest.param(kind, marks=[pytest.mark.feature(*features)] if features else [], id=kind)
        for kind, features in KINDS.items()
    ]


def _push_stored(workspace: Workspace, kind: str) -> tuple[Manifest, str]:
    """Push the `kind` manifest (with its blobs and children) under a fresh tag: the manifest and tag."""
    stored = _stored(kind, workspace.content)
    tag = f"neg-{workspace.content.getrandbits(24):06x}"
    push_tree(workspace.client, workspace.repo, stored, workspace.cleanup, tag)
    return stored, tag


@pytest.mark.parametrize("kind", _kinds())
def test_pull_by_digest_serves_exactly_that_content_under_any_accept(kind: str, workspace: Workspace) -> None:
    stored, _ = _push_stored(workspace, kind)
    run_matrix(
        workspace.client, workspace.repo, stored.digest, stored,
        lambda response, accept: judge_by_digest(response, stored, accept, workspace.config),
        capabilities=workspace.capabilities, key=f"{kind}:digest",
    )


@pytest.mark.parametrize("kind", _kinds())
def test_pull_by_tag_serves_the_stored_manifest_or_a_consistent_variant(
    kind: str, workspace: Workspace
) -> None:
    stored, tag = _push_stored(workspace, kind)
    children = {child.digest: child for child in stored.children}
    run_matrix(
        workspace.client, workspace.repo, tag, stored,
        lambda response, accept: judge_by_tag(response, stored, children, accept, workspace.config),
        capabilities=workspace.capabilities, key=f"{kind}:tag",
    )
