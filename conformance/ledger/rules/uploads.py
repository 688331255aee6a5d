"""Rules of pushing blobs: spec.md's upload sections, the de-duplication use case, codes of refused uploads.

Sections: "Pushing blobs", "POST then PUT", "Single POST", "Pushing a blob in chunks", "Cancel a blob upload"
and the "Layer Upload De-duplication" use case. Quotes are from distribution-spec v1.1.1 unless `since=MAIN`
(only the main branch has the sentence; advice in a 1.1 run). A refused step of a valid upload (a 4xx or 5xx
to a well-formed POST, PATCH or PUT) is judged by `general.CATEGORY_CLAIM`: the sentences below bind a
*successful* answer ("Upon success, the response MUST ...") and say nothing of refusals, while a registry
whose Push category is checked claims every API of it.
"""

from __future__ import annotations

from conformance.ledger.documents import DISTRIBUTION_API, HARNESS, SPEC
from conformance.ledger.model import Keyword, Rule, Sentence, SpecVersion

# POST then PUT ------------------------------------------------------------------------------------
UPLOAD_POST_202 = Rule(
    "upload-post-202", SPEC, "post-then-put", Keyword.MUST,
    "Upon success, the response MUST have a code of `202 Accepted`, and MUST include the following header: "
    "`Location: <location>`",
    position="A 2xx other than 202, or a 202 without Location, breaks this sentence; a refusal (4xx/5xx) "
    "of a "
    "well-formed POST is no success and fails on category-claim instead.",
)
UPLOAD_SESSION_UUID = Rule(
    "upload-session-uuid", SPEC, "post-then-put", Keyword.MUST,
    "The `<location>` MUST contain a UUID representing a unique session ID for the upload to follow.",
    position="Any UUID in the Location's path segments or query values counts (hyphenated or not); two POSTs "
    "must get two different Locations with two different UUIDs.",
)
UPLOAD_LOCATION_OPAQUE = Rule(
    "upload-location-opaque", SPEC, "post-then-put", Keyword.MAY,
    "The `<location>` MAY contain critical query parameters.",
    position="Upload URLs are opaque: every request of a session goes to the Location exactly as the last "
    "answer gave it, query included (distribution signs `_state` into the query, and an older Location "
    "stops working there). The suite never rebuilds a session URL, never drops its query and never reuses "
    "an older Location where the spec says the latest; the one exception is the contested status GET on an "
    "older Location (upload-status-any-location). The only URL it makes up is one for a session id never "
    "issued: a real Location with its id replaced (query kept), which a registry must not know.",
    unchecked="a freedom of the registry, honoured by the client: every step goes to the latest Location "
    "verbatim (tests/conformance/checks/test_checks_transfers.py runs every upload method against a "
    "registry whose older Locations stop working)",
)
UPLOAD_LOCATION_FORMS = Rule(
    "upload-location-forms", SPEC, "post-then-put", Keyword.MAY,
    "Optionally, the location MAY be absolute (containing the protocol and/or hostname), or it MAY be "
    "relative (containing just the URL path).",
    unchecked="a freedom of the registry, honoured by the client (relative Locations are resolved against "
    "the request; tests/conformance/broken/test_legal_variations.py mixes both forms)",
)
UPLOAD_PUT_201 = Rule(
    "upload-put-201", SPEC, "post-then-put", Keyword.MUST,
    "Upon successful completion of the request, the response MUST have code `201 Created` and MUST have the "
    "following header: `Location: <blob-location>` ... With `<blob-location>` being a pullable blob URL.",
    position="After a 201 the suite GETs the Location: it must answer 200 with exactly the bytes uploaded "
    "(the blob the digest names). A 201 to content that does not hash to the digest can name no such blob.",
)

UPLOAD_CREATED_DIGEST_HEADER = Rule(
    "upload-created-digest-header", DISTRIBUTION_API, "completed-upload", Keyword.NONE,
    "The `Docker-Content-Digest` header returns the canonical digest of the uploaded blob which may differ "
    "from the provided digest.",
    position="spec.md says nothing of the header on a finished upload: one of the digest's algorithm naming "
    "another digest, or one of another algorithm that does not hash the bytes, is advice.",
)

# Single POST --------------------------------------------------------------------------------------
SINGLE_POST_SUPPORT = Rule(
    "single-post-support", SPEC, "single-post", Keyword.MAY,
    "Registries MAY support pushing blobs using a single POST request.",
)
SINGLE_POST_FALLBACK_202 = Rule(
    "single-post-fallback-202", SPEC, "single-post", Keyword.SHOULD,
    "Registries that do not support single request monolithic uploads SHOULD return a `202 Accepted` status "
    "code and `Location` header and clients SHOULD proceed with a subsequent PUT request",
    position="A single POST answered neither 201 nor 202 (with a Location) breaks this SHOULD; the suite "
    "then cannot go on with that upload, and single POST is recorded as unsupported.",
)
SINGLE_POST_201 = Rule(
    "single-post-201", SPEC, "single-post", Keyword.MUST,
    "Successful completion of the request MUST return a `201 Created` and MUST include the following header: "
    "`Location: <blob-location>` ... Here, `<blob-location>` is a pullable blob URL.",
)

# digests ------------------------------------------------------------------------------------------
DIGEST_INVALID_400 = Rule(
    "blob-digest-invalid-400", SPEC, "pushing-blobs", Keyword.SHOULD,
    "In each implementation, if the client provided digest is invalid or uses an unsupported algorithm, the "
    "registry SHOULD respond with a response code `400 Bad Request`.",
    since=SpecVersion.MAIN,
    position="'Invalid' includes a digest the uploaded bytes do not hash to (the error table's "
    "DIGEST_INVALID "
    "is 'provided digest did not match uploaded content'). v1.1.1 has no such sentence, so in a 1.1 run the "
    "status of the refusal is advice. Accepting the bytes under that digest is judged by its effects "
    "instead: a 201 must name a pullable blob of the digest (upload-put-201), and a GET of the digest must "
    "not serve bytes that hash to something else (blob-get-200).",
)
DIGEST_VERIFIED = Rule(
    "upload-digest-verified", DISTRIBUTION_API, "digest-parameter", Keyword.NONE,
    "Given this parameter, the registry will verify that the provided content does match this digest.",
    position="A success other than 201 (which the effects judge) to a digest the bytes do not match is "
    "advice.",
)

# chunks -------------------------------------------------------------------------------------------
CHUNK_MIN_LENGTH_HEADER = Rule(
    "chunk-min-length-header", SPEC, "pushing-a-blob-in-chunks", Keyword.SHOULD,
    "If the registry has a minimum chunk size, the `POST` response SHOULD include the following header, "
    "where `<size>` is the size in bytes (see the blob `PATCH` definition for usage): "
    "`OCI-Chunk-Min-Length: <size>`",
    position="A value that is not a size in bytes is no such header. Chunks the suite sends are 1 KiB (the "
    "official suite's size) or the advertised minimum; a registry with an unadvertised larger minimum that "
    "refuses them fails on category-claim, which advertising the minimum avoids.",
)
PATCH_202 = Rule(
    "patch-202", SPEC, "pushing-a-blob-in-chunks", Keyword.MUST,
    "Each successful chunk upload MUST have a `202 Accepted` response code, and MUST have the following "
    "headers: `Location: <location>` `Range: 0-<end-of-range>` ... The `<end-of-range>` value is the "
    "position of the last uploaded byte.",
    main=Sentence(Keyword.MUST, "The response for each successful chunk upload MUST be `202 Accepted`, and "
                  "MUST have the following headers: `Location: <blob-push-location>` `Range: "
                  "0-<end-of-range>` ... The `<end-of-range>` value is the position of the last uploaded "
                  "byte of the blob, matching the end value of the `Content-Range` in the request."),
    position="Also binds an accepted PATCH without Content-Range (a streamed chunk). With nothing stored yet "
    "the Range cannot be expressed (0-0 names one byte; distribution-spec#577), so any well-formed value is "
    "accepted for an empty session.",
)
PATCH_RANGE_FORM = Rule(
    "patch-range-form", SPEC, "pushing-a-blob-in-chunks", Keyword.MUST,
    "Each successful chunk upload MUST have a `202 Accepted` response code, and MUST have the following "
    "headers: `Location: <location>` `Range: 0-<end-of-range>`",
    contested=True,
    position="A `bytes=` prefix (RFC 9110's syntax for the Range request header) names the same bytes in "
    "HTTP's own notation, so the suite reads `bytes=0-<end>` as that form: advice by default, a failure "
    "under --registry-strict-readings, which holds the value to the literal `0-<end-of-range>`.",
)
STREAMED_PATCH = Rule(
    "streamed-patch", DISTRIBUTION_API, "stream-upload", Keyword.NONE,
    "Upload a stream of data to upload without completing the upload.",
    position="spec.md describes the PATCH only with a Content-Range; one without it (how skopeo, buildah and "
    "containerd push) is distribution's stream upload. A refusal is advice; an accepted one answers as "
    "patch-202 requires.",
)
CHUNK_OUT_OF_ORDER_416 = Rule(
    "chunk-out-of-order-416", SPEC, "pushing-a-blob-in-chunks", Keyword.MUST,
    "If a chunk is uploaded out of order, the registry MUST respond with a `416 Requested Range Not "
    "Satisfiable` code.",
    position="A PATCH whose Content-Range does not start at the last accepted byte plus one is out of order: "
    "one that skips ahead, one that resends the first chunk, one that overlaps the end.",
)
FINAL_CHUNK_OUT_OF_ORDER_416 = Rule(
    "final-chunk-out-of-order-416", SPEC, "pushing-a-blob-in-chunks", Keyword.MUST,
    "If the final chunk is uploaded out of order, the registry MUST respond with a `416 Requested Range Not "
    "Satisfiable` code.",
    since=SpecVersion.MAIN,
)
FINAL_CHUNK_IN_PUT = Rule(
    "final-chunk-in-put", SPEC, "pushing-a-blob-in-chunks", Keyword.MAY,
    "The final chunk MAY be uploaded using a `PATCH` request or it MAY be uploaded in the closing `PUT` "
    "request.",
    position="The client's choice, so a registry must take either: a refused final chunk in the closing PUT "
    "fails on category-claim, like any refused step of a valid upload.",
)
UPLOAD_416_RANGE = Rule(
    "upload-416-range", HARNESS, "", Keyword.NONE,
    "A Range header on the 416 answer to an out-of-order chunk names the bytes the session holds.",
    position="No sentence asks for a Range on the 416; when one is sent, a value that misstates the "
    "session's progress misleads clients (advice).",
)
CHUNK_RANGE_MATCHES_LENGTH = Rule(
    "chunk-range-matches-length", SPEC, "pushing-a-blob-in-chunks", Keyword.MUST,
    "The `<range>` refers to the byte range of the chunk ... The `<length>` is the content-length, in bytes, "
    "of the current chunk. ... Each successful chunk upload MUST have a `202 Accepted` response code, and "
    "MUST have the following headers: ... `Range: 0-<end-of-range>`",
    main=Sentence(Keyword.MUST, "The response for each successful chunk upload MUST be `202 Accepted` ... "
                  "The `<end-of-range>` value is the position of the last uploaded byte of the blob, "
                  "matching the end value of the `Content-Range` in the request."),
    contested=True,
    position="A PATCH whose Content-Range disagrees with its body length: no sentence says what the registry "
    "answers. Default: any answer is advice (400 or 416 with SIZE_INVALID is the natural refusal). The "
    "strict reading (--registry-strict-readings) fails a 202, whose Range cannot both name the last byte "
    "received and match the Content-Range. A registry that accepts the chunk must report a state it can "
    "stand by: the status GET must agree with the PATCH's Range (upload-status-204), and an upload closed "
    "with the digest of the bytes that Range names must serve exactly them (chunked-close-201).",
)

# status -------------------------------------------------------------------------------------------
UPLOAD_STATUS_204 = Rule(
    "upload-status-204", SPEC, "pushing-a-blob-in-chunks", Keyword.MUST,
    "The response to an active upload `<location>` MUST be a `204 No Content` response code, and MUST have "
    "the following headers: `Location: <location>` `Range: 0-<end-of-range>`",
    position="A session is active from its POST until it is closed or cancelled: also right after the POST "
    "and after a 416 (the spec sends the client to this GET to resume after one). The Location used is the "
    "latest one the registry gave.",
)
UPLOAD_STATUS_ANY_LOCATION = Rule(
    "upload-status-any-location", SPEC, "pushing-a-blob-in-chunks", Keyword.MUST,
    "The `<location>` refers to the URL obtained from any preceding `POST` or `PATCH` request. The response "
    "to an active upload `<location>` MUST be a `204 No Content` response code",
    contested=True,
    position="Default: a client uses the latest Location (\"The following chunk upload SHOULD use the "
    "<location> provided in the response\", and Locations may carry state in their query), so an older "
    "Location that no longer answers 204 is advice. The strict reading (--registry-strict-readings) takes "
    "\"any preceding\" literally and fails it (distribution answers 404 BLOB_UPLOAD_INVALID: its older "
    "Locations carry an outdated signed `_state`).",
)
CHUNKED_CLOSE_201 = Rule(
    "chunked-close-201", SPEC, "pushing-a-blob-in-chunks", Keyword.MUST,
    "The response to a successful closing of the session MUST be `201 Created`, and MUST contain the "
    "following header: `Location: <blob-location>` ... Here, `<blob-location>` is a pullable blob URL.",
)

# cancel -------------------------------------------------------------------------------------------
CANCEL_204 = Rule(
    "upload-cancel-204", SPEC, "cancel-a-blob-upload", Keyword.SHOULD,
    "If successful, the response SHOULD be a `204 No Content` response code.",
    since=SpecVersion.MAIN,
)
CANCEL_EFFECT = Rule(
    "upload-cancel-effect", DISTRIBUTION_API, "canceling-an-upload", Keyword.NONE,
    "After this request is issued, the upload uuid will no longer be valid and the registry server will dump "
    "all intermediate data.",
    position="spec.md v1.1.1 has no cancel; the main branch says only that \"the session may be canceled\". "
    "A cancel answered with a success whose session still answers (or takes bytes) is advice.",
)
UPLOAD_TIMEOUT = Rule(
    "upload-timeout", SPEC, "cancel-a-blob-upload", Keyword.SHOULD,
    "If this request fails or is not called, the server SHOULD eventually timeout unfinished uploads.",
    since=SpecVersion.MAIN,
    unchecked="needs to wait out the registry's upload expiry (distribution purges after days by default); "
    "no check waits that long",
)

# codes of refused uploads (spec.md "Error Codes": no keyword says which refusal carries which) --------
UPLOAD_UNKNOWN_CODE = Rule(
    "upload-unknown-code", SPEC, "error-codes", Keyword.NONE,
    "`BLOB_UPLOAD_UNKNOWN` | blob upload unknown to registry",
    position="The table describes the code but no sentence with a keyword names it for a session the "
    "registry does not know (distribution answers BLOB_UPLOAD_INVALID): another code is advice, and so is "
    "the 404 itself (the endpoint table's failure column has no keyword).",
)
UPLOAD_DIGEST_INVALID_CODE = Rule(
    "upload-digest-invalid-code", SPEC, "error-codes", Keyword.NONE,
    "`DIGEST_INVALID` | provided digest did not match uploaded content",
)
UPLOAD_SIZE_INVALID_CODE = Rule(
    "upload-size-invalid-code", SPEC, "error-codes", Keyword.NONE,
    "`SIZE_INVALID` | provided length did not match content length",
)

# use case -----------------------------------------------------------------------------------------
LAYER_UPLOAD_DEDUP = Rule(
    "layer-upload-dedup", SPEC, "layer-upload-de-duplication", Keyword.NONE,
    "If process A and B upload the same layer at the same time, both operations will proceed and the first "
    "to complete will be stored in the registry.",
    position="The use case has no keyword. Each step of both uploads is a valid push, so a refused step "
    "fails "
    "on category-claim and a wrong success on the step's own MUST; the blob must then be readable.",
)
