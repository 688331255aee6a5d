"""Rules of the repository catalog, `GET /v2/_catalog[?n=&last=]`: distribution's api.md, not the OCI spec.

The OCI distribution-spec has no catalog endpoint; distribution documents one in api.md ("Listing
Repositories", "Pagination", "Catalog"), which uses no RFC 2119 keywords. So every rule here is advice:
a registry that answers differently departs from distribution's documentation, never from a requirement.
A registry without the catalog (404) or that restricts it (401/403) makes the checks unsupported. The
document itself says the catalog's contents are the implementation's choice ("a missing entry does *not*
mean that the registry does not have the repository"), so a pushed repository that is not listed is a note.

(This module is the ledger's rules about the catalog endpoint; `conformance.ledger.catalog` is the
collection of every rule.)
"""

from __future__ import annotations

from conformance.ledger.documents import DISTRIBUTION_API
from conformance.ledger.model import Keyword, Rule

CATALOG_FORMAT = Rule(
    "catalog-format", DISTRIBUTION_API, "listing-repositories", Keyword.NONE,
    "The response will be in the following format:",
    position="api.md uses no keyword: an answer other than 200 with `{\"repositories\": [...]}` (each name "
    "once) is advice (404/401/403: the catalog is unsupported).",
)
CATALOG_CONTENTS = Rule(
    "catalog-contents", DISTRIBUTION_API, "listing-repositories", Keyword.NONE,
    "Conversely, a missing entry does *not* mean that the registry does not have the repository.",
    unchecked="the catalog may leave out any repository (access level, size), so whether the pushed "
    "repositories are listed is a note, never a verdict",
)
CATALOG_ORDER = Rule(
    "catalog-order", DISTRIBUTION_API, "pagination", Keyword.NONE,
    "The catalog result set is represented abstractly as a lexically sorted list, where the position in that "
    "list can be specified by the query term `last`.",
    position="Byte order, case-insensitive order and distribution's order by path components (`a/b` before "
    "`a-b`, as its storage walk yields them) all count as lexical; another order is advice.",
)
CATALOG_N_LIMIT = Rule(
    "catalog-n-limit", DISTRIBUTION_API, "pagination", Keyword.NONE,
    "The above specifies that a catalog response should be returned, from the start of the result set, "
    "ordered lexically, limiting the number of results to `n`.",
    position="api.md's 'should' is no RFC 2119 keyword (the document declares none): more than n entries "
    "is advice.",
)
CATALOG_LAST_AFTER = Rule(
    "catalog-last-after", DISTRIBUTION_API, "pagination", Keyword.NONE,
    "The entries in the response start _after_ the term specified by `last`, up to `n` entries.",
    position="A page that does not start after `last` (or repeats an entry of an earlier page) is advice.",
)
CATALOG_LINK = Rule(
    "catalog-link", DISTRIBUTION_API, "pagination", Keyword.NONE,
    "If there are indeed more results, the URL for the next block is encoded in an RFC5988 `Link` header, as "
    "a \"next\" relation.",
    position="A full page with more entries after it but no Link, a Link that does not parse, or a chain "
    "that loops is advice; a relative Link target is a valid URI reference and only noted.",
)
