"""Rules of listing tags (spec.md "Listing Tags", end-8a/end-8b): status, body, order, `n`, `last`, `Link`.

The sentences with a keyword bind the answer's status (200 for a repository that is found), its body (the
JSON format, whose `tags` are the repository's tags), the order (lexical in v1.1.1; lexical or
"ASCIIbetical" on main), `n` (at most and, unless the list ends or a `Link` follows, exactly `n` tags),
`n=0` (an empty list, no `Link`) and the syntax of `Link`. Where a page starts (the beginning, or after
`last`) is said without a keyword, so a page that starts elsewhere is advice. Three readings are open and
contested (advice by default, failures under `--registry-strict-readings`): `"tags": null` for an empty
list, ASCIIbetical order under v1.1.1, and a 404 for a repository that holds only untagged manifests; a
fourth, a deleted tag still listed right after its accepted (202) delete, follows the deletes' reading.
The 404 of a repository that does not exist is in the endpoint table only (`general.ENDPOINT_TABLE`), its
code `NAME_UNKNOWN` in the code table only (`pull.REPOSITORY_MISSING_CODE`).
"""

from __future__ import annotations

from conformance.ledger.documents import RFC8288, SPEC
from conformance.ledger.model import Keyword, Reference, Rule, Sentence

_ANCHOR = "listing-tags"
_FOUND_200 = "Assuming a repository is found, this request MUST return a `200 OK` response code."
_ORDER_MAIN = ("If the list is not empty, the tags MUST be in lexical (i.e. case-insensitive alphanumeric "
               "order) or \"ASCIIbetical\" (Go's `sort.Strings`) order.")
_FORMAT = "Upon success, the response MUST be a json body in the following format"

TAGS_LIST_200 = Rule(
    "tags-list-200", SPEC, _ANCHOR, Keyword.MUST, _FOUND_200,
    position="A repository that holds tagged manifests (the check just pushed and read them) is found, so "
    "its tags/list MUST answer 200; what a repository that was never pushed answers is judged by the "
    "endpoint table (advice), and a repository with only untagged manifests by "
    "tags-list-untagged-repository.",
)
TAGS_LIST_UNTAGGED_REPOSITORY = Rule(
    "tags-list-untagged-repository", SPEC, _ANCHOR, Keyword.MUST, _FOUND_200,
    contested=True,
    position="The spec never says when a repository is 'found'. A registry may know a repository for "
    "listing by its tags (distribution 2.8.2 and 3.1.1 answer 404 NAME_UNKNOWN when a repository holds only "
    "manifests pushed by digest, which they serve by digest all the same), so by default such a 404 is "
    "advice; the strict reading counts a repository with content as found and fails the 404.",
)
TAGS_MAY_BE_EMPTY = Rule(
    "tags-may-be-empty", SPEC, _ANCHOR, Keyword.MAY,
    "The list of tags MAY be empty if there are no tags on the repository.",
    unchecked="a MAY: an empty list of a repository without tags is allowed, so there is nothing to judge "
    "(the body's format and its contents are judged by tags-list-format)",
)
TAGS_ORDER = Rule(
    "tags-order", SPEC, _ANCHOR, Keyword.MUST,
    "If the list is not empty, the tags MUST be in lexical order (i.e. case-insensitive alphanumeric order).",
    main=Sentence(Keyword.MUST, _ORDER_MAIN),
    position="Either order is accepted under both texts: the main branch only writes down the intent "
    "(nearly every registry sorts with Go's sort.Strings, the reference implementation included). The "
    "order binds each answer (a page of n=, a page after last=); that the pages of a walk continue one "
    "another is the keyword-less last= sentence (tags-last-after). Under v1.1.1 the strict reading (lexical "
    "only) is tags-order-lexical.",
)
TAGS_ORDER_LEXICAL = Rule(
    "tags-order-lexical", SPEC, _ANCHOR, Keyword.MUST,
    "If the list is not empty, the tags MUST be in lexical order (i.e. case-insensitive alphanumeric order).",
    main=Sentence(Keyword.MUST, _ORDER_MAIN),
    contested=True,
    position="Read word for word, v1.1.1 allows only case-insensitive order, and an ASCIIbetical list (upper "
    "case first) breaks it; since main clarifies that both were meant, an ASCIIbetical list is advice in a "
    "1.1 run by default and fails only under --registry-strict-readings. It is not judged in a main run, "
    "whose text allows ASCIIbetical order.",
)
TAGS_LIST_FORMAT = Rule(
    "tags-list-format", SPEC, _ANCHOR, Keyword.MUST, _FORMAT,
    position="The format's `name` is the repository and its `tags` 'are each tags on the repository': a "
    "body that is no such JSON object, names another repository, lists a tag twice or one the repository "
    "never had, or (asked without n or with an n above the tag count, Link pages followed) leaves out a "
    "tag the repository holds, is not that body. A JSON `null` for an empty list is tags-null.",
)
TAGS_NULL = Rule(
    "tags-null", SPEC, _ANCHOR, Keyword.MUST, _FORMAT,
    contested=True,
    position="The format shows `tags` as an array. distribution answers `\"tags\": null` for an empty list "
    "(2.8.2 and 3.1.1 after every tag was deleted; 3.1.1 also on a page after the final tag), which Go "
    "clients read as an empty list, so by default null is accepted as an empty list (advice); the strict "
    "reading fails it.",
)
TAGS_LIST_REFLECTS_DELETES = Rule(
    "tags-list-reflects-deletes", SPEC, _ANCHOR, Keyword.MUST, _FORMAT,
    contested=True,
    position="The format's `tags` 'are each tags on the repository', so a tag deleted by an accepted delete "
    "is no longer one; but the delete's 202 means 'accepted for processing' (RFC 9110 section 15.3.3), so by "
    "default a tag still listed right after it is advice; the strict reading takes the accepted delete as "
    "done and fails it (--no-atomic-delete: a note).",
)
TAGS_N_COUNT = Rule(
    "tags-n-count", SPEC, _ANCHOR, Keyword.MUST,
    "The response to such a request MAY return fewer than `<int>` results, but only when the total number of "
    "tags attached to the repository is less than `<int>` or a `Link` header is provided. Otherwise, the "
    "response MUST include `<int>` results.",
    position="`<int>` is 'the number of tags requested': an answer with more than n tags does not include "
    "<int> results but more, and breaks this sentence (distribution 2.8.2 ignores n). 'The total number of "
    "tags' counts the tags the request can still return (those after `last`), so a page of fewer than n "
    "tags without a Link while more tags follow breaks it; the final short page of a walk does not. The "
    "same count applies when `last` is given with `n`.",
)
TAGS_LINK_MAY = Rule(
    "tags-link-may", SPEC, _ANCHOR, Keyword.MAY,
    "A `Link` header MAY be included in the response when additional tags are available.",
    position="The MAY describes a Link when more tags follow; a Link on a page after which no tag follows "
    "(distribution 3.1.1 after a full final page, whose target answers an empty list) is not forbidden: "
    "advice.",
)
TAGS_LINK_FORMAT = Rule(
    "tags-link-format", SPEC, _ANCHOR, Keyword.MUST,
    "If included, the `Link` header MUST be set according to RFC5988 with the Relation Type `rel=\"next\"`.",
    main=Sentence(Keyword.MUST, "If included, the `Link` header MUST be set according to RFC 5988 with the "
                                "Relation Type `rel=\"next\"`."),
    refers_to=Reference(RFC8288, "section-3", "Link = #link-value; link-value = \"<\" URI-Reference \">\" "
                                              "*( OWS \";\" OWS link-param )"),
    position="A Link that does not parse breaks it; so does a rel=\"next\" chain that loops back to a page "
    "already read or never ends (no next page of a finite list). A relative target is a valid "
    "URI-Reference (resolved against the request URL).",
)
TAGS_N_ZERO = Rule(
    "tags-n-zero", SPEC, _ANCHOR, Keyword.MUST,
    "When `n` is zero, this endpoint MUST return an empty list, and MUST NOT include a `Link` header.",
)
TAGS_FROM_START = Rule(
    "tags-from-start", SPEC, _ANCHOR, Keyword.NONE,
    "Without the `last` query parameter (described next), the list returned will start at the beginning of "
    "the list and include `<int>` results.",
    position="No keyword: a page of n= that does not start with the first tags of the list is advice (how "
    "many it holds is tags-n-count).",
)
TAGS_LAST_AFTER = Rule(
    "tags-last-after", SPEC, _ANCHOR, Keyword.NONE,
    "A request of this sort will return up to `<int>` tags, beginning non-inclusively with `<tagname>`.",
    position="No keyword: a page after last= that repeats `<tagname>` or earlier tags, skips tags, or "
    "ignores last, is advice (its size and its order are judged by tags-n-count and tags-order). The pages "
    "of a walk (Link or last=) continuing one another without repeats or gaps rests on this sentence too.",
)
TAGS_LAST_IS_A_TAG = Rule(
    "tags-last-is-a-tag", SPEC, _ANCHOR, Keyword.MUST_NOT,
    "`<tagname>` MUST NOT be a numerical index, but rather it MUST be a proper tag.",
    unchecked="binds the client (what it sends as last=); the suite always sends a tag it was given",
)
TAGS_LINK_PREFERRED = Rule(
    "tags-link-preferred", SPEC, _ANCHOR, Keyword.NONE,
    "When available, clients should prefer the `Link` header over using the `last` parameter for "
    "pagination.",
    unchecked="advice to clients (the suite's walks follow Link when given and fall back to last= only "
    "after a full page without one)",
)
