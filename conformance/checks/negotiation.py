"""Verdicts on manifest content negotiation (`suites/test_negotiation.py`): one answer per `Accept` sent.

`ACCEPTS` are the `Accept` variants (the first sends no `Accept` header at all: the client removes httpx's
default `*/*`). For each stored manifest and variant, `judge_by_digest` / `judge_by_tag` judge the GET and
`check_head_agrees` the HEAD; `run_matrix` runs every variant, records each answer in the capability table
and fails once, naming every MUST broken. The readings (`conformance.ledger.rules.negotiation`):

- By digest the expected manifest is the content with that digest, under any `Accept`.
- By tag, under an `Accept` the stored type satisfies, the expected manifest is the stored one, except the
  schema 1 rewrite content-negotiation.md documents for Docker types with no `Accept` or `*/*`.
- Under an `Accept` that excludes the stored type, RFC 9110 allows 406 or any representation (the stored
  bytes, a child, a documented rewrite); a 404 or 400 departs from HTTP semantics (SHOULD on main).
- Served bytes are consistent: `Docker-Content-Digest` hashes them, `Content-Type` is their `mediaType`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from conformance.capabilities import Capabilities
from conformance.checks.documents import check_content_type
from conformance.client import RegistryClient, Response
from conformance.content import Manifest
from conformance.ledger.model import Rule
from conformance.ledger.rules import negotiation, pull
from conformance.options import RunConfig
from conformance.spec import media_types as mt
from conformance.spec.digests import digest_bytes
from conformance.verdicts import MustViolation, judge, note


@dataclass(frozen=True)
class Accept:
    """One `Accept` variant: the header value (None: no header) and the media types it makes acceptable."""

    label: str
    header: str | None
    acceptable: frozenset[str] | None  # None: everything

    def takes(self, media_type: str) -> bool:
        """Whether `media_type` is acceptable under this header."""
        return self.acceptable is None or media_type in self.acceptable

    @property
    def sent(self) -> str:
        """What the request carried, for messages."""
        return "no Accept header" if self.header is None else f"Accept: {self.header}"

    @property
    def old_client(self) -> bool:
        """No `Accept` or `*/*`: content-negotiation.md's rows for old, non-v2 clients."""
        return self.header in (None, "*/*")


ACCEPTS: tuple[Accept, ...] = (
    Accept("absent", None, None),
    Accept("wildcard", "*/*", None),
    Accept("oci-manifest-only", mt.OCI_MANIFEST, frozenset({mt.OCI_MANIFEST})),
    Accept("oci-index-only", mt.OCI_INDEX, frozenset({mt.OCI_INDEX})),
    Accept("docker-manifest-only", mt.DOCKER_MANIFEST, frozenset({mt.DOCKER_MANIFEST})),
    Accept("docker-list-only", mt.DOCKER_MANIFEST_LIST, frozenset({mt.DOCKER_MANIFEST_LIST})),
    Accept("all-four-with-q", f"{mt.OCI_MANIFEST};q=0.9, {mt.OCI_INDEX};q=0.8, {mt.DOCKER_MANIFEST};q=0.5, "
           f"{mt.DOCKER_MANIFEST_LIST};q=0.4", frozenset(mt.MANIFEST_TYPES)),
    Accept("index-q0-manifest-q1",
           f"{mt.OCI_INDEX};q=0, {mt.DOCKER_MANIFEST_LIST};q=0, {mt.OCI_MANIFEST}, {mt.DOCKER_MANIFEST}",
           frozenset({mt.OCI_MANIFEST, mt.DOCKER_MANIFEST})),
)
RULES: tuple[Rule, ...] = (
    negotiation.EXPECTED_MANIFEST, negotiation.UNACCEPTABLE_ANSWER, negotiation.HEAD_MATCHES_GET,
    negotiation.SCHEMA1_FOR_OLD_CLIENTS, negotiation.DOCKER_REWRITE, negotiation.DOCKER_LIST_FALLBACK,
    pull.HEAD_200, pull.MANIFEST_DIGEST_HEADER, pull.MANIFEST_CONTENT_TYPE,
    pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH, pull.MANIFEST_CONTENT_TYPE_NO_PARAMETERS,
)
"""Every rule the judges of this module evaluate or cite."""


def request(client: RegistryClient, method: str, repo: str, reference: str, accept: Accept) -> Response:
    """`method` of the manifest with exactly the `Accept` of `accept` (none at all for the first variant)."""
    return client.request(method, f"/v2/{repo}/manifests/{reference}", headers={"Accept": accept.header})


def _consistent(response: Response, config: RunConfig) -> str:
    """A 200's bytes hash to its Docker-Content-Digest and its Content-Type is its `mediaType`; a summary.

    A Docker schema 1 answer (a rewrite for old clients) is only noted: its digest covers the JWS payload.
    """
    header = response.content_digest
    if response.content_type in mt.SCHEMA1_TYPES:
        note(f"{response.describe()}: a Docker schema 1 rewrite ({response.content_type}, {header})")
        return f"{response.content_type} {header} (schema 1 rewrite)"
    algorithm = header.split(":", 1)[0] if header and header.startswith(("sha256:", "sha512:")) else "sha256"
    actual = digest_bytes(response.content, algorithm)
    if header is not None or config.enabled("digest_header"):
        judge(pull.MANIFEST_DIGEST_HEADER, header == actual,
              f"{response.describe()}: Docker-Content-Digest {header}, but the body hashes to {actual}")
    try:
        declared = json.loads(response.content).get("mediaType")
    except (ValueError, AttributeError):
        declared = None
    if isinstance(declared, str):
        judge(pull.MANIFEST_CONTENT_TYPE, response.content_type == declared,
              f"{response.describe()}: Content-Type {response.content_type}, but the manifest says mediaType "
              f"{declared} (clients SHOULD reject it)")
    return f"{response.content_type} {actual}"


def _not_served(response: Response, stored: Manifest, accept: Accept, by: str) -> str:
    """A GET of an existing manifest answered other than 200."""
    what = f"{accept.sent}: {response.describe()} for the {stored.media_type} {stored.digest} (by {by})"
    if accept.takes(stored.media_type):
        judge(negotiation.EXPECTED_MANIFEST, False,
              f"{what}, expected 200 with it: the client accepts its type")
    elif response.status_code == 406:
        note(f"{what}: 406 Not Acceptable (RFC 9110's answer when Accept is honoured)")
    else:
        judge(negotiation.UNACCEPTABLE_ANSWER, False,
              f"{what}: an existing manifest under an Accept that excludes its type is 406 or 200 in HTTP; "
              f"{response.status_code} misstates it")
    return response.content_type or "-"


def judge_by_digest(response: Response, stored: Manifest, accept: Accept, config: RunConfig) -> str:
    """By digest: a 200 serves exactly the stored bytes, under any Accept."""
    if response.status_code != 200:
        return _not_served(response, stored, accept, "digest")
    served = _consistent(response, config)
    judge(negotiation.EXPECTED_MANIFEST, response.content == stored.data,
          f"{accept.sent}: {response.describe()} serves other bytes than the manifest with that digest "
          f"({served})")
    check_content_type(response, stored.media_type)
    return served


def judge_by_tag(
    response: Response, stored: Manifest, children: dict[str, Manifest], accept: Accept, config: RunConfig
) -> str:
    """By tag: the stored manifest, or (where allowed) a documented rewrite or a child; or 406."""
    if response.status_code != 200:
        return _not_served(response, stored, accept, "tag")
    served = _consistent(response, config)
    if response.content == stored.data:
        check_content_type(response, stored.media_type)
        return served
    rewrite = response.content_type in mt.SCHEMA1_TYPES
    docker = stored.media_type in (mt.DOCKER_MANIFEST, mt.DOCKER_MANIFEST_LIST)
    what = f"{accept.sent}: {response.describe()} serves {served}, not the tagged {stored.media_type}"
    if rewrite and docker and accept.old_client:
        note(f"{what}: the schema 1 rewrite content-negotiation.md documents for old clients")
        judge(pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH, False,
              f"{what}: a schema 1 rewrite (documented for old clients), so the Content-Type is not the "
              f"pushed {stored.media_type}")
        return served
    judge(negotiation.EXPECTED_MANIFEST, not accept.takes(stored.media_type),
          f"{what}, although the client accepts that type")
    _check_variant(response, stored, children, what, rewrite=rewrite)
    return served


def _check_variant(
    response: Response, stored: Manifest, children: dict[str, Manifest], what: str, *, rewrite: bool
) -> None:
    """By tag, under an Accept excluding the stored type, something else was served: say what it is."""
    if rewrite:
        note(f"{what}: a schema 1 rewrite for a client without the Docker types (manifest-v2-2.md)")
        judge(pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH, False,
              f"{what}: a schema 1 rewrite, so the Content-Type is not the pushed {stored.media_type}")
        return
    child = children.get(digest_bytes(response.content))
    if child is None:
        note(f"{what}: neither the tagged manifest nor one of its children (RFC 9110 lets the server pick "
             "the representation; the suite cannot tell what it is)")
        return
    note(f"{what}: its child {child.media_type} {child.digest} (platform {child.platform}), the fallback "
         "manifest-v2-2.md describes")
    check_content_type(response, child.media_type)


def check_head_agrees(
    client: RegistryClient, repo: str, reference: str, accept: Accept, *, get: Response, stored: Manifest
) -> None:
    """HEAD with the same Accept: 200 where the GET had to be, and the GET's headers (RFC 9110 9.3.2)."""
    head = request(client, "HEAD", repo, reference, accept)
    if accept.takes(stored.media_type):
        judge(pull.HEAD_200, head.status_code == 200,
              f"{accept.sent}: {head.describe()} for the existing {stored.media_type}, expected 200")
    mine: tuple[object, ...] = (head.status_code, head.content_digest, head.content_type)
    theirs: tuple[object, ...] = (get.status_code, get.content_digest, get.content_type)
    if get.content_type in mt.SCHEMA1_TYPES:
        mine, theirs = mine[::2], theirs[::2]  # a schema 1 rewrite is signed afresh for every request
    judge(negotiation.HEAD_MATCHES_GET, mine == theirs,
          f"{accept.sent}: HEAD answered {mine}, GET {theirs} (status, digest, type)")
    if head.status_code == get.status_code == 200 and get.content_type not in mt.SCHEMA1_TYPES:
        length = head.header("content-length")
        judge(negotiation.HEAD_MATCHES_GET, length == str(len(get.content)),
              f"{accept.sent}: HEAD Content-Length {length}, the GET sent {len(get.content)} bytes")


Judge = Callable[[Response, Accept], str]


def run_matrix(
    client: RegistryClient, repo: str, reference: str, stored: Manifest, judge_one: Judge, *,
    capabilities: Capabilities, key: str,
) -> None:
    """GET and HEAD `reference` under every Accept variant, record each answer, fail once naming each MUST."""
    __tracebackhide__ = True
    broken: list[MustViolation] = []
    for accept in ACCEPTS:
        response = request(client, "GET", repo, reference, accept)
        try:
            served, held = judge_one(response, accept), response.status_code == 200
        except MustViolation as violation:
            broken.append(violation)
            served, held = f"MUST broken: {violation.plain_message[:200]}", False
        try:
            check_head_agrees(client, repo, reference, accept, get=response, stored=stored)
        except MustViolation as violation:
            broken.append(violation)
        capabilities.record(f"negotiation:{key}:{accept.label}", held, f"{response.status_code} {served}",
                            evidence=response.describe(), source="negotiation")
    if broken:
        first = broken[0].rule
        assert first is not None
        judge(first, False, f"{len(broken)} MUST breaks over {len(ACCEPTS)} Accept variants: " + " || ".join(
            f"[{violation.ref}] {violation.plain_message}" for violation in broken))
