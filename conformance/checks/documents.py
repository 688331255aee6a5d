"""Assertion helpers for the manifest, tag, referrer and delete checks: the verdicts shared by several suites.

Each helper judges ledger rules (`conformance.ledger`) itself, so a check reads as a list of rules:

    response = client.manifest_put(repo, tag, manifest.data, manifest.media_type)
    check_manifest_pushed(response, manifest)
    check_manifest_served(client.manifest_get(repo, tag), manifest, config)

Where the rule depends on the caller (the document a JSON body must be, the status a refusal must have),
the helper takes it as an argument; the rule's keyword, never the helper, decides the verdict level.

- JSON documents: `json_document` (must parse), `check_schema` (the MUST layer against the caller's rule;
  the SHOULD layer only with a `should_rule`, for documents the registry writes itself), `check_own_document`
  (a builder produced an invalid document: a harness error, never a registry fault).
- Errors: `error_codes` (a JSON body of a 4xx MUST be an OCI envelope), `check_error_response` (status per
  `status_rule`; the named code per `code_rule`).
- Manifests: `check_manifest_pushed` (201, `Location`, `Docker-Content-Digest`), `check_manifest_served`
  (GET/HEAD: 200, exact bytes, digest, `Content-Type`, `Content-Length`), `check_digest_header`,
  `check_content_type`; setup: `push_children` (blobs, then child manifests by digest) and `push_tree`
  (the same plus the top manifest), both registering everything with `cleanup`.
- Headers: `header_values` (RFC 9110 list syntax over repeated header lines).
- Pagination: `walk_pages` follows `Link: <..>; rel="next"` to the end (loops and runaway chains fail).
- Ordering: `is_lexical_order`, `is_asciibetical_order`, `is_spec_order` (either).
- Deletes: `check_gone` (404 after a delete unless the user said deletes are not atomic).
- Referrers: `check_subject_header` (`OCI-Subject` present exactly when the referrers API exists).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import schemas
from conformance.client import RegistryClient, Response
from conformance.content import Manifest
from conformance.ledger.model import Rule
from conformance.ledger.rules import general, manifests, pull
from conformance.options import RunConfig
from conformance.spec.digests import digest_bytes
from conformance.spec.errors import MalformedEnvelopeError, parse_error_envelope
from conformance.verdicts import HarnessError, judge, note

if TYPE_CHECKING:
    from conformance.cleanup import Cleanup

MAX_PAGES = 200
"""Upper bound on pages a pagination walk follows (a registry looping its `Link`s fails, never hangs)."""


# JSON documents ----------------------------------------------------------------------------------
def json_document(response: Response, what: str, *, rule: Rule) -> Any:
    """The body of `response` parsed as JSON; a body that is not JSON breaks `rule` (the format rule).

    Returns None when the rule's level let the check go on (advice or a warning).
    """
    __tracebackhide__ = True
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        judge(rule, False, f"{what}: the body of {response.describe()} is not JSON: {response.text[:200]!r}")
        return None


def check_schema(
    document: Any, schema: str, what: str, *, rule: Rule, should_rule: Rule | None = None
) -> bool:
    """Judge `document` against `schema`: the MUST layer against `rule`, SHOULD layer against `should_rule`.

    The SHOULD layer holds SHOULDs of the image spec for whoever writes the document; pass `should_rule`
    only for documents the registry writes (a referrers index, say), never for our own pushed content.
    Returns whether the MUST layer held.
    """
    __tracebackhide__ = True
    violations = schemas.validate(document, schema)
    held = judge(
        rule,
        not violations,
        f"{what} does not conform to the {schema} schema: "
        + "; ".join(str(violation) for violation in violations[:10]),
    )
    if should_rule is not None:
        advice = schemas.validate(document, schema, level="should")
        judge(
            should_rule,
            not advice,
            f"{what} departs from the {schema} schema's SHOULD layer: "
            + "; ".join(str(violation) for violation in advice[:10]),
        )
    return held


def check_own_document(manifest: Manifest) -> None:
    """Our builders must produce MUST-valid documents: anything else is a harness bug."""
    violations = schemas.validate(manifest.document, manifest.media_type)
    if violations:
        raise HarnessError(f"built {manifest.media_type} is invalid: {'; '.join(map(str, violations[:5]))}")


# Errors ------------------------------------------------------------------------------------------
def error_codes(response: Response) -> list[str] | None:
    """Codes of a JSON error body (None for a non-JSON body, or a body the spec does not constrain).

    Only a 4XX answer is bound to the envelope ("A `4XX` response code from the registry MAY return a body
    in any format. If the response body is in JSON format, it MUST have the following format"); the JSON
    body of another status is read when it is an envelope and otherwise left alone.
    """
    __tracebackhide__ = True
    bound = 400 <= response.status_code < 500
    try:
        entries = parse_error_envelope(response)
    except MalformedEnvelopeError as exc:
        if bound:
            judge(general.ERROR_ENVELOPE, False,
                  f"the JSON error body of {response.describe()} is not an OCI error envelope: {exc}")
        else:
            note(f"{response.describe()}: a JSON body that is no error envelope ({exc}); the spec binds only "
                 "4XX bodies")
        return None
    if entries is None:
        note(f"{response.describe()}: non-JSON error body (the spec allows any format)")
        return None
    if bound:
        check_schema(json.loads(response.content), "error-envelope", f"error body of {response.describe()}",
                     rule=general.ERROR_CODE_TABLE)
    return [entry.code for entry in entries]


def check_error_response(
    response: Response,
    statuses: Iterable[int],
    codes: Iterable[str],
    what: str,
    *,
    status_rule: Rule,
    code_rule: Rule | None = None,
) -> list[str] | None:
    """`response` has one of `statuses` (`status_rule`); a JSON body is an envelope naming one of `codes`.

    `code_rule` is the sentence that names the code; without one (most codes are named by no sentence with
    a keyword), a different code is not judged. Returns the codes found (None for a non-JSON body).
    """
    __tracebackhide__ = True
    allowed = tuple(statuses)
    judge(
        status_rule,
        response.status_code in allowed,
        f"{what}: {response.describe()}, expected {' or '.join(map(str, allowed))}",
    )
    found = error_codes(response)
    wanted = tuple(codes)
    if found is not None and wanted and code_rule is not None:
        judge(
            code_rule,
            any(code in wanted for code in found),
            f"{what}: error codes {found}, expected {' or '.join(wanted)}",
        )
    return found


# Manifests ---------------------------------------------------------------------------------------
def check_manifest_pushed(
    response: Response, manifest: Manifest, *, rule: Rule = manifests.MANIFEST_PUT_201
) -> None:
    """A manifest PUT succeeded: 201 (`rule`), a `Location`, `Docker-Content-Digest` equal to our digest."""
    __tracebackhide__ = True
    judge(
        rule,
        response.status_code == 201,
        f"pushing {manifest.media_type} {manifest.digest}: {response.describe()}, expected 201: "
        f"{response.text[:300]}",
    )
    judge(manifests.MANIFEST_PUT_201, response.location, f"{response.describe()} carries no Location header")
    digest = response.content_digest
    if digest is None:
        judge(manifests.MANIFEST_PUT_DIGEST_HEADER_PRESENT, False,
              f"{response.describe()} carries no Docker-Content-Digest header")
    else:
        judge(
            manifests.MANIFEST_PUT_DIGEST_HEADER,
            digest == manifest.digest,
            f"{response.describe()}: Docker-Content-Digest {digest}, pushed digest {manifest.digest}",
        )


def check_manifest_served(response: Response, manifest: Manifest, config: RunConfig) -> None:
    """A manifest GET or HEAD answered 200 with exactly `manifest` (bytes, digest header, type, length)."""
    __tracebackhide__ = True
    head = response.method == "HEAD"
    judge(
        pull.HEAD_200 if head else pull.MANIFEST_GET_200,
        response.status_code == 200,
        f"{response.describe()}, expected 200 with manifest {manifest.digest}: {response.text[:300]}",
    )
    if head:
        length = response.header("content-length")
        judge(
            pull.HEAD_CONTENT_LENGTH,
            length is not None and length.strip() == str(manifest.size),
            f"{response.describe()}: Content-Length {length!r}, expected the manifest's {manifest.size}",
        )
    else:
        judge(
            manifests.MANIFEST_EXACT_BYTES,
            response.content == manifest.data,
            f"{response.describe()}: body ({len(response.content)} bytes, "
            f"{digest_bytes(response.content, manifest.algorithm)}) is not the pushed manifest "
            f"({manifest.size} bytes, {manifest.digest})",
        )
    check_digest_header(response, manifest.digest, config,
                        rule=pull.HEAD_DIGEST_HEADER if head else pull.MANIFEST_DIGEST_HEADER)
    check_content_type(response, manifest.media_type)


def check_digest_header(response: Response, expected: str, config: RunConfig, *, rule: Rule) -> None:
    """`Docker-Content-Digest` is present and is the digest of the content (`rule` for its level).

    A digest of another algorithm than `expected` is allowed ("MAY differ from the provided digest") and
    noted, since the harness cannot recompute it from a HEAD; `--no-digest-header` makes absence a note.
    """
    __tracebackhide__ = True
    digest = response.content_digest
    if digest is None:
        if config.enabled("digest_header"):
            judge(rule, False, f"{response.describe()} carries no Docker-Content-Digest header")
        else:
            note(f"{response.describe()}: no Docker-Content-Digest (digest_header switched off)")
        return
    algorithm = digest.split(":", 1)[0]
    if algorithm != expected.split(":", 1)[0]:
        note(f"{response.describe()}: Docker-Content-Digest uses {algorithm}, the content was addressed by "
             f"{expected} (allowed: the header MAY differ from the provided digest)")
        return
    judge(rule, digest == expected,
          f"{response.describe()}: Docker-Content-Digest {digest}, expected {expected}")


def check_content_type(response: Response, media_type: str) -> None:
    """`Content-Type` indicates the type, SHOULD equal the pushed type and SHOULD NOT carry parameters."""
    __tracebackhide__ = True
    raw = response.header("content-type")
    if not judge(pull.MANIFEST_CONTENT_TYPE, raw is not None,
                 f"{response.describe()} carries no Content-Type"):
        return
    judge(
        pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH,
        response.content_type == media_type,
        f"{response.describe()}: Content-Type {raw!r}, the manifest was pushed as {media_type}",
    )
    judge(
        pull.MANIFEST_CONTENT_TYPE_NO_PARAMETERS,
        raw is not None and ";" not in raw,
        f"{response.describe()}: Content-Type {raw!r} carries parameters",
    )


def push_tree(
    client: RegistryClient, repo: str, manifest: Manifest, cleanup: Cleanup, tag: str | None = None
) -> None:
    """Push `manifest` with its blobs and children (by digest), registering all of it for cleanup."""
    push_children(client, repo, manifest, cleanup)
    client.push_manifest(repo, tag, manifest)
    cleanup.manifest(repo, manifest.digest)
    if tag is not None:
        cleanup.tag(repo, tag)


def push_children(client: RegistryClient, repo: str, manifest: Manifest, cleanup: Cleanup) -> None:
    """Push the blobs and child manifests of `manifest` (not `manifest` itself)."""
    for blob in manifest.all_blobs():
        client.push_blob(repo, blob)
        cleanup.blob(repo, blob.digest)
    for child in _children_first(manifest):
        client.push_manifest(repo, None, child)
        cleanup.manifest(repo, child.digest)


def _children_first(manifest: Manifest) -> list[Manifest]:
    ordered: dict[str, Manifest] = {}

    def visit(node: Manifest) -> None:
        for child in node.children:
            if child.digest not in ordered:
                visit(child)
                ordered.setdefault(child.digest, child)

    visit(manifest)
    return list(ordered.values())


# Headers and pagination --------------------------------------------------------------------------
def header_values(response: Response, name: str) -> list[str]:
    """Every element of header `name` across repeated lines, split on commas (RFC 9110 section 5.6.1)."""
    return [
        item.strip() for line in response.headers.get_list(name) for item in line.split(",") if item.strip()
    ]


def walk_pages(
    client: RegistryClient, first: Response, what: str, *, link_rule: Rule, page_rule: Rule
) -> list[Response]:
    """`first` and every page its `Link: rel="next"` chain leads to.

    `link_rule` judges the Link headers (RFC 5988 syntax, no loop, an end within MAX_PAGES), `page_rule`
    each page's answer (200). The walk stops at the first broken rule the level lets the check survive.
    """
    __tracebackhide__ = True
    pages = [first]
    seen = {first.url}
    while True:
        try:
            target = client.follow_link(pages[-1])
        except ValueError as exc:
            judge(link_rule, False, f"{what}: unparsable Link header on {pages[-1].describe()}: {exc}")
            return pages
        if target is None:
            return pages
        if not judge(link_rule, target not in seen, f'{what}: Link rel="next" loops back to {target}'):
            return pages
        if not judge(link_rule, len(pages) < MAX_PAGES,
                     f'{what}: more than {MAX_PAGES} pages of Link rel="next"'):
            return pages
        seen.add(target)
        page = client.request("GET", target)
        if not judge(page_rule, page.status_code == 200,
                     f"{what}: following Link: {page.describe()}, expected 200"):
            return pages
        pages.append(page)


# Ordering ----------------------------------------------------------------------------------------
def is_asciibetical_order(items: Sequence[str]) -> bool:
    """True when `items` are in byte order (Go's sort.Strings)."""
    return all(a <= b for a, b in pairwise(items))


def is_lexical_order(items: Sequence[str]) -> bool:
    """True when `items` are in case-insensitive order (ties in any order)."""
    return all(a.lower() <= b.lower() for a, b in pairwise(items))


def is_spec_order(items: Sequence[str]) -> bool:
    """True when `items` are in lexical or ASCIIbetical order (either one the spec allows)."""
    return is_asciibetical_order(items) or is_lexical_order(items)


# Deletes -----------------------------------------------------------------------------------------
def check_gone(response: Response, config: RunConfig, what: str, *, rule: Rule) -> None:
    """`response` (a GET/HEAD after a delete) is 404 (`rule`), unless the user said deletes are not atomic."""
    __tracebackhide__ = True
    if response.status_code == 404:
        return
    if not config.enabled("atomic_delete"):
        note(f"{what}: {response.describe()} after the delete (deletes declared non-atomic)")
        return
    judge(rule, False, f"{what}: {response.describe()} after a successful delete, expected 404")


# Referrers ---------------------------------------------------------------------------------------
def check_subject_header(
    response: Response,
    subject_digest: str,
    referrers_api: bool | None,
    *,
    with_api: Rule,
    without_api: Rule,
) -> None:
    """`OCI-Subject` names the subject when the referrers API exists (`with_api`), is absent otherwise.

    `referrers_api` is the `referrers_supported` fixture's answer, or None when referrers checks are off.
    """
    __tracebackhide__ = True
    values = header_values(response, "oci-subject")
    if referrers_api is None:
        note(f"OCI-Subject on the push: {values or 'absent'} (referrers checks switched off)")
        return
    if referrers_api:
        judge(
            with_api,
            values == [subject_digest],
            f"{response.describe()}: OCI-Subject {values or 'absent'}, expected {subject_digest} from a "
            "registry with the referrers API",
        )
    else:
        judge(
            without_api,
            not values,
            f"{response.describe()}: OCI-Subject {values} from a registry without the referrers API "
            "(clients would skip the referrers tag schema and lose the reference)",
        )
