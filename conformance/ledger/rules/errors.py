"""Rules naming the error code of a particular refusal (spec.md "Error Codes", "Push", legacy Docker codes).

The envelope itself (a JSON 4xx body MUST be `{"errors": [...]}`, codes MUST come from the table) is in
`general.py`. Here: which code a given refusal carries. Only one sentence names a code with a keyword
(`MANIFEST_BLOB_UNKNOWN` for a manifest refused for missing references, MUST); for every other refusal the
table only says what a code means, so a refusal carrying another table code is advice (`CODE_*`, no
keyword), never a warning. `TAG_INVALID` is even a legacy code the spec calls OPTIONAL.

A code is judged only when the body is JSON: "A `4XX` response code from the registry MAY return a body in
any format", so a plain-text refusal carries no code to judge.
"""

from __future__ import annotations

from conformance.ledger.documents import SPEC
from conformance.ledger.model import Keyword, Rule

_NO_KEYWORD = (
    "The table says what the code means; no sentence with a keyword binds a registry to use it for this "
    "refusal, so a JSON refusal with another code from the table is advice (never a warning), and a "
    "non-JSON refusal carries no code to judge."
)

MANIFEST_BLOB_UNKNOWN_CODE = Rule(
    "manifest-blob-unknown-code", SPEC, "push", Keyword.MUST,
    "When a manifest is rejected for this reason, it MUST result in one or more `MANIFEST_BLOB_UNKNOWN` "
    "errors",
    position="'This reason' is the preceding sentence: a manifest whose descriptors reference a manifest or "
    "blob that does not exist (a registry MAY reject it). A JSON refusal without the code fails; a refusal "
    "with a non-JSON body is noted (4xx bodies MAY be in any format, so there is no error list to read).",
)
CODE_BLOB_UNKNOWN = Rule(
    "code-blob-unknown", SPEC, "error-codes", Keyword.NONE,
    "`BLOB_UNKNOWN` | blob unknown to registry", position=_NO_KEYWORD,
)
CODE_BLOB_UPLOAD_INVALID = Rule(
    "code-blob-upload-invalid", SPEC, "error-codes", Keyword.NONE,
    "`BLOB_UPLOAD_INVALID` | blob upload invalid", position=_NO_KEYWORD,
)
CODE_BLOB_UPLOAD_UNKNOWN = Rule(
    "code-blob-upload-unknown", SPEC, "error-codes", Keyword.NONE,
    "`BLOB_UPLOAD_UNKNOWN` | blob upload unknown to registry", position=_NO_KEYWORD,
)
CODE_DIGEST_INVALID = Rule(
    "code-digest-invalid", SPEC, "error-codes", Keyword.NONE,
    "`DIGEST_INVALID` | provided digest did not match uploaded content", position=_NO_KEYWORD,
)
CODE_MANIFEST_INVALID = Rule(
    "code-manifest-invalid", SPEC, "error-codes", Keyword.NONE,
    "`MANIFEST_INVALID` | manifest invalid", position=_NO_KEYWORD,
)
CODE_MANIFEST_UNKNOWN = Rule(
    "code-manifest-unknown", SPEC, "error-codes", Keyword.NONE,
    "`MANIFEST_UNKNOWN` | manifest unknown to registry", position=_NO_KEYWORD,
)
CODE_NAME_INVALID = Rule(
    "code-name-invalid", SPEC, "error-codes", Keyword.NONE,
    "`NAME_INVALID` | invalid repository name", position=_NO_KEYWORD,
)
CODE_NAME_UNKNOWN = Rule(
    "code-name-unknown", SPEC, "error-codes", Keyword.NONE,
    "`NAME_UNKNOWN` | repository name not known to registry", position=_NO_KEYWORD,
)
CODE_SIZE_INVALID = Rule(
    "code-size-invalid", SPEC, "error-codes", Keyword.NONE,
    "`SIZE_INVALID` | provided length did not match content length", position=_NO_KEYWORD,
)
CODE_UNSUPPORTED = Rule(
    "code-unsupported", SPEC, "error-codes", Keyword.NONE,
    "`UNSUPPORTED` | the operation is unsupported", position=_NO_KEYWORD,
)
CODE_TAG_INVALID = Rule(
    "code-tag-invalid", SPEC, "legacy-docker-support-error-codes", Keyword.OPTIONAL,
    "The client MAY encounter error codes targeting Docker schema1 manifests, such as `TAG_INVALID`, or "
    "`MANIFEST_UNVERIFIED`. These error codes are OPTIONAL and clients SHOULD NOT depend on them.",
    position="Legacy codes are OPTIONAL for a registry, so a refused tag that does not say TAG_INVALID is "
    "advice; the error-envelope schema accepts both legacy codes beside the table's.",
)
