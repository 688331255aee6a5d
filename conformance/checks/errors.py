"""Verdicts on refusals: the error envelope, the status of a refused request, the code it names.

Used by the error-code matrix (`test_errors.py`), the grammar checks (`test_grammar.py`), the bad-input
property checks (through `bad_input.py`) and `documents.error_codes`. The rules come from the ledger, never
from the helper:

- `envelope_codes`: a JSON body of a 4XX answer MUST be `{"errors": [{"code", "message", "detail"}]}`
  (general.ERROR_ENVELOPE), each code MUST be upper-case letters and underscores (ERROR_CODE_SHAPE) and
  one of the table's (ERROR_CODE_TABLE; the legacy TAG_INVALID and MANIFEST_UNVERIFIED included), a
  message SHOULD be a string (ERROR_MESSAGE: the sentence about `message` is a SHOULD, so a message of
  another JSON type is a warning, not an envelope failure). A body in another format is allowed (a note),
  also one announced as JSON that does not parse (it is not "in JSON format"); so is any JSON body of a
  status other than 4XX (the spec binds only 4XX bodies).
- `check_refusal`: a 5xx is judged by `server_error_rule` (default SERVER_ERROR_FOR_CLIENT_ERROR, a SHOULD
  of the main text; a caller passes the 404 MUST where the request is well-formed and names nothing);
  otherwise the status is judged by `status_rule`, the envelope as above, and the code by `code_rule` when
  one of `codes` is expected (advice for every code but MANIFEST_BLOB_UNKNOWN).
- `check_allow_header`: a 405 carries `Allow` (RFC 9110 through the main text's SHOULD).
- `delete_or_unsupported`: a 400/405 to a DELETE means that kind of delete is disabled (allowed).
- `served_digest_matches`: after a registry accepted something under a wrong digest, a 200 for that digest
  must serve bytes that hash to it (the caller's pull rule: "the expected blob/manifest").
- `started_upload`: the Location of a fresh upload session (upload-post-202) to send a bad request into.

    response = client.blob_get(repo, missing)
    check_refusal(response, (404,), "GET of a missing blob", status_rule=pull.BLOB_NOT_FOUND_404,
                  server_error_rule=pull.BLOB_NOT_FOUND_404, codes=("BLOB_UNKNOWN",),
                  code_rule=errors.CODE_BLOB_UNKNOWN)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from conformance.capabilities import Capabilities
from conformance.client import RegistryClient, Response
from conformance.ledger.model import Rule
from conformance.ledger.rules import general, uploads
from conformance.spec.digests import digest_bytes
from conformance.spec.errors import ERROR_CODES
from conformance.verdicts import judge, note, unsupported

CODE_SHAPE = re.compile(r"\A[A-Z_]+\Z")
DELETE_DISABLED = (400, 405)
"""A registry with a kind of delete disabled MUST answer 400 or 405 (Deleting tags/manifests/blobs)."""

Judge = Callable[[Rule, object, str], bool]
"""How a helper states a verdict: `verdicts.judge`, or a property run's once-per-rule `judge_once`."""


def _looks_like_json(response: Response) -> bool:
    content_type = (response.content_type or "").lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        return bool(response.content.strip())
    return response.content.lstrip()[:1] in (b"{", b"[")


def _envelope_problems(document: Any) -> list[str]:
    if not isinstance(document, dict) or not isinstance(document.get("errors"), list):
        return ["the body is not an object with an 'errors' array"]
    entries = document["errors"]
    problems = [] if entries else ["'errors' is an empty array"]
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("code"), str):
            problems.append(f"errors[{index}] is not an object with a string 'code'")
    return problems


def envelope_codes(response: Response, what: str = "", *, judge_with: Judge = judge) -> list[str] | None:
    """The codes of a JSON error body of `response` (None for a body in another format, or no body).

    A body that does not parse as JSON is in another format, whatever its Content-Type says (a note).
    """
    __tracebackhide__ = True
    bound = 400 <= response.status_code < 500
    prefix = f"{what}: " if what else ""
    if not response.content.strip():
        return None
    try:
        document = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        announced = " (announced as JSON)" if _looks_like_json(response) else ""
        note(f"{prefix}{response.describe()}: non-JSON error body{announced}; allowed, a 4XX body MAY be in "
             "any format")
        return None
    problems = _envelope_problems(document)
    if bound:
        judge_with(general.ERROR_ENVELOPE, not problems,
                   f"{prefix}the JSON body of {response.describe()} is not an OCI error envelope: "
                   f"{'; '.join(problems)}: {response.content[:200]!r}")
    if problems:
        if not bound:
            note(f"{prefix}{response.describe()}: a JSON body that is no error envelope (the spec binds only "
                 "4XX bodies)")
        return None
    entries: list[dict[str, Any]] = document["errors"]
    codes = [str(entry["code"]) for entry in entries]
    if bound:
        shapeless = [code for code in codes if not CODE_SHAPE.match(code)]
        judge_with(general.ERROR_CODE_SHAPE, not shapeless,
                   f"{prefix}{response.describe()}: error codes {shapeless} are not upper-case letters and "
                   "underscores")
        unknown = [code for code in codes if code not in ERROR_CODES]
        judge_with(general.ERROR_CODE_TABLE, not unknown,
                   f"{prefix}{response.describe()}: error codes {unknown} are not in the spec's table")
        odd = [entry["message"] for entry in entries
               if "message" in entry and not isinstance(entry["message"], str)]
        judge_with(general.ERROR_MESSAGE, not odd,
                   f"{prefix}{response.describe()}: error messages {odd} are not strings")
    return codes


def check_refusal(
    response: Response,
    statuses: Iterable[int],
    what: str,
    *,
    status_rule: Rule,
    server_error_rule: Rule = general.SERVER_ERROR_FOR_CLIENT_ERROR,
    codes: Iterable[str] = (),
    code_rule: Rule | None = None,
    judge_with: Judge = judge,
) -> list[str] | None:
    """`response` refuses the request with one of `statuses` (`status_rule`); returns the envelope's codes.

    A 5xx is judged by `server_error_rule` alone. `codes` are the codes that name the problem (any one
    suffices), judged by `code_rule` when the body is a JSON envelope. `judge_with` states every verdict
    (a property run passes its `judge_once`, so advice is not repeated for every example).
    """
    __tracebackhide__ = True
    allowed = tuple(statuses)
    if response.status_code >= 500:
        judge_with(server_error_rule, False,
                   f"{what}: {response.describe()}: a server error for a request the client got wrong or "
                   f"that names nothing: {response.content[:200]!r}")
        return None
    expected = " or ".join(map(str, allowed)) if len(allowed) < 10 else "a 4xx"
    judge_with(status_rule, response.status_code in allowed,
               f"{what}: {response.describe()}, expected {expected}: {response.content[:200]!r}")
    found = envelope_codes(response, what, judge_with=judge_with)
    wanted = tuple(codes)
    if found is not None and wanted and code_rule is not None:
        judge_with(code_rule, any(code in wanted for code in found),
                   f"{what}: {response.describe()}: error codes {found}, the code naming the problem is "
                   f"{' or '.join(wanted)}")
    return found


def check_allow_header(response: Response, what: str) -> None:
    """A 405 answer carries `Allow` (RFC 9110 section 15.5.6, through the spec's SHOULD follow RFC 9110)."""
    __tracebackhide__ = True
    if response.status_code == 405:
        judge(general.METHOD_NOT_ALLOWED_ALLOW, response.header("allow") is not None,
              f"{what}: {response.describe()} has no Allow header")


def delete_or_unsupported(response: Response, what: str, capabilities: Capabilities, feature: str) -> None:
    """A 400/405 to a DELETE means that kind of delete is disabled: recorded, and the check is unsupported."""
    if response.status_code in DELETE_DISABLED:
        capabilities.record(feature, False, f"{what} answered {response.status_code}",
                            evidence=response.describe(), source="errors")
        unsupported(f"{what}: {response.describe()}: {feature} is disabled (400/405 allowed when deletion is "
                    "disabled)")


def served_digest_matches(response: Response, digest: str, what: str, rule: Rule) -> None:
    """A 200 for `digest` serves bytes that hash to it (`rule`); any other answer is not judged here."""
    __tracebackhide__ = True
    if response.status_code != 200:
        return
    served = digest_bytes(response.content, digest.split(":", 1)[0])
    judge(rule, served == digest, f"{what}: {response.describe()} serves {len(response.content)} bytes that "
          f"hash to {served} under the digest {digest}")


def started_upload(client: RegistryClient, repo: str) -> str:
    """The Location of a new upload session (202 with a Location), to send a bad request into."""
    __tracebackhide__ = True
    started = client.upload_start(repo)
    judge(general.CATEGORY_CLAIM, started.status_code < 300,
          f"opening an upload session to send a bad request into: {started.describe()}")
    judge(uploads.UPLOAD_POST_202, started.status_code == 202 and started.location,
          f"{started.describe()}, expected 202 with a Location")
    assert started.location is not None
    return started.location
