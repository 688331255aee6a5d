"""Assertion helpers for negative checks: how a registry must answer a request it refuses.

One rule set, used by the error-code matrix (`test_errors.py`) and the grammar checks (`test_grammar.py`):

- the status is one the spec allows for that case (`statuses`), never a 2xx (the request was wrong) and
  never a 5xx (bad input is the client's fault: a 5xx for it is a failure of its own);
- a `HEAD` answer carries no body (RFC 9110 section 9.3.2);
- a JSON body MUST be the OCI error envelope (`schemas.validate(body, "error-envelope")`, which also
  requires every `code` to come from the spec's table); a body in another format is allowed (a note);
- when the spec names the code for the case, one of the envelope's codes must be it: a failure when the
  spec says MUST (`code_level="must"`), else a warning (`"should"`).

    answer = client.blob_get(repo, missing)
    check_refusal(answer, (404,), ("BLOB_UNKNOWN",), "GET of a missing blob", ref="end-2")
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import schemas
from conformance.client import RegistryClient, Response
from conformance.verdicts import must, note, should

ERROR_CODES_REF = "spec.md#error-codes"


def is_json_body(response: Response) -> bool:
    """True when the body is meant as JSON: a JSON `Content-Type`, or bytes that start like a JSON value."""
    content_type = (response.content_type or "").lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        return bool(response.content.strip())
    return response.content.lstrip()[:1] in (b"{", b"[")


def envelope_of(response: Response, what: str) -> dict[str, Any] | None:
    """The error envelope of a JSON body (None for a non-JSON body); a JSON body of another shape fails."""
    __tracebackhide__ = True
    if not is_json_body(response):
        if response.content.strip():
            note(f"{what}: {response.describe()} has a non-JSON error body (allowed: any format)")
        return None
    try:
        document = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        must(False, f"{what}: {response.describe()} announces JSON but the body does not parse: "
             f"{response.content[:200]!r}", ref=ERROR_CODES_REF)
        return None
    violations = schemas.validate(document, "error-envelope")
    must(not violations, f"{what}: the JSON error body of {response.describe()} is not an OCI error envelope "
         f"with codes from the spec's table: " + "; ".join(str(violation) for violation in violations[:5]),
         ref=ERROR_CODES_REF)
    advice = schemas.validate(document, "error-envelope", level="should")
    should(not advice, f"{what}: error body departs from a SHOULD: "
           + "; ".join(str(violation) for violation in advice[:5]), ref=ERROR_CODES_REF)
    envelope: dict[str, Any] = document
    return envelope


def codes_of(envelope: dict[str, Any] | None) -> list[str]:
    """The `code` of every entry of a validated envelope ([] for None)."""
    if envelope is None:
        return []
    return [str(entry.get("code")) for entry in envelope.get("errors", []) if isinstance(entry, dict)]


def check_not_server_error(response: Response, what: str, *, ref: str | None = None) -> None:
    """Bad input is the client's fault: a 5xx answer to it fails."""
    __tracebackhide__ = True
    must(response.status_code < 500,
         f"{what}: {response.describe()}: a 5xx for bad client input (the registry must refuse it with a "
         f"4xx): {response.content[:200]!r}", ref=ref)


def check_refusal(
    response: Response,
    statuses: Iterable[int],
    codes: Iterable[str],
    what: str,
    *,
    ref: str | None = None,
    code_level: str = "should",
    codes_when_not: Iterable[str] = (),
) -> list[str]:
    """`response` refuses the request as the spec says; returns the envelope's codes ([] without JSON).

    `statuses` are every status the spec allows here; `codes` the code(s) it names (any one suffices);
    `code_level` "must" makes a different code a failure, "should" a warning. `codes_when_not` are codes
    also accepted when the status is not the first of `statuses` (e.g. `NAME_UNKNOWN` with a 404).
    """
    __tracebackhide__ = True
    allowed = tuple(statuses)
    check_not_server_error(response, what, ref=ref)
    must(response.status_code in allowed,
         f"{what}: {response.describe()}, expected {' or '.join(map(str, allowed))}: "
         f"{response.content[:200]!r}", ref=ref)
    if response.method == "HEAD":
        must(response.content == b"", f"{what}: the HEAD answer {response.describe()} carries a body",
             ref="rfc9110#section-9.3.2")
        return []
    found = codes_of(envelope_of(response, what))
    wanted = tuple(codes)
    if allowed and response.status_code != allowed[0]:
        wanted += tuple(codes_when_not)
    if found and wanted:
        verdict = must if code_level == "must" else should
        verdict(any(code in wanted for code in found),
                f"{what}: error codes {found}, expected {' or '.join(wanted)}", ref=ref or ERROR_CODES_REF)
    return found


def check_named_code(
    response: Response,
    codes: Iterable[str],
    what: str,
    *,
    ref: str | None = None,
) -> None:
    """SHOULD: the refusal names the problem with one of `codes` in a JSON envelope (a plain body warns)."""
    __tracebackhide__ = True
    if response.method == "HEAD":
        return
    wanted = tuple(codes)
    found = codes_of(envelope_of(response, what))
    should(any(code in wanted for code in found),
           f"{what}: {response.describe()} does not name the problem: codes {found or '(no JSON body)'}, "
           f"expected {' or '.join(wanted)}", ref=ref or ERROR_CODES_REF)


def started_upload(client: RegistryClient, repo: str) -> str:
    """The Location of a new upload session (end-4a: 202 with a Location), to send a bad request into."""
    __tracebackhide__ = True
    started = client.upload_start(repo)
    must(started.status_code == 202 and started.location, f"{started.describe()}, expected 202", ref="end-4a")
    assert started.location is not None
    return started.location


def check_allow_header(response: Response, what: str) -> None:
    """RFC 9110 section 15.5.6: a 405 answer carries `Allow` (the spec says to follow RFC 9110: SHOULD)."""
    __tracebackhide__ = True
    if response.status_code == 405:
        should(response.header("allow") is not None,
               f"{what}: {response.describe()} has no Allow header (RFC 9110 section 15.5.6)",
               ref="rfc9110#section-15.5.6")
