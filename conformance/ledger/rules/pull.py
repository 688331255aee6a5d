"""Rules of pulling (spec.md "Pull"): manifests and blobs by GET and HEAD, their headers, Range, 404s."""

from __future__ import annotations

from conformance.ledger.documents import RFC9110, SPEC
from conformance.ledger.model import Keyword, Reference, Rule, Sentence

MANIFEST_GET_200 = Rule(
    "manifest-get-200", SPEC, "pulling-manifests", Keyword.MUST,
    "A GET request to an existing manifest URL MUST provide the expected manifest, with a response code that "
    "MUST be `200 OK`.",
)
MANIFEST_DIGEST_HEADER = Rule(
    "manifest-digest-header", SPEC, "pulling-manifests", Keyword.SHOULD,
    "A successful response SHOULD contain the digest of the uploaded blob in the header "
    "`Docker-Content-Digest`.",
    main=Sentence(Keyword.MUST, "A successful response MUST contain the digest of the uploaded blob in the "
                                "header `Docker-Content-Digest`."),
    position="A header whose value is not the digest of the manifest served (with the header's own "
    "algorithm) does not contain the digest, so it breaks this sentence like an absent one; a digest of "
    "another algorithm than the one asked for is allowed (\"MAY differ from the provided digest\").",
)
MANIFEST_CONTENT_TYPE = Rule(
    "manifest-content-type", SPEC, "pulling-manifests", Keyword.NONE,
    "In a successful response, the `Content-Type` header will indicate the type of the returned manifest.",
)
MANIFEST_CONTENT_TYPE_MATCHES_PUSH = Rule(
    "manifest-content-type-matches-push", SPEC, "pulling-manifests", Keyword.SHOULD,
    "The `Content-Type` header SHOULD match what the client pushed as the manifest's `Content-Type`.",
)
MANIFEST_CONTENT_TYPE_NO_PARAMETERS = Rule(
    "manifest-content-type-no-parameters", SPEC, "pulling-manifests", Keyword.SHOULD_NOT,
    "The registry SHOULD NOT include parameters on the `Content-Type` header.",
)
MANIFEST_NOT_FOUND_404 = Rule(
    "manifest-not-found-404", SPEC, "pulling-manifests", Keyword.MUST,
    "If the manifest is not found in the repository, the response code MUST be `404 Not Found`.",
)
BLOB_GET_200 = Rule(
    "blob-get-200", SPEC, "pulling-blobs", Keyword.MUST,
    "A GET request to an existing blob URL MUST provide the expected blob, with a response code that MUST be "
    "`200 OK`.",
)
BLOB_DIGEST_HEADER = Rule(
    "blob-digest-header", SPEC, "pulling-blobs", Keyword.SHOULD,
    "A successful response SHOULD contain the digest of the uploaded blob in the header "
    "`Docker-Content-Digest`.",
    main=Sentence(Keyword.MUST, "A successful response MUST contain the digest of the uploaded blob in the "
                                "header `Docker-Content-Digest`."),
)
BLOB_DIGEST_HEADER_MATCHES_BODY = Rule(
    "blob-digest-header-matches-body", SPEC, "pulling-blobs", Keyword.MUST,
    "If present, the value of this header MUST be a digest matching that of the response body.",
)
BLOB_NOT_FOUND_404 = Rule(
    "blob-not-found-404", SPEC, "pulling-blobs", Keyword.MUST,
    "If the blob is not found in the repository, the response code MUST be `404 Not Found`.",
)
RANGE_SUPPORT = Rule(
    "range-support", SPEC, "pulling-blobs", Keyword.SHOULD,
    "A registry SHOULD support the `Range` request header in accordance with RFC 9110.",
    refers_to=Reference(
        RFC9110, "section-14",
        "A server that supports range requests MAY ignore or reject a Range header field that contains an "
        "invalid ranges-specifier",
    ),
    position="The spec asks for RFC 9110 range requests with a SHOULD, so every departure from RFC 9110 "
    "section 14 on a blob GET (a wrong 206 body or Content-Range, a 416 without Content-Range) is a warning; "
    "a 200 with the whole blob is the RFC's way of not supporting ranges (unsupported, not a warning).",
)
HEAD_200 = Rule(
    "head-200", SPEC, "checking-if-content-exists-in-the-registry", Keyword.MUST,
    "A HEAD request to an existing blob or manifest URL MUST return `200 OK`.",
)
HEAD_DIGEST_HEADER = Rule(
    "head-digest-header", SPEC, "checking-if-content-exists-in-the-registry", Keyword.SHOULD,
    "A successful response SHOULD contain the digest of the uploaded blob in the header "
    "`Docker-Content-Digest`.",
    main=Sentence(Keyword.MUST, "A successful response MUST contain the digest of the uploaded blob or "
                                "manifest in the header `Docker-Content-Digest`."),
)
HEAD_CONTENT_LENGTH = Rule(
    "head-content-length", SPEC, "checking-if-content-exists-in-the-registry", Keyword.SHOULD,
    "A successful response SHOULD contain the size in bytes of the uploaded blob in the header "
    "`Content-Length`.",
    main=Sentence(Keyword.MUST, "A successful response MUST contain the size in bytes of the uploaded blob "
                                "or manifest in the header `Content-Length`."),
)
HEAD_NOT_FOUND_404 = Rule(
    "head-not-found-404", SPEC, "checking-if-content-exists-in-the-registry", Keyword.MUST,
    "If the blob or manifest is not found in the repository, the response code MUST be `404 Not Found`.",
)

# Range requests and the codes of missing content (added by the uploads/blobs area) ---------------------
_RANGE_SENTENCE = "A registry SHOULD support the `Range` request header in accordance with RFC 9110."
RANGE_206_SINGLE_PART = Rule(
    "range-206-single-part", SPEC, "pulling-blobs", Keyword.SHOULD, _RANGE_SENTENCE,
    refers_to=Reference(
        RFC9110, "section-15.3.7.1",
        "If a single part is being transferred, the server generating the 206 response MUST generate a "
        "Content-Range header field, describing what range of the selected representation is enclosed, and a "
        "content consisting of the range.",
    ),
    position="A 206 to a single satisfiable range must carry exactly the requested bytes (clipped to the "
    "blob) "
    "and a Content-Range `bytes <first>-<last>/<size or *>` naming them; RFC 9110 binds the registry only "
    "through the spec's SHOULD, so a departure is a warning.",
)
RANGE_416_UNSATISFIABLE = Rule(
    "range-416-unsatisfiable", SPEC, "pulling-blobs", Keyword.SHOULD, _RANGE_SENTENCE,
    refers_to=Reference(
        RFC9110, "section-14.2",
        "the received Range field-value contains a valid ranges-specifier, and either the range-unit is not "
        "supported for that target resource or the ranges-specifier is unsatisfiable with respect to the "
        "selected representation, the server SHOULD send a 416 (Range Not Satisfiable) response.",
    ),
    position="A registry that serves ranges (it answered 206 before) and answers a valid range starting past "
    "the end with anything but 416 gets a warning. An invalid range (last < first, e.g. bytes=500-0) MAY be "
    "ignored (200 with the whole blob) or rejected (416): see range-support.",
)
RANGE_416_CONTENT_RANGE = Rule(
    "range-416-content-range", SPEC, "pulling-blobs", Keyword.SHOULD, _RANGE_SENTENCE,
    refers_to=Reference(
        RFC9110, "section-15.5.17",
        "A server that generates a 416 response to a byte-range request SHOULD generate a Content-Range "
        "header "
        "field specifying the current length of the selected representation (Section 14.4).",
    ),
)
BLOB_MISSING_CODE = Rule(
    "blob-missing-code", SPEC, "error-codes", Keyword.NONE,
    "`BLOB_UNKNOWN` | blob unknown to registry",
    position="The table describes the code; no sentence with a keyword names it for a missing blob, so "
    "another code (or none, in a non-JSON body) is advice.",
)
MANIFEST_MISSING_CODE = Rule(
    "manifest-missing-code", SPEC, "error-codes", Keyword.NONE,
    "`MANIFEST_UNKNOWN` | manifest unknown to registry",
    position="The table describes the code; no sentence with a keyword names it for a missing manifest, so "
    "another code is advice.",
)
REPOSITORY_MISSING_CODE = Rule(
    "repository-missing-code", SPEC, "error-codes", Keyword.NONE,
    "`NAME_UNKNOWN` | repository name not known to registry",
    position="For content asked of a repository that was never created, NAME_UNKNOWN or the content's own "
    "code (BLOB_UNKNOWN, MANIFEST_UNKNOWN) fits the table; another code is advice.",
)
