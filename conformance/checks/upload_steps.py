"""Verdicts on the steps of an upload session: the POST, each PATCH, the status GET, and chunk plans.

Every helper judges ledger rules (`conformance.ledger.rules.uploads`); the rule's keyword decides the level.
A step the suite sends is valid, so the answer is read in two ways:

- a 2xx is a success, which the step's own sentence binds (`UPLOAD_POST_202`, `PATCH_202`,
  `UPLOAD_STATUS_204`): the status, `Location`, `Range: 0-<end-of-range>` naming the bytes stored;
- a refusal (anything else) is no success, so those sentences do not judge it: a registry whose Push
  category is checked claims every API of it (`general.CATEGORY_CLAIM`), unless the caller names another
  `refusal_rule` (a streamed PATCH, which spec.md does not describe, is `STREAMED_PATCH`: advice).

Upload URLs are opaque (`UPLOAD_LOCATION_OPAQUE`): each helper returns the `Location` of the answer, resolved
but otherwise verbatim, and the next request must go there. `with_session_id` is the one URL the suite makes
up: a session id that was never issued.

    location = start_session(client, repo)                               # POST -> 202 + Location
    patched = client.upload_patch(location, chunk, content_range=content_range(0, len(chunk)))
    location = check_session_progress(patched, len(chunk), what="PATCH")  # 202, Location, Range: 0-<end>

"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from conformance.client import RegistryClient, Response
from conformance.ledger.model import Rule
from conformance.ledger.rules import general, uploads
from conformance.verdicts import HarnessError, judge, note

UPLOAD_RANGE_RE = re.compile(r"^(?P<prefix>bytes=)?0-(?P<end>[0-9]+)$")
"""An upload progress `Range` value: `0-<end>` (`bytes=` prefix: the same form, see patch-range-form)."""

DEFAULT_CHUNK = 1024
"""Chunk size used when the registry advertises no `OCI-Chunk-Min-Length` (the official suite's default)."""

SESSION_RULES: tuple[Rule, ...] = (
    general.CATEGORY_CLAIM, uploads.UPLOAD_POST_202, uploads.PATCH_202, uploads.PATCH_RANGE_FORM,
    uploads.CHUNK_MIN_LENGTH_HEADER,
)
"""What opening a session and sending in-order chunks can judge (for the `rules` marks of callers)."""


def _body(response: Response) -> str:
    return f" {response.content[:200]!r}" if response.content else ""


def check_step(
    response: Response, expected: int, rule: Rule, what: str, *, refusal_rule: Rule = general.CATEGORY_CLAIM
) -> bool:
    """The answer to a valid step: a 2xx must be `expected` (`rule`); else it is refused (`refusal_rule`).

    Returns whether the answer was `expected` (False only when the broken rule let the check go on).
    """
    __tracebackhide__ = True
    if 200 <= response.status_code < 300:
        return judge(rule, response.status_code == expected,
                     f"{what}: {response.describe()}{_body(response)}, expected {expected}")
    return judge(refusal_rule, False,
                 f"{what}: {response.describe()}{_body(response)}: the registry refused a valid request "
                 f"(expected {expected})")


def start_session(
    client: RegistryClient,
    repo: str,
    *,
    params: Mapping[str, str | int | None] | None = None,
    what: str = "POST /blobs/uploads/",
) -> str:
    """POST an empty upload session: 202 with a `Location` (`UPLOAD_POST_202`). Returns the URL."""
    __tracebackhide__ = True
    return session_location(client.upload_start(repo, params=params), what=what)


def session_location(
    response: Response, *, what: str, status: int = 202, rule: Rule = uploads.UPLOAD_POST_202,
) -> str:
    """The resolved `Location` of an answer that must be `status` (202) with a Location, judged by `rule`.

    For MUST rules only (a broken one ends the check); `fallback_location` is the form for SHOULD rules.
    """
    __tracebackhide__ = True
    location = fallback_location(response, what=what, status=status, rule=rule,
                                 refusal_rule=general.CATEGORY_CLAIM)
    if location is None:
        raise HarnessError(f"session_location used with {rule.id}, which did not end the check: use "
                           "fallback_location")
    return location


def fallback_location(
    response: Response, *, what: str, rule: Rule, status: int = 202, refusal_rule: Rule | None = None
) -> str | None:
    """Like `session_location`, but None when `rule` (a SHOULD: a fallback session) was broken."""
    __tracebackhide__ = True
    if not check_step(response, status, rule, what, refusal_rule=refusal_rule or rule):
        return None
    location = response.location
    if not judge(rule, location is not None, f"{what}: {response.describe()} has no Location header"):
        return None
    return location


def parse_upload_range(value: str | None) -> int | None:
    """The `<end>` of an upload progress `Range: 0-<end>` value, or None when absent or malformed."""
    if value is None:
        return None
    found = UPLOAD_RANGE_RE.match(value.strip())
    return None if found is None else int(found["end"])


def session_progress(
    response: Response,
    stored: int,
    *,
    what: str,
    status: int = 202,
    rule: Rule | None = None,
    refusal_rule: Rule = general.CATEGORY_CLAIM,
) -> str | None:
    """An in-progress answer: `status`, a `Location` and `Range: 0-<stored - 1>`; its Location, or None.

    `rule` defaults to `PATCH_202` (status 202) or `UPLOAD_STATUS_204` (204). With nothing stored the spec
    cannot express the range (`0-0` means one byte; distribution-spec#577/#578): any well-formed value is
    noted. None when a broken rule let the check go on (the caller stops: the session's state is unknown).
    """
    __tracebackhide__ = True
    rule = rule or (uploads.PATCH_202 if status == 202 else uploads.UPLOAD_STATUS_204)
    if not check_step(response, status, rule, what, refusal_rule=refusal_rule):
        return None
    location = response.location
    value = response.header("range")
    end = parse_upload_range(value)
    if not (judge(rule, location is not None, f"{what}: {response.describe()} has no Location header")
            and judge(rule, value is not None,
                      f"{what}: {response.describe()} has no Range header (MUST be 0-<end-of-range>)")
            and judge(rule, end is not None, f"{what}: Range {value!r} is not of the form 0-<end-of-range>")):
        return None
    assert value is not None and location is not None
    judge(uploads.PATCH_RANGE_FORM, not value.strip().startswith("bytes="),
          f"{what}: Range {value!r} carries a 'bytes=' prefix; the spec's form is 0-<end-of-range>")
    if stored == 0:
        note(f"{what}: Range of an empty session is {value!r} (the spec cannot express an empty upload)")
    elif not judge(rule, end == stored - 1,
                   f"{what}: Range {value!r} after {stored} bytes, expected 0-{stored - 1}"):
        return None
    return location


def check_session_progress(
    response: Response,
    stored: int,
    *,
    what: str,
    status: int = 202,
    rule: Rule | None = None,
) -> str:
    """`session_progress` for MUST rules (PATCH 202, status 204): the Location the next request must use."""
    __tracebackhide__ = True
    location = session_progress(response, stored, what=what, status=status, rule=rule)
    if location is None:
        raise HarnessError("check_session_progress used with a rule that did not end the check: use "
                           "session_progress")
    return location


def with_session_id(location: str, new_id: str) -> str:
    """`location` with its session id segment replaced (query kept verbatim): an unknown session."""
    parts = urlsplit(location)
    path = parts.path.rstrip("/")
    head = path.rsplit("/", 1)[0]
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc}{head}/{new_id}{query}"


def chunk_min_length(response: Response) -> int | None:
    """`OCI-Chunk-Min-Length` of a POST answer as an int (None when absent or malformed: a SHOULD broken)."""
    __tracebackhide__ = True
    value = response.header("oci-chunk-min-length")
    if value is None:
        return None
    text = value.strip()
    if not judge(uploads.CHUNK_MIN_LENGTH_HEADER, text.isdigit(),
                 f"OCI-Chunk-Min-Length {value!r} is not a size in bytes"):
        return None
    return int(text)


def chunk_spans(total: int, count: int, min_length: int | None = None) -> list[tuple[int, int]]:
    """`(start, length)` of `count` in-order chunks covering `total` bytes; non-final ones >= `min_length`."""
    if total <= 0:
        return []
    size = max(-(-total // count), min_length or 0, 1)
    return [(start, min(size, total - start)) for start in range(0, total, size)]


def blob_size_for_chunks(count: int, min_length: int | None) -> int:
    """A blob size giving `count` chunks of at least `min_length` (default 1024) bytes, the last one short."""
    size = max(min_length or 0, DEFAULT_CHUNK)
    return count * size - 5


def content_range(start: int, length: int) -> str:
    """The spec's `Content-Range` value for a chunk: `<start>-<end>`, inclusive."""
    return f"{start}-{start + length - 1}"
