"""The documents the ledger quotes, each pinned to the commit whose text was read.

The distribution spec is quoted from its release v1.1.1 (commit a139cc4, 2025-01-23), the default target of a
run; `SpecVersion.MAIN` links to the main-branch text read on 2026-12-07 (commit 967efdc, 2026-07-16), which
`--registry-spec-version main` applies where its keywords differ. The image spec is read at 13cff54
(v1.1.1+32, 2026-05-14) and distribution's documents at 0d6b721 (2026-08-18). Those texts are kept in
tests/conformance/ledger/texts, where a test checks every quote and anchor of the ledger against them.
"""

from __future__ import annotations

from conformance.ledger.model import Document, SpecVersion

_DIST_SPEC = "https://github.com/opencontainers/distribution-spec/blob"
_V1_1_1 = "a139cc423184af6078077b9b7ee336eddbd03f8f"
_MAIN = "967efdc079b91785ad18c77cc4f8991a47feefbf"
_IMAGE_SPEC = "https://github.com/opencontainers/image-spec/blob/13cff54902ec9ad6320cbc487a685b66fcd67171"
_DISTRIBUTION = "https://github.com/distribution/distribution/blob/0d6b721dc3ceacb5d678c25b718b2f40a507c2d8"
_RFC = "https://www.rfc-editor.org/rfc"


def _spec_file(name: str) -> dict[SpecVersion, str]:
    return {
        SpecVersion.V1_1: f"{_DIST_SPEC}/{_V1_1_1}/{name}",
        SpecVersion.MAIN: f"{_DIST_SPEC}/{_MAIN}/{name}",
    }


SPEC = Document("spec.md", "OCI Distribution Specification", _spec_file("spec.md"))
CONTENT_NEGOTIATION = Document(
    "content-negotiation.md", "OCI Distribution Specification: Content Negotiation",
    _spec_file("content-negotiation.md"),
)
IMAGE_MANIFEST = Document("image-spec/manifest.md", "OCI Image Manifest",
                          {SpecVersion.V1_1: f"{_IMAGE_SPEC}/manifest.md"})
IMAGE_INDEX = Document("image-spec/image-index.md", "OCI Image Index",
                       {SpecVersion.V1_1: f"{_IMAGE_SPEC}/image-index.md"})
DESCRIPTOR = Document("image-spec/descriptor.md", "OCI Content Descriptors",
                      {SpecVersion.V1_1: f"{_IMAGE_SPEC}/descriptor.md"})
IMAGE_CONFIG = Document("image-spec/config.md", "OCI Image Configuration",
                        {SpecVersion.V1_1: f"{_IMAGE_SPEC}/config.md"})
MEDIA_TYPES = Document("image-spec/media-types.md", "OCI Image Media Types",
                       {SpecVersion.V1_1: f"{_IMAGE_SPEC}/media-types.md"})
ANNOTATIONS = Document("image-spec/annotations.md", "OCI Annotations",
                       {SpecVersion.V1_1: f"{_IMAGE_SPEC}/annotations.md"})
LAYER = Document("image-spec/layer.md", "OCI Image Layer Filesystem Changeset",
                 {SpecVersion.V1_1: f"{_IMAGE_SPEC}/layer.md"})
IMAGE_CONSIDERATIONS = Document("image-spec/considerations.md", "OCI Image Format: Considerations",
                                {SpecVersion.V1_1: f"{_IMAGE_SPEC}/considerations.md"})
DOCKER_MANIFEST_V2_2 = Document(
    "distribution/manifest-v2-2.md", "Docker Image Manifest V2, Schema 2",
    {SpecVersion.V1_1: f"{_DISTRIBUTION}/docs/content/spec/manifest-v2-2.md"},
)
TOKEN_AUTH = Document("distribution/auth/token.md", "Docker Registry v2 Token Authentication",
                      {SpecVersion.V1_1: f"{_DISTRIBUTION}/docs/content/spec/auth/token.md"},
                      lowercase_keywords=True)
TOKEN_SCOPE = Document("distribution/auth/scope.md", "Docker Registry Token Scope and Access",
                       {SpecVersion.V1_1: f"{_DISTRIBUTION}/docs/content/spec/auth/scope.md"},
                      lowercase_keywords=True)
TOKEN_JWT = Document("distribution/auth/jwt.md", "Docker Registry v2 Bearer token specification",
                     {SpecVersion.V1_1: f"{_DISTRIBUTION}/docs/content/spec/auth/jwt.md"},
                      lowercase_keywords=True)
DISTRIBUTION_API = Document("distribution/api.md", "Docker Registry HTTP API V2 (distribution)",
                            {SpecVersion.V1_1: f"{_DISTRIBUTION}/docs/content/spec/api.md"})
RFC9110 = Document("RFC 9110", "HTTP Semantics", {SpecVersion.V1_1: f"{_RFC}/rfc9110"})
RFC9112 = Document("RFC 9112", "HTTP/1.1", {SpecVersion.V1_1: f"{_RFC}/rfc9112"})
RFC6750 = Document("RFC 6750", "OAuth 2.0 Bearer Token Usage", {SpecVersion.V1_1: f"{_RFC}/rfc6750"})
RFC7617 = Document("RFC 7617", "The 'Basic' HTTP Authentication Scheme",
                   {SpecVersion.V1_1: f"{_RFC}/rfc7617"})
RFC8288 = Document("RFC 8288", "Web Linking", {SpecVersion.V1_1: f"{_RFC}/rfc8288"})
RFC6585 = Document("RFC 6585", "Additional HTTP Status Codes", {SpecVersion.V1_1: f"{_RFC}/rfc6585"})
HARNESS = Document(
    "registry-harness", "registry-harness positions (no normative text: advice only)",
    {SpecVersion.V1_1: "conformance/ledger/AUDIT.md"},
)
"""For advice that rests on no document's keyword: good practice the suite reports but never warns about."""

ALL = (SPEC, CONTENT_NEGOTIATION, IMAGE_MANIFEST, IMAGE_INDEX, DESCRIPTOR, IMAGE_CONFIG, MEDIA_TYPES,
       ANNOTATIONS, LAYER, IMAGE_CONSIDERATIONS, DOCKER_MANIFEST_V2_2, TOKEN_AUTH, TOKEN_SCOPE, TOKEN_JWT,
       DISTRIBUTION_API, RFC9110, RFC9112, RFC6750, RFC7617, RFC8288, RFC6585, HARNESS)
