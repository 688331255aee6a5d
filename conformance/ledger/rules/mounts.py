"""Rules of cross-repository mounts (spec.md "Mounting a blob from another repository", end-11)."""

from __future__ import annotations

from conformance.ledger.documents import SPEC
from conformance.ledger.model import Keyword, Rule

MOUNT_201 = Rule(
    "mount-201", SPEC, "mounting-a-blob-from-another-repository", Keyword.MUST,
    "The response to a successful mount MUST be `201 Created`, and MUST contain the following header: "
    "`Location: <blob-location>`",
    position="`<blob-location>` is the placeholder the push sections define as \"a pullable blob URL\", and "
    "\"The Location header will contain the registry URL to access the accepted layer file\": a 201 whose "
    "Location does not serve the blob (distribution's sha512 mount answers 404 there), or a 201 for content "
    "that exists nowhere, breaks it. After a 201 the blob is in the target repository (\"mounted into a "
    "different repository\"), so a GET of it there must succeed (blob-get-200).",
)
MOUNT_LOCATION_URL = Rule(
    "mount-location-url", SPEC, "mounting-a-blob-from-another-repository", Keyword.NONE,
    "The Location header will contain the registry URL to access the accepted layer file.",
    position="No keyword: a Location other than the target repository's /v2/<name>/blobs/<digest> (a "
    "redirect "
    "target, a storage URL) is advice, as long as it serves the blob (mount-201).",
)
MOUNT_DIGEST_HEADER = Rule(
    "mount-digest-header", SPEC, "mounting-a-blob-from-another-repository", Keyword.MAY,
    "The Docker-Content-Digest header returns the canonical digest of the uploaded blob which MAY differ "
    "from "
    "the provided digest.",
    position="No keyword binds the value: a header of the same algorithm naming another digest, or one of "
    "another algorithm that does not hash the blob, is advice.",
)
MOUNT_FROM_OPTIONAL = Rule(
    "mount-from-optional", SPEC, "mounting-a-blob-from-another-repository", Keyword.MAY,
    "The registry MAY treat the `from` parameter as optional, and it MAY cross-mount the blob if it can be "
    "found.",
)
MOUNT_FALLBACK_202 = Rule(
    "mount-fallback-202", SPEC, "mounting-a-blob-from-another-repository", Keyword.SHOULD,
    "Alternatively, if a registry does not support cross-repository mounting or is unable to mount the "
    "requested blob, it SHOULD return a `202`. This indicates that the upload session has begun and that the "
    "client MAY proceed with the upload.",
    position="A 202 opens an ordinary upload session: the suite finishes it with a PUT of the blob, "
    "judged by "
    "the upload rules. Any other answer that is no 201 (404 included: end-11 lists it, without a keyword), "
    "and a 202 without a Location to proceed with, break this SHOULD.",
)
