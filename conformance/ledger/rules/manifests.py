"""Rules of pushing manifests (spec.md "Pushing Manifests", "Pushing Manifests with Subject", "Push")."""

from __future__ import annotations

from conformance.ledger.documents import SPEC
from conformance.ledger.model import Keyword, Rule

MANIFEST_PUT_201 = Rule(
    "manifest-put-201", SPEC, "pushing-manifests", Keyword.MUST,
    "Upon a successful upload, the registry MUST return response code `201 Created`, and MUST have the "
    "following header: `Location: <location>`",
)
MANIFEST_LOCATION_PULLABLE = Rule(
    "manifest-location-pullable", SPEC, "pushing-manifests", Keyword.MUST,
    "Upon a successful upload, the registry MUST return response code `201 Created`, and MUST have the "
    "following header: `Location: <location>` ... The `<location>` is a pullable manifest URL.",
)
MANIFEST_EXACT_BYTES = Rule(
    "manifest-exact-bytes", SPEC, "pushing-manifests", Keyword.MUST,
    "The registry MUST store the manifest in the exact byte representation provided by the client.",
)
MANIFEST_PUT_DIGEST_HEADER = Rule(
    "manifest-put-digest-header", SPEC, "pushing-manifests", Keyword.MUST,
    "The Docker-Content-Digest header returns the canonical digest of the uploaded blob, and MUST be equal "
    "to the client provided digest.",
    position="The sentence binds the header's value, not its presence: a PUT answer without the header is "
    "advice (MANIFEST_PUT_DIGEST_HEADER_PRESENT), one with another digest fails.",
)
MANIFEST_PUT_DIGEST_HEADER_PRESENT = Rule(
    "manifest-put-digest-header-present", SPEC, "pushing-manifests", Keyword.NONE,
    "The Docker-Content-Digest header returns the canonical digest of the uploaded blob",
)
