"""Rules of manifest content negotiation: `Accept` on GET/HEAD of a manifest (spec.md "Pulling manifests").

What binds a registry: a GET of an existing manifest MUST provide "the expected manifest" with 200. The
spec points to content-negotiation.md and RFC 7231 (now RFC 9110) for `Accept`; content-negotiation.md is a
TODO placeholder whose table records historic Docker Hub behaviour, and RFC 9110 lets a server honour an
unsatisfiable `Accept` with 406 or disregard it. So the suite reads "expected" by the `Accept` sent
(EXPECTED_MANIFEST), judges other answers to an `Accept` that excludes the stored type on RFC 9110 through
the main branch's SHOULD (UNACCEPTABLE_ANSWER), and lists Docker's documented rewrites as advice. The
Content-Type sentences of "Pulling manifests" are in `pull` (MANIFEST_CONTENT_TYPE*).
"""

from __future__ import annotations

from conformance.ledger.documents import CONTENT_NEGOTIATION, DOCKER_MANIFEST_V2_2, RFC9110, SPEC
from conformance.ledger.model import Keyword, Reference, Rule, SpecVersion

EXPECTED_MANIFEST = Rule(
    "expected-manifest", SPEC, "pulling-manifests", Keyword.MUST,
    "A GET request to an existing manifest URL MUST provide the expected manifest, with a response code "
    "that MUST be `200 OK`.",
    refers_to=Reference(
        RFC9110, "section-12.5.1",
        "A request without any Accept header field implies that the user agent will accept any media type "
        "in response.",
    ),
    position="By digest the expected manifest is the content with that digest, whatever the Accept. By tag, "
    "under an Accept the stored type satisfies (none, `*/*`, or one naming the type) it is the stored "
    "manifest: any other answer breaks this sentence, except the rewrite content-negotiation.md documents "
    "for Docker manifests fetched by tag with no Accept or `*/*` (a schema 1 `manifest.v1+prettyjws`; for a "
    "manifest list, of its linux/amd64 image), which is judged on the Content-Type SHOULD instead. Under an "
    "Accept that excludes the stored type \"expected\" is open: expected-manifest does not apply and "
    "unacceptable-accept-answer judges the answer.",
)
UNACCEPTABLE_ANSWER = Rule(
    "unacceptable-accept-answer", SPEC, "api", Keyword.SHOULD,
    "Where this specification does not define specific behavior, implementations SHOULD follow the HTTP "
    "semantics defined in RFC 9110.",
    since=SpecVersion.MAIN,
    refers_to=Reference(
        RFC9110, "section-12.5.1",
        "If the header field is present in a request and none of the available representations for the "
        "response have a media type that is listed as acceptable, the origin server can either honor the "
        "header field by sending a 406 (Not Acceptable) response or disregard the header field by treating "
        "the response as if it is not subject to content negotiation for that request.",
    ),
    position="For an existing manifest under an Accept that excludes its type, RFC 9110 leaves two answers: "
    "406, or 200 with a representation (the stored manifest; by tag also a child the repository holds, or a "
    "documented rewrite). A 404 says the manifest does not exist and a 400 that the request was malformed: "
    "departures from HTTP semantics, a SHOULD of the main-branch text and advice for v1.1. No MUST applies "
    "(see expected-manifest).",
)
HEAD_MATCHES_GET = Rule(
    "manifest-head-matches-get", SPEC, "api", Keyword.SHOULD,
    "Where this specification does not define specific behavior, implementations SHOULD follow the HTTP "
    "semantics defined in RFC 9110.",
    since=SpecVersion.MAIN,
    refers_to=Reference(
        RFC9110, "section-9.3.2",
        "The server SHOULD send the same header fields in response to a HEAD request as it would have sent "
        "if the request method had been GET.",
    ),
    position="Compared under the same Accept: status, Docker-Content-Digest and Content-Type, and the "
    "HEAD's Content-Length against the bytes the GET sent (not for a schema 1 rewrite, whose signature may "
    "differ per request). Where the GET had to answer 200, a HEAD that does not is judged on head-200 "
    "(MUST).",
)
SCHEMA1_FOR_OLD_CLIENTS = Rule(
    "schema1-for-old-clients", CONTENT_NEGOTIATION, "content-negotiation", Keyword.NONE,
    "`<not present>` ... `*/*` ... `manifest.v1+prettyjws` ... `v1`, `linux/amd64`, for backward "
    "compatibility with old, non-v2 clients",
    position="The table records historic Docker Hub behaviour in a TODO placeholder. A schema 1 rewrite "
    "served by tag for a Docker schema 2 manifest or manifest list, to a client that sent no Accept or "
    "`*/*`, is what it documents: no MUST break; the served Content-Type differs from the pushed one, which "
    "breaks manifest-content-type-matches-push (SHOULD).",
)
DOCKER_REWRITE = Rule(
    "docker-rewrite", DOCKER_MANIFEST_V2_2, "backward-compatibility", Keyword.NONE,
    "If the manifest being requested uses the new format, and the appropriate media type is not present in "
    "an `Accept` header, the registry will assume that the client cannot handle the manifest as-is, and "
    "rewrite it on the fly into the old format.",
    position="Under an Accept without the Docker types (an OCI-only client, say) a schema 1 rewrite by tag "
    "is what this document describes and RFC 9110 allows (the server picks the representation): judged on "
    "the Content-Type SHOULD only.",
)
DOCKER_LIST_FALLBACK = Rule(
    "docker-list-fallback", DOCKER_MANIFEST_V2_2, "backward-compatibility", Keyword.NONE,
    "If the object that would otherwise be returned is a manifest list, the registry will look up the "
    "appropriate manifest for the amd64 platform and linux OS, rewrite that manifest into the old format if "
    "necessary, and return the result to the client.",
    position="By tag, for an index or manifest list under an Accept that excludes its type, serving one of "
    "its children that the repository holds is such a fallback: allowed, and noted with the platform "
    "served.",
)
DOCKER_LIST_NO_AMD64_404 = Rule(
    "docker-list-no-amd64-404", DOCKER_MANIFEST_V2_2, "backward-compatibility", Keyword.NONE,
    "If no suitable manifest is found in the manifest list, the registry will return a 404 error.",
    unchecked="every index and manifest list the suite pushes holds a linux/amd64 image",
)
