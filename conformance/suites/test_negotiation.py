"""Manifest content negotiation (`Accept` on GET /v2/<name>/manifests/<ref>): a record-and-report matrix.

What is normative (spec.md "Pulling manifests"): a GET of an existing manifest MUST provide it with 200; a
`Docker-Content-Digest` on the answer MUST be the digest of the bytes served; a pull by digest serves exactly
the content with that digest (anything else fails client verification); the `Content-Type` tells the type and
SHOULD match what was pushed. Negotiation itself is not normative: `content-negotiation.md` is a TODO
placeholder describing historic Docker Hub behaviour, and RFC 9110 lets a server ignore `Accept` or answer
406. So: no `Accept` or `*/*` (RFC 9110: any type is acceptable) and an `Accept` naming the stored type MUST
get the stored manifest; an `Accept` that excludes the stored type may get it anyway, a 406, or (by tag, for
an index) a child manifest the repository holds; a 404 for content that exists is misleading and warns. Every
answer is recorded in the capability table as `negotiation:<stored>:<by>:<accept>` for the report.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.documents import check_content_type, check_digest_header, push_tree
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import (
    Manifest,
    docker_manifest,
    docker_manifest_list,
    image_manifest,
    multi_platform_index,
)
from conformance.options import RunConfig
from conformance.spec import media_types as mt
from conformance.spec.digests import digest_bytes
from conformance.verdicts import MustViolation, must, note, should

pytestmark = [pytest.mark.pull, pytest.mark.push, pytest.mark.writes, pytest.mark.negotiation]

PULL = "spec.md#pulling-manifests"


@dataclass(frozen=True)
class Accept:
    """One `Accept` variant: the header value (None = no header) and the media types it makes acceptable."""

    label: str
    header: str | None
    acceptable: frozenset[str] | None  # None: everything

    def takes(self, media_type: str) -> bool:
        """Whether `media_type` is acceptable under this header."""
        return self.acceptable is None or media_type in self.acceptable


ACCEPTS: tuple[Accept, ...] = (
    Accept("absent", None, None),
    Accept("wildcard", "*/*", None),
    Accept("oci-manifest-only", mt.OCI_MANIFEST, frozenset({mt.OCI_MANIFEST})),
    Accept("oci-index-only", mt.OCI_INDEX, frozenset({mt.OCI_INDEX})),
    Accept("docker-manifest-only", mt.DOCKER_MANIFEST, frozenset({mt.DOCKER_MANIFEST})),
    Accept("docker-list-only", mt.DOCKER_MANIFEST_LIST, frozenset({mt.DOCKER_MANIFEST_LIST})),
    Accept(
        "all-four-with-q",
        f"{mt.OCI_MANIFEST};q=0.9, {mt.OCI_INDEX};q=0.8, {mt.DOCKER_MANIFEST};q=0.5, "
        f"{mt.DOCKER_MANIFEST_LIST};q=0.4",
        frozenset(mt.MANIFEST_TYPES),
    ),
    Accept(
        "index-q0-manifest-q1",
        f"{mt.OCI_INDEX};q=0, {mt.DOCKER_MANIFEST_LIST};q=0, {mt.OCI_MANIFEST}, {mt.DOCKER_MANIFEST}",
        frozenset({mt.OCI_MANIFEST, mt.DOCKER_MANIFEST}),
    ),
)


def _stored(kind: str, rng: random.Random) -> Manifest:
    if kind == "oci-manifest":
        return image_manifest(rng)
    if kind == "oci-index":
        return multi_platform_index(
            rng,
            platforms=(
                {"architecture": "amd64", "os": "linux"},
                {"architecture": "arm64", "os": "linux", "variant": "v8"},
            ),
        )
    if kind == "docker-manifest":
        return docker_manifest(rng)
    return docker_manifest_list(
        [
            docker_manifest(rng),
            docker_manifest(rng, platform={"architecture": "arm64", "os": "linux", "variant": "v8"}),
        ]
    )


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


def _get(client: RegistryClient, repo: str, reference: str, accept: Accept) -> Response:
    headers = {} if accept.header is None else {"Accept": accept.header}
    return client.request("GET", f"/v2/{repo}/manifests/{reference}", headers=headers)


def _served_is_consistent(response: Response, config: RunConfig) -> str:
    """A 200 answer's bytes hash to its Docker-Content-Digest and its Content-Type matches its mediaType.

    A Docker schema 1 answer (a registry rewriting the stored manifest for old clients) is only noted here:
    its digest covers the JWS payload, not the body; `_check_variant` judges whether it may be served at all.
    """
    header = response.content_digest
    if response.content_type in mt.SCHEMA1_TYPES:
        note(f"{response.describe()}: served a Docker schema 1 rewrite ({response.content_type}, {header})")
        return f"{response.content_type} {header} (schema 1 rewrite)"
    algorithm = header.split(":", 1)[0] if header and header.startswith(("sha256:", "sha512:")) else "sha256"
    actual = digest_bytes(response.content, algorithm)
    if header is not None:
        must(
            header == actual,
            f"{response.describe()}: Docker-Content-Digest {header} but the body hashes to {actual}",
            ref=PULL,
        )
    elif config.enabled("digest_header"):
        must(False, f"{response.describe()} carries no Docker-Content-Digest header", ref=PULL)
    try:
        declared = json.loads(response.content).get("mediaType")
    except (ValueError, AttributeError):
        declared = None
        must(False, f"{response.describe()}: the served manifest is not a JSON object", ref=PULL)
    if isinstance(declared, str):
        should(
            response.content_type == declared,
            f"{response.describe()}: Content-Type {response.content_type} but the manifest says mediaType "
            f"{declared} (clients SHOULD reject it)",
            ref=PULL,
        )
    return f"{response.content_type} {actual}"


def _push_stored(
    client: RegistryClient, repo: str, kind: str, content: random.Random, cleanup: Cleanup
) -> tuple[Manifest, str]:
    """Push the `kind` manifest (with its blobs and children) under a fresh tag: the manifest and tag."""
    stored = _stored(kind, content)
    tag = f"neg-{content.getrandbits(24):06x}"
    push_tree(client, repo, stored, cleanup, tag)
    return stored, tag


@pytest.mark.spec("end-3", PULL, "content-negotiation.md")
@pytest.mark.level("MUST")
@pytest.mark.parametrize("kind", _kinds())
def test_pull_by_digest_serves_exactly_that_content_under_any_accept(
    kind: str,
    *,
    client: RegistryClient,
    repo: str,
    content: random.Random,
    cleanup: Cleanup,
    registry_config: RunConfig,
    capabilities: Capabilities,
) -> None:
    stored, _ = _push_stored(client, repo, kind, content, cleanup)
    _run_matrix(
        client,
        repo,
        stored.digest,
        lambda response, accept: _judge_by_digest(response, stored, accept, registry_config),
        capabilities=capabilities,
        key=f"{kind}:digest",
    )


@pytest.mark.spec("end-3", PULL, "content-negotiation.md")
@pytest.mark.level("MUST")
@pytest.mark.parametrize("kind", _kinds())
def test_pull_by_tag_serves_the_stored_manifest_or_a_consistent_variant(
    kind: str,
    *,
    client: RegistryClient,
    repo: str,
    content: random.Random,
    cleanup: Cleanup,
    registry_config: RunConfig,
    capabilities: Capabilities,
) -> None:
    stored, tag = _push_stored(client, repo, kind, content, cleanup)
    children = {child.digest: child for child in stored.children}
    _run_matrix(
        client,
        repo,
        tag,
        lambda response, accept: _judge_by_tag(response, stored, children, accept, registry_config),
        capabilities=capabilities,
        key=f"{kind}:tag",
    )


def _run_matrix(
    client: RegistryClient,
    repo: str,
    reference: str,
    judge: Callable[[Response, Accept], str],
    *,
    capabilities: Capabilities,
    key: str,
) -> None:
    """GET and HEAD `reference` under every Accept variant, record each answer, fail once with all."""
    violations: list[str] = []
    for accept in ACCEPTS:
        response = _get(client, repo, reference, accept)
        try:
            served = judge(response, accept)
            held = response.status_code == 200
        except MustViolation as violation:
            violations.append(violation.plain_message)
            served, held = f"MUST violated: {violation.plain_message[:200]}", False
        _check_head_agrees(client, repo, reference, accept, response)
        capabilities.record(
            f"negotiation:{key}:{accept.label}",
            held,
            f"{response.status_code} {served}",
            evidence=response.describe(),
            source="negotiation",
        )
    must(
        not violations,
        f"{len(violations)} of {len(ACCEPTS)} Accept variants broke a MUST: " + " || ".join(violations),
        ref=PULL,
    )


def _check_head_agrees(
    client: RegistryClient, repo: str, reference: str, accept: Accept, get: Response
) -> None:
    """HEAD with the same Accept SHOULD answer like the GET did (RFC 9110 section 9.3.2), without a body."""
    headers = {} if accept.header is None else {"Accept": accept.header}
    head = client.request("HEAD", f"/v2/{repo}/manifests/{reference}", headers=headers)
    mine = (head.status_code, head.content_digest, head.content_type)
    theirs = (get.status_code, get.content_digest, get.content_type)
    should(
        mine == theirs,
        f"Accept {accept.label}: HEAD answered {mine} (status, digest, type), GET {theirs}",
        ref="spec.md#checking-if-content-exists-in-the-registry",
    )
    if head.status_code == get.status_code == 200:
        should(
            head.header("content-length") == str(len(get.content)),
            f"Accept {accept.label}: HEAD Content-Length {head.header('content-length')}, GET sent "
            f"{len(get.content)} bytes",
            ref="spec.md#checking-if-content-exists-in-the-registry",
        )


def _judge_by_digest(response: Response, stored: Manifest, accept: Accept, config: RunConfig) -> str:
    """By digest: a 200 serves exactly the stored bytes; other answers only for Accepts excluding its type."""
    if response.status_code == 200:
        served = _served_is_consistent(response, config)
        must(
            response.content == stored.data,
            f"Accept {accept.label}: {response.describe()} serves other bytes "
            f"than the manifest with that digest ({served})",
            ref=PULL,
        )
        check_digest_header(response, stored.digest, config, ref=PULL)
        check_content_type(response, stored.media_type, ref=PULL)
        return served
    must(
        not accept.takes(stored.media_type),
        f"Accept {accept.label}: {response.describe()}, expected 200 with "
        f"the stored {stored.media_type}: the client accepts its type",
        ref=PULL,
    )
    if response.status_code == 406:
        note(f"Accept {accept.label}: 406 Not Acceptable for a {stored.media_type} pulled by digest")
    else:
        should(
            False,
            f"Accept {accept.label}: {response.describe()} for an existing {stored.media_type}: "
            "200 (ignoring Accept) or 406 would be the HTTP answers; a 404 claims it does not exist",
            ref=PULL,
        )
    return response.content_type or "-"


def _judge_by_tag(
    response: Response, stored: Manifest, children: dict[str, Manifest], accept: Accept, config: RunConfig
) -> str:
    """By tag: the stored manifest, or (for an Accept excluding its type) a consistent variant or 406."""
    if response.status_code == 200:
        served = _served_is_consistent(response, config)
        if response.content == stored.data:
            check_content_type(response, stored.media_type, ref=PULL)
        else:
            _check_variant(response, stored, children, accept)
        return served
    must(
        not accept.takes(stored.media_type),
        f"Accept {accept.label}: {response.describe()}, expected 200 with the tagged {stored.media_type}",
        ref=PULL,
    )
    if response.status_code == 406:
        note(f"Accept {accept.label}: 406 Not Acceptable for a tag of a {stored.media_type}")
    else:
        should(
            False,
            f"Accept {accept.label}: {response.describe()} for an existing tag of a "
            f"{stored.media_type}: 200 or 406 would be the HTTP answers",
            ref=PULL,
        )
    return response.content_type or "-"


def _check_variant(
    response: Response, stored: Manifest, children: dict[str, Manifest], accept: Accept
) -> None:
    """The tag served other bytes than it points to: allowed only for a child the client can take."""
    digest = digest_bytes(response.content)
    must(
        not accept.takes(stored.media_type),
        f"Accept {accept.label}: {response.describe()} serves {digest}, not the tagged {stored.media_type} "
        f"{stored.digest}, although the client accepts that type",
        ref=PULL,
    )
    if response.content_type in mt.SCHEMA1_TYPES:
        should(
            False,
            f"Accept {accept.label}: {response.describe()} serves a deprecated Docker schema 1 rewrite "
            f"of the tagged {stored.media_type}, a type the client did not ask for",
            ref=PULL,
        )
        return
    child = children.get(digest)
    must(
        child is not None,
        f"Accept {accept.label}: {response.describe()} serves {digest}, which is neither the tagged manifest "
        "nor one of its children (stored bytes must never be rewritten)",
        ref=PULL,
    )
    assert child is not None
    should(
        accept.takes(child.media_type),
        f"Accept {accept.label}: served child {digest} of type {child.media_type}, which the client does not "
        "accept either",
        ref=PULL,
    )
    note(
        f"Accept {accept.label}: the tag of a {stored.media_type} served its child {child.media_type} "
        f"{digest} (platform {child.platform})"
    )
