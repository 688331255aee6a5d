"""Rules naming the error code of a refusal of bad input (spec.md "Error Codes", legacy Docker codes).

The envelope itself (a JSON 4xx body MUST be `{"errors": [...]}`, codes MUST come from the table) is in
`general.py`; the codes of refusals in other areas sit with their area (pull.BLOB_MISSING_CODE,
uploads.UPLOAD_UNKNOWN_CODE, manifests.MANIFEST_BLOB_UNKNOWN_ON_REJECT, ...). Here: the codes of refused
names, tags, digests and methods. No sentence with a keyword names any of them for these refusals: the
table only says what a code means, so a JSON refusal carrying another table code is advice, never a
warning; `TAG_INVALID` is even a legacy code the spec calls OPTIONAL.

A code is judged only when the body is JSON: "A `4XX` response code from the registry MAY return a body in
any format", so a plain-text refusal (distribution's `404 page not found` for a name its router does not
match) carries no code to judge.
"""

from __future__ import annotations

from conformance.ledger.documents import SPEC
from conformance.ledger.model import Keyword, Rule

_NO_KEYWORD = (
    "The table says what the code means; no sentence with a keyword binds a registry to use it for this "
    "refusal, so a JSON refusal with another code from the table is advice (never a warning), and a "
    "non-JSON refusal carries no code to judge."
)

INVALID_NAME_CODE = Rule(
    "invalid-name-code", SPEC, "error-codes", Keyword.NONE,
    "`NAME_INVALID` | invalid repository name",
    position=_NO_KEYWORD + " Codes that hide the repository (NAME_UNKNOWN, UNAUTHORIZED, DENIED, or the "
    "missing content's own code) fit a refusal of a name that cannot exist as well.",
)
INVALID_TAG_CODE = Rule(
    "invalid-tag-code", SPEC, "legacy-docker-support-error-codes", Keyword.OPTIONAL,
    "The client MAY encounter error codes targeting Docker schema1 manifests, such as `TAG_INVALID`, or "
    "`MANIFEST_UNVERIFIED`. These error codes are OPTIONAL and clients SHOULD NOT depend on them.",
    position="The code for an invalid tag is a legacy code the spec calls OPTIONAL, so a refused tag that "
    "names neither TAG_INVALID nor MANIFEST_INVALID is advice; the error-envelope schema accepts both legacy "
    "codes beside the table's.",
)
MALFORMED_DIGEST_CODE = Rule(
    "malformed-digest-code", SPEC, "error-codes", Keyword.NONE,
    "`DIGEST_INVALID` | provided digest did not match uploaded content",
    position=_NO_KEYWORD + " A request naming a malformed digest (or one of an unsupported algorithm) is "
    "refused in the table's terms with DIGEST_INVALID; a 404 code (BLOB_UNKNOWN, MANIFEST_UNKNOWN, "
    "NAME_UNKNOWN) fits a registry that looked the string up and found nothing.",
)
UNDEFINED_METHOD_CODE = Rule(
    "undefined-method-code", SPEC, "error-codes", Keyword.NONE,
    "`UNSUPPORTED` | the operation is unsupported",
    position=_NO_KEYWORD,
)
