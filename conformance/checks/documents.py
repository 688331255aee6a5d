"""Assertion helpers for the manifest, tag, referrer and delete checks: the verdicts shared by several suites.

Each helper states one rule and raises `must`/`should` itself, so a check reads as a list of rules:

    response = client.manifest_put(repo, tag, manifest.data, manifest.media_type)
    check_manifest_pushed(response, manifest, ref="spec.md#pushing-manifests")
    check_manifest_served(client.manifest_get(repo, tag), manifest, config)

- JSON documents: `json_document` (must parse), `check_schema` (MUST layer fails, SHOULD layer warns),
  `check_own_document` (a builder produced an invalid document: a harness error, never a registry fault).
- Errors: `error_codes` (a JSON body MUST be an OCI envelope), `check_error_response` (status in the allowed
  set; the named code is required at the given level).
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
from conformance.options import RunConfig
from conformance.spec.digests import digest_bytes
from conformance.spec.errors import MalformedEnvelopeError, parse_error_envelope
from conformance.verdicts import HarnessError, must, note, should

if TYPE_CHECKING:
    from conformance.cleanup import Cleanup

MAX_PAGES = 200
"""Upper bound on pages a pagination walk follows (a registry looping its `Link`s fails, never hangs)."""


# JSON documents ----------------------------------------------------------------------------------
def json_document(response: Response, what: str, *, ref: str | None = None) -> Any:
    """The body of `response` parsed as JSON; a body that is not JSON fails the check."""
    __tracebackhide__ = True
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        must(
            False, f"{what}: the body of {response.describe()} is not JSON: {response.text[:200]!r}", ref=ref
        )


def check_schema(
    document: Any, schema: str, what: str, *, ref: str | None = None, should_layer: bool = True
) -> None:
    """MUST-layer violations of `schema` fail the check; SHOULD-layer ones warn (when `should_layer`)."""
    __tracebackhide__ = True
    violations = schemas.validate(document, schema)
    must(
        not violations,
        f"{what} does not conform to the {schema} schema: "
        + "; ".join(str(violation) for violation in violations[:10]),
        ref=ref,
    )
    if should_layer:
        advice = schemas.validate(document, schema, level="should")
        should(
            not advice,
            f"{what} departs from a SHOULD of the {schema} schema: "
            + "; ".join(str(violation) for violation in advice[:10]),
            ref=ref,
        )


def check_own_document(manifest: Manifest) -> None:
    """Our builders must produce MUST-valid documents: anything else is a harness bug."""
    violations = schemas.validate(manifest.document, manifest.media_type)
    if violations:
        raise HarnessError(f"built {manifest.media_type} is invalid: {'; '.join(map(str, violations[:5]))}")


# Errors ------------------------------------------------------------------------------------------
def error_codes(response: Response, *, ref: str | None = None) -> list[str] | None:
    """Codes of a JSON error body (None for a non-JSON body); a malformed JSON envelope fails the check."""
    __tracebackhide__ = True
    try:
        entries = parse_error_envelope(response)
    except MalformedEnvelopeError as exc:
        must(
            False,
            f"the JSON error body of {response.describe()} is not an OCI error envelope: {exc}",
            ref="spec.md#error-codes",
        )
        return None
    if entries is None:
        note(f"{response.describe()}: non-JSON error body (the spec allows any format)")
        return None
    check_schema(
        json.loads(response.content),
        "error-envelope",
        f"error body of {response.describe()}",
        ref="spec.md#error-codes",
        should_layer=False,
    )
    return [entry.code for entry in entries]


def check_error_response(
    response: Response,
    statuses: Iterable[int],
    codes: Iterable[str],
    what: str,
    *,
    ref: str | None = None,
    code_level: str = "must",
) -> list[str] | None:
    """`response` has one of `statuses`; a JSON body is an envelope whose codes include one of `codes`.

    `code_level` is "must" when the spec names the code with MUST, else "should" (a different code warns).
    Returns the codes found (None for a non-JSON body).
    """
    __tracebackhide__ = True
    allowed = tuple(statuses)
    must(
        response.status_code in allowed,
        f"{what}: {response.describe()}, expected {' or '.join(map(str, allowed))}",
        ref=ref,
    )
    found = error_codes(response, ref=ref)
    wanted = tuple(codes)
    if found is not None and wanted:
        verdict = must if code_level == "must" else should
        verdict(
            any(code in wanted for code in found),
            f"{what}: error codes {found}, expected {' or '.join(wanted)}",
            ref=ref,
        )
    return found


# Manifests ---------------------------------------------------------------------------------------
def check_manifest_pushed(
    response: Response, manifest: Manifest, *, ref: str = "spec.md#pushing-manifests"
) -> None:
    """A manifest PUT succeeded: 201, a `Location`, and `Docker-Content-Digest` equal to our digest."""
    __tracebackhide__ = True
    must(
        response.status_code == 201,
        f"pushing {manifest.media_type} {manifest.digest}: {response.describe()}, expected 201: "
        f"{response.text[:300]}",
        ref=ref,
    )
    must(response.location, f"{response.describe()} carries no Location header", ref=ref)
    digest = response.content_digest
    if digest is None:
        should(False, f"{response.describe()} carries no Docker-Content-Digest header", ref=ref)
    else:
        must(
            digest == manifest.digest,
            f"{response.describe()}: Docker-Content-Digest {digest}, pushed digest {manifest.digest}",
            ref=ref,
        )


def check_manifest_served(
    response: Response,
    manifest: Manifest,
    config: RunConfig,
    *,
    ref: str = "spec.md#pulling-manifests",
) -> None:
    """A manifest GET or HEAD answered 200 with exactly `manifest` (bytes, digest, type, length)."""
    __tracebackhide__ = True
    must(
        response.status_code == 200,
        f"{response.describe()}, expected 200 with manifest {manifest.digest}: {response.text[:300]}",
        ref=ref,
    )
    head = response.method == "HEAD"
    if head:
        must(not response.content, f"{response.describe()} returned a body to a HEAD request", ref=ref)
    else:
        must(
            response.content == manifest.data,
            f"{response.describe()}: body ({len(response.content)} bytes, "
            f"{digest_bytes(response.content, manifest.algorithm)}) is not the pushed manifest "
            f"({manifest.size} bytes, {manifest.digest}): the registry MUST store the exact bytes",
            ref=ref,
        )
    length = response.header("content-length")
    must(
        length is not None and length.strip() == str(manifest.size),
        f"{response.describe()}: Content-Length {length!r}, expected {manifest.size}",
        ref="spec.md#checking-if-content-exists-in-the-registry",
    )
    check_digest_header(response, manifest.digest, config, ref=ref)
    check_content_type(response, manifest.media_type, ref=ref)


def check_digest_header(response: Response, expected: str, config: RunConfig, *, ref: str) -> None:
    """`Docker-Content-Digest` is present (unless `--no-digest-header`) and equals `expected`."""
    __tracebackhide__ = True
    digest = response.content_digest
    if digest is None:
        if config.enabled("digest_header"):
            must(False, f"{response.describe()} carries no Docker-Content-Digest header", ref=ref)
        note(f"{response.describe()}: no Docker-Content-Digest (not required: digest_header switched off)")
        return
    must(
        digest == expected,
        f"{response.describe()}: Docker-Content-Digest {digest}, expected {expected}",
        ref=ref,
    )


def check_content_type(response: Response, media_type: str, *, ref: str) -> None:
    """`Content-Type` SHOULD equal the pushed type and SHOULD carry no parameters; it must be present."""
    __tracebackhide__ = True
    raw = response.header("content-type")
    must(raw is not None, f"{response.describe()} carries no Content-Type", ref=ref)
    should(
        response.content_type == media_type,
        f"{response.describe()}: Content-Type {raw!r}, the manifest was pushed as {media_type}",
        ref=ref,
    )
    should(
        raw is not None and ";" not in raw,
        f"{response.describe()}: Content-Type {raw!r} carries parameters (SHOULD NOT)",
        ref=ref,
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


def walk_pages(client: RegistryClient, first: Response, what: str, *, ref: str) -> list[Response]:
    """`first` and every page its `Link: rel="next"` chain leads to (each must answer 200)."""
    __tracebackhide__ = True
    pages = [first]
    seen = {first.url}
    while True:
        try:
            target = client.follow_link(pages[-1])
        except ValueError as exc:
            must(False, f"{what}: unparsable Link header on {pages[-1].describe()}: {exc}", ref=ref)
            return pages
        if target is None:
            return pages
        must(target not in seen, f'{what}: Link rel="next" loops back to {target}', ref=ref)
        must(len(pages) < MAX_PAGES, f'{what}: more than {MAX_PAGES} pages of Link rel="next"', ref=ref)
        seen.add(target)
        page = client.request("GET", target)
        must(page.status_code == 200, f"{what}: following Link: {page.describe()}, expected 200", ref=ref)
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
def check_gone(response: Response, config: RunConfig, what: str, *, ref: str) -> None:
    """`response` (a GET/HEAD after a delete) is 404, unless the user said deletes are not atomic."""
    __tracebackhide__ = True
    if response.status_code == 404:
        return
    if not config.enabled("atomic_delete"):
        note(f"{what}: {response.describe()} after the delete (deletes declared non-atomic)")
        return
    must(False, f"{what}: {response.describe()} after a successful delete, expected 404", ref=ref)


# Referrers ---------------------------------------------------------------------------------------
def check_subject_header(
    response: Response,
    subject_digest: str,
    referrers_api: bool | None,
    *,
    ref: str = "spec.md#pushing-manifests-with-subject",
) -> None:
    """`OCI-Subject` MUST name the subject when the referrers API exists, and MUST be absent otherwise.

    `referrers_api` is the `referrers_supported` fixture's answer, or None when referrers checks are off.
    """
    __tracebackhide__ = True
    values = header_values(response, "oci-subject")
    if referrers_api is None:
        note(f"OCI-Subject on the push: {values or 'absent'} (referrers checks switched off)")
        return
    if referrers_api:
        must(
            values == [subject_digest],
            f"{response.describe()}: OCI-Subject {values or 'absent'}, expected {subject_digest} from a "
            "registry with the referrers API",
            ref=ref,
        )
    else:
        must(
            not values,
            f"{response.describe()}: OCI-Subject {values} from a registry without the referrers API "
            "(clients would skip the referrers tag schema and lose the reference)",
            ref=ref,
        )
