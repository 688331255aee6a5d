"""Rules of content management (spec.md "Content Management", "Deleting tags/Manifests/Blobs", end-9, end-10).

Deleting is optional ("Registries MAY implement deletion or they MAY disable it"); what binds is the answer:
202 for a successful delete, 400 or 405 for a disabled one, 404 for a blob that is not found and for a
manifest delete in a repository that does not exist. What a delete does afterwards ("Once deleted, a `GET`
... will return a 404") has no keyword, and the 202 that the delete MUST answer means "accepted for
processing" in RFC 9110, so a deleted thing still served right after the 202 is a contested reading: advice
by default, a failure under `--registry-strict-readings` (it then rests on pulling's 404 MUST), a note with
`--no-atomic-delete`. The codes of the 404s are named by no sentence with a keyword (pull.*_MISSING_CODE);
the code of a disabled delete (`UNSUPPORTED`) is noted, not judged.
"""

from __future__ import annotations

from conformance.ledger.documents import RFC9110, SPEC
from conformance.ledger.model import Keyword, Reference, Rule

_SUCCESS = "Upon success, the registry MUST respond with a `202 Accepted` code."
_ACCEPTED = Reference(
    RFC9110, "section-15.3.3",
    "The 202 (Accepted) status code indicates that the request has been accepted for processing, but the "
    "processing has not been completed.",
)
_REFUSED = (
    "A DELETE of content the check has just pushed (and read back) either succeeds or that kind of delete is "
    "disabled; the spec allows a registry that does not delete to refuse only with 400 or 405, so another "
    "refusal (404 for content that exists, 409, 501, another 5xx) breaks this sentence. A 401 or 403 after "
    "authentication is access policy (the check ends unsupported), and a 2xx other than 202 breaks the "
    "202 sentence."
)
_GONE = (
    "{where} says 'Once deleted, a `GET` ... will return a 404' without a keyword, and the 202 the delete "
    "answered means 'accepted for processing, but the processing has not been completed' (RFC 9110 section "
    "15.3.3), so by default {what} still served right after the 202 is advice; the strict reading takes the "
    "accepted delete as done, {what} as not found, and this 404 MUST of pulling as binding (it then fails). "
    "--no-atomic-delete (OCI_API_*_ATOMIC=false) makes it a note."
)

CONTENT_MANAGEMENT_OPTIONAL = Rule(
    "content-management-optional", SPEC, "content-management", Keyword.MAY,
    "Registries MAY implement deletion or they MAY disable it.",
    unchecked="a MAY: a registry that does not delete answers 400/405 (the *-delete-disabled rules) and the "
    "check ends unsupported",
)
TAG_DELETE_OPTIONAL = Rule(
    "tag-delete-optional", SPEC, "content-management", Keyword.MAY,
    "Similarly, a registry MAY implement tag deletion, while others MAY allow deletion only by manifest.",
    unchecked="a MAY: a registry that deletes only by manifest answers a tag DELETE with 400/405 "
    "(tag-delete-disabled) and the tag checks end unsupported (distribution 2.8.2: 400 DIGEST_INVALID)",
)
TAG_DELETE_202 = Rule(
    "tag-delete-202", SPEC, "deleting-tags", Keyword.MUST, _SUCCESS,
    refers_to=_ACCEPTED,
)
TAG_DELETE_DISABLED = Rule(
    "tag-delete-disabled", SPEC, "deleting-tags", Keyword.MUST,
    "If tag deletion is disabled, the registry MUST respond with either a `400 Bad Request` or a `405 Method "
    "Not Allowed`.",
    position=_REFUSED + " distribution 2.8.2's 400 DIGEST_INVALID to a tag DELETE is such a disabled answer "
    "(unsupported, not a failure).",
)
TAG_DELETE_GONE = Rule(
    "tag-delete-gone", SPEC, "pulling-manifests", Keyword.MUST,
    "If the manifest is not found in the repository, the response code MUST be `404 Not Found`.",
    refers_to=_ACCEPTED,
    contested=True,
    position=_GONE.format(where="Deleting tags", what="the tag"),
)
TAG_DELETE_KEEPS_THE_MANIFEST = Rule(
    "tag-delete-keeps-the-manifest", SPEC, "deleting-tags", Keyword.NONE,
    "`<name>` is the namespace of the repository, and `<tag>` is the name of the tag to be deleted.",
    position="A tag DELETE deletes that tag; no sentence with a keyword says what else stays, so a registry "
    "that also drops the manifest (404 by digest) or its other tags is advice. Where the manifest is still "
    "served, it is judged as any pull (200, exact bytes, digest) and a tag still served but missing from "
    "the tag list breaks tags-list-format.",
)
MANIFEST_DELETE_202 = Rule(
    "manifest-delete-202", SPEC, "deleting-manifests", Keyword.MUST, _SUCCESS,
    refers_to=_ACCEPTED,
)
MANIFEST_DELETE_NO_REPOSITORY_404 = Rule(
    "manifest-delete-no-repository-404", SPEC, "deleting-manifests", Keyword.MUST,
    "If the repository does not exist, the response MUST return `404 Not Found`.",
    position="A registry with manifest deletion disabled MAY answer 400/405 instead (the disabled sentence "
    "applies to every manifest DELETE): the check is then unsupported.",
)
MANIFEST_DELETE_DISABLED = Rule(
    "manifest-delete-disabled", SPEC, "deleting-manifests", Keyword.MUST,
    "If manifest deletion is disabled, the registry MUST respond with either a `400 Bad Request` or a `405 "
    "Method Not Allowed`.",
    position=_REFUSED,
)
MANIFEST_DELETE_GONE = Rule(
    "manifest-delete-gone", SPEC, "pulling-manifests", Keyword.MUST,
    "If the manifest is not found in the repository, the response code MUST be `404 Not Found`.",
    refers_to=_ACCEPTED,
    contested=True,
    position=_GONE.format(where="Deleting Manifests", what="the manifest (by digest, by HEAD, or by any "
                                                           "tag that pointed to it)"),
)
MANIFEST_DELETE_REFERRERS_CLIENT = Rule(
    "manifest-delete-referrers-client", SPEC, "deleting-manifests", Keyword.SHOULD,
    "When deleting an image manifest that contains a `subject` field, and the referrers API returns a 404, "
    "clients SHOULD:",
    unchecked="binds clients (updating the referrers tag schema after a delete)",
)
MANIFEST_DELETE_REFERRERS_TAG_CLIENT = Rule(
    "manifest-delete-referrers-tag-client", SPEC, "deleting-manifests", Keyword.MAY,
    "When deleting a manifest that has an associated referrers tag schema, clients MAY also delete the "
    "referrers tag when it returns a valid image index.",
    unchecked="binds clients",
)
BLOB_DELETE_202 = Rule(
    "blob-delete-202", SPEC, "deleting-blobs", Keyword.MUST,
    "Upon success, the registry MUST respond with code `202 Accepted`.",
    refers_to=_ACCEPTED,
)
BLOB_DELETE_NOT_FOUND_404 = Rule(
    "blob-delete-not-found-404", SPEC, "deleting-blobs", Keyword.MUST,
    "If the blob is not found, a `404 Not Found` code MUST be returned.",
    position="A registry with blob deletion disabled MAY answer 400/405 instead (the disabled sentence "
    "applies to every blob DELETE): the check is then unsupported. A 202 for a blob that never existed "
    "breaks this sentence.",
)
BLOB_DELETE_DISABLED = Rule(
    "blob-delete-disabled", SPEC, "deleting-blobs", Keyword.MUST,
    "If blob deletion is disabled, the registry MUST respond with either a `400 Bad Request` or a `405 "
    "Method Not Allowed`.",
    position=_REFUSED,
)
BLOB_DELETE_GONE = Rule(
    "blob-delete-gone", SPEC, "pulling-blobs", Keyword.MUST,
    "If the blob is not found in the repository, the response code MUST be `404 Not Found`.",
    refers_to=_ACCEPTED,
    contested=True,
    position="Deleting Blobs does not even say what a GET answers after a delete, and the 202 means "
    "'accepted for processing' (RFC 9110 section 15.3.3), so by default a blob still served right after the "
    "202 is advice; the strict reading takes the accepted delete as done, the blob as not found, and this "
    "404 MUST of pulling as binding (it then fails). --no-atomic-delete makes it a note.",
)
