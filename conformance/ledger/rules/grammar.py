"""Rules of names, tags, references and digests (spec.md "Pulling manifests", descriptor.md "Digests").

The grammar sentences say what a `<name>`, a tag and a `<reference>` ARE; no sentence binds a registry to
refuse a request outside them. So the suite reads them as contested where a registry acts on such a request
(a 2xx): advice by default, a failure under `--registry-strict-readings`. What binds a registry without
contest comes from elsewhere: a well-formed reference that does not exist MUST be 404 (pull.*_NOT_FOUND_404),
a JSON 4xx body MUST be the envelope (general.ERROR_ENVELOPE), a 5xx for bad input departs from HTTP
semantics (general.SERVER_ERROR_FOR_CLIENT_ERROR).

Well-formed, by these sentences: a name matching the regular expression, however long (the 255-character
note is non-normative); a tag matching its expression; a digest matching descriptor.md's grammar, whatever
its algorithm (`md5:...` and `sha256+b64u:...` are well-formed, unregistered), except that a registered
algorithm's encoded part must have its exact form (`sha256:abc` is malformed). `conformance.spec.grammar`
implements these definitions.
"""

from __future__ import annotations

from conformance.ledger.documents import DESCRIPTOR, SPEC
from conformance.ledger.model import Keyword, Rule, Sentence

_ACTING_ON_INVALID = (
    "The sentence says what a valid value is; no sentence binds a registry to refuse a request outside it. "
    "Default reading: a refusal (any 4xx, any body) is right and a registry that acts on the request (a 2xx) "
    "is given advice; --registry-strict-readings reads the MUST as bounding what a registry may act on, and "
    "a 2xx fails. A 5xx is judged as a departure from HTTP semantics (general.SERVER_ERROR_FOR_CLIENT_ERROR) "
    "unless the request is well-formed and names nothing, where the 404 MUST applies."
)

NAME_GRAMMAR = Rule(
    "name-grammar", SPEC, "pulling-manifests", Keyword.MUST,
    "Throughout this document, `<name>` MUST match the following regular expression: "
    "`[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*`",
    contested=True,
    position=_ACTING_ON_INVALID + " Upper case in the first component is the known case: distribution "
    "reads `A/0` as a host name and opens an upload session for it (advice by default).",
)
NAME_LENGTH_NOTE = Rule(
    "name-length-note", SPEC, "pulling-manifests", Keyword.NONE,
    "For compatibility with those clients, registries should avoid values of `<name>` that would cause this "
    "limit to be exceeded.",
    position="An implementers' note with a lower-case 'should': names longer than 255 characters are VALID "
    "(the grammar has no length limit). A pull of such a name that does not exist MUST be 404 like any other "
    "(pull.MANIFEST_NOT_FOUND_404; another 4xx is judged by LONG_NAME_NOT_FOUND_404); a push to one may be "
    "accepted or refused, and a 5xx to that push is advice under this note.",
)
LONG_NAME_NOT_FOUND_404 = Rule(
    "long-name-not-found-404", SPEC, "pulling-manifests", Keyword.MUST,
    "If the manifest is not found in the repository, the response code MUST be `404 Not Found`.",
    contested=True,
    position="A name over 255 characters is valid, so a pull of one that does not exist is a pull of a "
    "missing manifest: the literal reading requires 404. The implementers' note asks registries to avoid "
    "such names, so a refusal with another 4xx (400 NAME_INVALID, say) is advice by default and fails only "
    "under --registry-strict-readings. A 5xx refuses nothing: it fails on pull.MANIFEST_NOT_FOUND_404.",
)
TAG_GRAMMAR = Rule(
    "tag-grammar", SPEC, "pulling-manifests", Keyword.MUST,
    "Throughout this document, `<reference>` as a tag MUST be at most 128 characters in length and MUST "
    "match the following regular expression: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`",
    main=Sentence(Keyword.MUST, "Throughout this document, `<tag-or-digest>` as a tag MUST be at most 128 "
                                "characters in length and MUST match the following regular expression: "
                                "`[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`"),
    contested=True,
    position=_ACTING_ON_INVALID + " A reference with a colon (`a:b`) is no tag but a well-formed digest of "
    "an unregistered algorithm, so a pull of it MUST be 404 when nothing has that digest.",
)
REFERENCE_FORMAT = Rule(
    "reference-format", SPEC, "pulling-manifests", Keyword.MUST,
    "`<reference>` MUST be either (a) the digest of the manifest or (b) a tag. The `<reference>` MUST NOT be "
    "in any other format.",
    main=Sentence(Keyword.MUST, "`<tag-or-digest>` MUST be either (a) the digest of the manifest or (b) a "
                                "tag. The `<tag-or-digest>` MUST NOT be in any other format."),
    contested=True,
    position=_ACTING_ON_INVALID + " It decides which references are well-formed: a valid tag, or a digest "
    "by descriptor.md's grammar (an unregistered algorithm included; a registered algorithm with another "
    "encoding excluded).",
    unchecked="it defines which references the checks treat as well-formed (conformance/spec/grammar.py); "
    "what a registry answers to one outside it is judged by tag-grammar and the digest rules",
)
DIGEST_GRAMMAR = Rule(
    "digest-grammar", DESCRIPTOR, "digests", Keyword.MUST,
    "A digest string MUST match the following grammar",
    contested=True,
    position=_ACTING_ON_INVALID + " A registry that stores an upload under a string outside the grammar "
    "(201 to a closing PUT with such a ?digest=) acts on it.",
)
DIGEST_SHA256_ENCODING = Rule(
    "digest-sha256-encoding", DESCRIPTOR, "sha-256", Keyword.MUST,
    "When the _algorithm identifier_ is `sha256`, the _encoded_ portion MUST match `/[a-f0-9]{64}/`. Note "
    "that `[A-F]` MUST NOT be used here.",
    contested=True,
    position=_ACTING_ON_INVALID + " `sha256:baddigeststring` (the official suite's malformed digest) and "
    "upper-case hex are malformed by it, though they match the general grammar.",
)
DIGEST_SHA512_ENCODING = Rule(
    "digest-sha512-encoding", DESCRIPTOR, "sha-512", Keyword.MUST,
    "When the _algorithm identifier_ is `sha512`, the _encoded_ portion MUST match `/[a-f0-9]{128}/`. Note "
    "that `[A-F]` MUST NOT be used here.",
    contested=True,
    position=_ACTING_ON_INVALID,
)
DIGEST_BLAKE3_ENCODING = Rule(
    "digest-blake3-encoding", DESCRIPTOR, "blake3", Keyword.MUST,
    "When the _algorithm identifier_ is `blake3`, the _encoded_ portion MUST match `/[a-f0-9]{64}/`. Note "
    "that `[A-F]` MUST NOT be used here.",
    contested=True,
    position=_ACTING_ON_INVALID,
)
UNKNOWN_ALGORITHM_NOT_FOUND_404 = Rule(
    "unknown-algorithm-not-found-404", SPEC, "checking-if-content-exists-in-the-registry", Keyword.MUST,
    "If the blob or manifest is not found in the repository, the response code MUST be `404 Not Found`.",
    contested=True,
    position="A digest of an algorithm the registry does not implement (`md5:...`, `sha256+b64u:...`) is "
    "well-formed by descriptor.md's grammar and names nothing the repository holds, so the literal reading "
    "requires 404 on a GET or HEAD of a blob or manifest by it. spec.md (main, Pushing blobs) asks for 400 "
    "when a pushed digest uses an unsupported algorithm, and a registry may read a pull the same way: a 400 "
    "(or another 4xx) is advice by default and fails only under --registry-strict-readings. A 5xx refuses "
    "nothing: it fails on the 404 MUST (pull.BLOB_NOT_FOUND_404, MANIFEST_NOT_FOUND_404, "
    "HEAD_NOT_FOUND_404).",
)
UNRECOGNIZED_ALGORITHM_PASSES = Rule(
    "unrecognized-algorithm-passes", DESCRIPTOR, "digests", Keyword.SHOULD,
    "Implementations SHOULD allow digests with unrecognized algorithms to pass validation if they comply "
    "with the above grammar.",
    unchecked="for a registry the request sentences decide: spec.md (main) asks for 400 when a pushed digest "
    "uses an unsupported algorithm, and pulls by such digests are judged by UNKNOWN_ALGORITHM_NOT_FOUND_404; "
    "warning on both sides of one request would contradict the spec",
)
SHA256_PREFERRED = Rule(
    "sha256-preferred", DESCRIPTOR, "registered-algorithms", Keyword.SHOULD,
    "While the _algorithm_ component of the digest string allows the use of a variety of cryptographic "
    "algorithms, compliant implementations SHOULD use [SHA-256](#sha-256).",
    position="Checked where the registry chooses an algorithm itself: the Docker-Content-Digest it serves "
    "for content pushed by its sha256 digest (spec.md lets the header's algorithm differ: MAY).",
)
SHA256_VERIFICATION = Rule(
    "sha256-verification", DESCRIPTOR, "sha-256", Keyword.MUST,
    "Implementations MUST implement SHA-256 digest verification for use in descriptors.",
    unchecked="binds whoever consumes descriptors; what a registry does with content that does not match "
    "its digest is judged by what it serves afterwards (pull.BLOB_GET_200: 'the expected blob')",
)
SHA512_OPTIONAL = Rule(
    "sha512-optional", DESCRIPTOR, "sha-512", Keyword.MAY,
    "Implementations MAY implement SHA-512 digest verification for use in descriptors.",
    position="sha512 is optional: a registry that refuses sha512 content with a 4xx is recorded as not "
    "supporting it (unsupported), never failed.",
)
BLAKE3_OPTIONAL = Rule(
    "blake3-optional", DESCRIPTOR, "blake3", Keyword.MAY,
    "Implementations MAY implement BLAKE3 digest verification for use in descriptors.",
    unchecked="the harness does not push blake3 content (Python's hashlib has no BLAKE3)",
)
