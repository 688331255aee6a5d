"""Rules of pushing manifests (spec.md "Push", "Pushing Manifests"; `OCI-Subject` is the referrers area's).

spec.md "Pushing Manifests with Subject" has one sentence for registries (a registry with the referrers API
MUST answer `OCI-Subject`); the referrers rules own it. The client duties of these sections (a Content-Type
equal to `mediaType`, no parameters, a `<reference>` that is a tag or digest, the referrers-tag fallback) bind
no registry and are not listed.
"""

from __future__ import annotations

from conformance.ledger.documents import DISTRIBUTION_API, SPEC
from conformance.ledger.model import Keyword, Rule, SpecVersion

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


# spec.md "Push" (the introduction of the section) ----------------------------------------------------
SUBJECT_MISSING_ACCEPTED = Rule(
    "subject-missing-accepted", SPEC, "push", Keyword.MUST,
    "A registry MUST initially accept an otherwise valid manifest with a `subject` field that references a "
    "manifest that does not exist in the repository, allowing clients to push a manifest and referrers to "
    "that manifest in either order.",
)
MISSING_REFERENCES_MAY_REJECT = Rule(
    "missing-references-may-reject", SPEC, "push", Keyword.MAY,
    "A registry MAY reject a manifest uploaded to the manifest endpoint with descriptors in other fields "
    "that reference a manifest or blob that does not exist in the registry.",
    position="Accepting and refusing are both allowed. A run that expects sparse manifests to be accepted "
    "(--with-sparse, OCI_DATA_SPARSE) reports a refusal as advice: no sentence makes acceptance a "
    "requirement. Layers that are by design never pushed (OCI non-distributable layers, Docker foreign "
    "layers, both with `urls`) are such references too, so refusing a manifest that lists them is allowed "
    "here.",
)
MANIFEST_BLOB_UNKNOWN_ON_REJECT = Rule(
    "manifest-blob-unknown-on-reject", SPEC, "push", Keyword.MUST,
    "When a manifest is rejected for this reason, it MUST result in one or more `MANIFEST_BLOB_UNKNOWN` "
    "errors",
    position="A refusal of an otherwise valid manifest whose only departure is a reference to content the "
    "registry does not hold is taken to be a refusal for this reason, whatever its status: its error "
    "envelope must name MANIFEST_BLOB_UNKNOWN (a body that is no envelope names no error and breaks it "
    "too). Other codes beside it are allowed (\"one or more\"). No sentence names the status; a 5xx is "
    "judged on server-error-for-client-error.",
)
WRONG_SIZE_MAY_REJECT = Rule(
    "wrong-size-may-reject", SPEC, "push", Keyword.MAY,
    "A registry MAY reject a manifest uploaded to the manifest endpoint with descriptors in other fields "
    "that reference a manifest or blob that does not exist in the registry.",
    position="A descriptor whose `size` is not the size of the blob stored under its digest references "
    "content the registry does not hold: the registry MAY refuse it (with MANIFEST_BLOB_UNKNOWN or "
    "MANIFEST_INVALID; no sentence names the code for a size) or store it. image-spec's \"the content "
    "SHOULD NOT be trusted\" binds whoever retrieves the content, not the registry. An acceptance is "
    "advice, never a warning; what was accepted must then be stored exactly.",
)

# spec.md "Pushing Manifests" ------------------------------------------------------------------------
CONTENT_TYPE_PARAMETERS_IGNORED = Rule(
    "content-type-parameters-ignored", SPEC, "pushing-manifests", Keyword.SHOULD,
    "The registry SHOULD ignore parameters on the `Content-Type` header.",
    position="A PUT whose Content-Type is the manifest's type plus a parameter (`; charset=utf-8`) is to be "
    "handled like one without it: any refusal, a 5xx included, breaks this sentence.",
)
BLOB_LIST_MAY_BE_EMPTY = Rule(
    "blob-list-may-be-empty", SPEC, "pushing-manifests", Keyword.MAY,
    "The uploaded manifest MUST reference any blobs that make up the object. However, the list of blobs MAY "
    "be empty.",
    position="The MUST binds the manifest's author. The MAY allows a manifest without blobs (`layers: []`), "
    "but no sentence makes a registry store one (image-spec: `layers` SHOULD have at least one entry), so a "
    "refusal is advice and the check ends unsupported.",
)
NONEXISTENT_REPOSITORY_404 = Rule(
    "nonexistent-repository-404", SPEC, "pushing-manifests", Keyword.MUST,
    "An attempt to pull a nonexistent repository MUST return response code `404 Not Found`.",
)
SIZE_LIMIT_ENFORCED = Rule(
    "manifest-size-limit-enforced", SPEC, "pushing-manifests", Keyword.SHOULD,
    "A registry SHOULD enforce some limit on the maximum manifest size that it can accept.",
    unchecked="a limit above the largest manifest the suite pushes (5 MiB) cannot be seen from outside, so "
    "an acceptance is no evidence that there is no limit",
)
SIZE_LIMIT_413 = Rule(
    "manifest-size-limit-413", SPEC, "pushing-manifests", Keyword.SHOULD,
    "A registry that enforces this limit SHOULD respond to a request to push a manifest over this limit "
    "with a response code `413 Payload Too Large`.",
    position="A 5 MiB manifest that is refused is taken to be over the registry's limit: any refusal but "
    "413 (400 MANIFEST_INVALID, a 5xx) breaks this sentence; an acceptance is information (the limit, if "
    "any, is higher).",
)
SIZE_AT_LEAST_4MB = Rule(
    "manifest-size-at-least-4mb", SPEC, "pushing-manifests", Keyword.SHOULD,
    "Client and registry implementations SHOULD expect to be able to support manifest pushes of at least 4 "
    "megabytes.",
    position="Read as the smaller, decimal value (4,000,000 bytes), so a registry with a 4 MiB limit never "
    "warns; the suite pushes a manifest 1 KiB under it, and any refusal of it breaks this sentence.",
)
TAG_PARAMETERS_MAY = Rule(
    "tag-parameters-may", SPEC, "pushing-manifests", Keyword.MAY,
    "When pushing a manifest by digest, the registry MAY support the pushing of tags specified by addition "
    "of `tag` query parameters.",
    since=SpecVersion.MAIN,
)
TAG_PARAMETERS_TEN = Rule(
    "tag-parameters-ten", SPEC, "pushing-manifests", Keyword.SHOULD,
    "If a registry supports this, it: SHOULD support pushing at least 10 tags per request.",
    since=SpecVersion.MAIN,
)
TAG_PARAMETERS_414 = Rule(
    "tag-parameters-414", SPEC, "pushing-manifests", Keyword.MAY,
    "MAY return a `414 Request-URI Too Long` status if too many tags are included in the request.",
    since=SpecVersion.MAIN,
)
TAG_PARAMETERS_OCI_TAG = Rule(
    "tag-parameters-oci-tag", SPEC, "pushing-manifests", Keyword.MUST,
    "MUST include an `OCI-Tag` response header, in accordance with RFC 9110 (section 5) semantics, for each "
    "accepted tag.",
    since=SpecVersion.MAIN,
    position="A registry that created a requested tag (a HEAD of it answers 200 afterwards) accepted it and "
    "must name it in OCI-Tag; an OCI-Tag naming a tag that was not requested, or one that does not resolve, "
    "announces an acceptance that did not happen.",
)

# distribution's api.md "PUT Manifest" and the error table (no keyword names a refusal) -------------
INVALID_MANIFEST_400 = Rule(
    "invalid-manifest-400", DISTRIBUTION_API, "put-manifest", Keyword.NONE,
    "On Failure: Invalid Manifest ... 400 Bad Request ... The received manifest was invalid in some way, as "
    "described by the error codes.",
    position="spec.md states no keyword for refusing an invalid manifest (not JSON, schemaVersion 3, a "
    "mediaType unlike the Content-Type): an acceptance, a 4xx other than 400 and a code other than "
    "MANIFEST_INVALID are advice; a 5xx is judged on server-error-for-client-error. An invalid manifest "
    "that was accepted is read back: what was accepted must be stored exactly (manifest-exact-bytes).",
)
DIGEST_MISMATCH_REFUSED = Rule(
    "digest-mismatch-refused", SPEC, "error-codes", Keyword.NONE,
    "`DIGEST_INVALID` | provided digest did not match uploaded content",
    position="A PUT by a digest that is not the body's cannot succeed as the spec describes success (the "
    "Docker-Content-Digest is the digest of the upload and equal to the client's digest): a 400 with "
    "DIGEST_INVALID (or MANIFEST_INVALID) is the convention, another refusal is advice, a 5xx is judged on "
    "server-error-for-client-error. Should the registry answer 201 anyway, that digest must not serve other "
    "bytes (manifest-get-200: the expected manifest of a digest is the content with that digest).",
)
