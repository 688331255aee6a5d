"""Verdicts on blobs the registry holds or must not hold: digest headers, created and stored blobs, refusals.

Every helper judges ledger rules; after a 2xx the helpers verify the effect the spec promises, with the
rule that promises it:

- `check_blob_created`: a 201 (`UPLOAD_PUT_201`, `SINGLE_POST_201`, `CHUNKED_CLOSE_201`, or the mount's
  `MOUNT_201`) carries a `Location` that serves exactly the bytes uploaded;
- `check_blob_stored`: `GET /v2/<name>/blobs/<digest>` gives exactly those bytes (`pull.BLOB_GET_200`);
- `check_no_false_blob`: after an upload that must not have stored anything under `digest` (the bytes do not
  hash to it, the session was never issued), neither a 201's Location nor a GET of the digest serves bytes
  under a digest they do not hash to, and a GET of the digest is 404 (`pull.BLOB_NOT_FOUND_404`);
- `check_digest_header`: `Docker-Content-Digest` present (`rule`, unless the user switched the requirement
  off) and naming the content (`value_rule`; another algorithm is recomputed, MAY differ);
- `check_refusal`: a refusal of input the client got wrong is no 5xx, a JSON 4xx body is an OCI envelope,
  and the code named (advice: no sentence with a keyword names codes for refusals).
"""

from __future__ import annotations

from collections.abc import Collection

from conformance.checks.documents import error_codes as envelope_codes
from conformance.checks.upload_steps import check_step
from conformance.client import RegistryClient, Response
from conformance.content import Blob
from conformance.ledger.model import Rule
from conformance.ledger.rules import general, pull, uploads
from conformance.spec.digests import COMPUTABLE_ALGORITHMS, algorithm_of, digest_bytes
from conformance.verdicts import judge, note

CREATED_RULES: tuple[Rule, ...] = (
    general.CATEGORY_CLAIM, uploads.UPLOAD_CREATED_DIGEST_HEADER, pull.BLOB_GET_200,
)
"""What `check_blob_created` and `check_blob_stored` judge besides the 201 rule the caller passes."""

NO_FALSE_BLOB_RULES: tuple[Rule, ...] = (pull.BLOB_GET_200, pull.BLOB_NOT_FOUND_404)
"""What `check_no_false_blob` judges besides the 201 rule the caller passes."""

REFUSAL_RULES: tuple[Rule, ...] = (
    general.SERVER_ERROR_FOR_CLIENT_ERROR, general.ERROR_ENVELOPE, general.ERROR_CODE_TABLE,
)
"""What `check_refusal` judges besides the code rule the caller passes."""

def check_digest_header(
    response: Response,
    content: bytes,
    expected: str,
    *,
    required: bool,
    what: str,
    rule: Rule = pull.BLOB_DIGEST_HEADER,
    value_rule: Rule = pull.BLOB_DIGEST_HEADER_MATCHES_BODY,
) -> None:
    """`Docker-Content-Digest` of `response` names `content` (whose digest we computed as `expected`).

    Absent: `rule` when `required` (False: the user's `--no-digest-header`, a note). Present: `value_rule`
    judges it: equal to `expected` in the same algorithm, else recomputed over `content` in its own algorithm
    (the value MAY differ in algorithm); an algorithm the harness cannot compute is noted.
    """
    __tracebackhide__ = True
    value = response.content_digest
    if value is None:
        if required:
            judge(rule, False, f"{what}: {response.describe()} carries no Docker-Content-Digest header")
        else:
            note(f"{what}: no Docker-Content-Digest header (requirement switched off)")
        return
    value = value.strip()
    algorithm = algorithm_of(value)
    if algorithm == algorithm_of(expected):
        judge(value_rule, value == expected, f"{what}: Docker-Content-Digest {value} != {expected}")
        return
    if algorithm not in COMPUTABLE_ALGORITHMS:
        note(f"{what}: Docker-Content-Digest {value} uses algorithm {algorithm!r}, which the harness "
             "cannot compute; not verified")
        return
    actual = digest_bytes(content, algorithm)
    if judge(value_rule, actual == value,
             f"{what}: Docker-Content-Digest {value} does not match the content (which hashes to {actual})"):
        note(f"{what}: Docker-Content-Digest uses {algorithm} where {algorithm_of(expected)} was requested "
             "(allowed: the header MAY differ in algorithm)")


def check_blob_created(
    client: RegistryClient,
    blob: Blob,
    response: Response,
    *,
    what: str,
    rule: Rule | None = None,
    digest_rule: Rule = uploads.UPLOAD_CREATED_DIGEST_HEADER,
) -> None:
    """A finished upload: 201 with a `Location` that serves exactly `blob` (`rule`); a digest header names it.

    `rule` is the 201 sentence of the method (default `UPLOAD_PUT_201`; `CHUNKED_CLOSE_201` for a chunked
    upload); a refusal fails on category-claim (see `check_step`).
    """
    __tracebackhide__ = True
    rule = rule or uploads.UPLOAD_PUT_201
    if not check_step(response, 201, rule, what):
        return
    location = response.location
    if not judge(rule, location is not None,
                 f"{what}: the 201 answer has no Location header (MUST be a pullable blob URL)"):
        return
    assert location is not None
    if response.content_digest is None:
        note(f"{what}: the 201 answer carries no Docker-Content-Digest")
    else:
        check_digest_header(response, blob.data, blob.digest, required=False, what=f"{what} (201)",
                            value_rule=digest_rule)
    pulled = client.request("GET", location)
    judge(rule, pulled.status_code == 200 and pulled.content == blob.data,
          f"{what}: GET of the returned Location answered {pulled.status_code} with {len(pulled.content)} "
          f"bytes, expected 200 with the {blob.size} bytes uploaded")


def check_blob_stored(client: RegistryClient, repo: str, blob: Blob, *, what: str) -> None:
    """`GET /v2/<repo>/blobs/<digest>` answers 200 with exactly the bytes of `blob` (`pull.BLOB_GET_200`)."""
    __tracebackhide__ = True
    pulled = client.blob_get(repo, blob.digest)
    judge(pull.BLOB_GET_200, pulled.status_code == 200 and pulled.content == blob.data,
          f"{what}: {pulled.describe()} with {len(pulled.content)} bytes, expected 200 with the {blob.size} "
          "bytes uploaded")


def _hashes_to(data: bytes, digest: str) -> bool:
    algorithm = algorithm_of(digest)
    return algorithm in COMPUTABLE_ALGORITHMS and digest_bytes(data, algorithm) == digest


def check_no_false_blob(
    client: RegistryClient, repo: str, digest: str, response: Response, *, what: str, rule: Rule
) -> None:
    """After `response` to an upload that had to fail, nothing that does not hash to `digest` is served as it.

    A 201 must name a pullable blob of `digest` (`rule`), which the registry cannot have; a GET of the digest
    must be 404 (`pull.BLOB_NOT_FOUND_404`) or serve bytes hashing to it (`pull.BLOB_GET_200`).
    """
    __tracebackhide__ = True
    if response.status_code == 201:
        location = response.location
        judge(rule, location is not None, f"{what}: answered 201 without a Location")
        if location is not None:
            served = client.request("GET", location)
            judge(rule, served.status_code == 200 and _hashes_to(served.content, digest),
                  f"{what}: answered 201, but GET of its Location answered {served.status_code} with "
                  f"{len(served.content)} bytes that are no blob {digest}: the registry accepted content "
                  "under a digest it does not hash to")
    pulled = client.blob_get(repo, digest)
    if pulled.status_code == 200:
        judge(pull.BLOB_GET_200, _hashes_to(pulled.content, digest),
              f"{what}: afterwards GET {digest} answered 200 with {len(pulled.content)} bytes that do not "
              "hash to it")
        return
    judge(pull.BLOB_NOT_FOUND_404, pulled.status_code == 404,
          f"{what}: afterwards GET {digest} answered {pulled.status_code}, expected 404 (nothing was "
          "uploaded that hashes to it)")


def check_refusal(
    response: Response, *, what: str, codes: Collection[str] = (), code_rule: Rule | None = None
) -> list[str] | None:
    """A refusal of bad input: no 5xx; a JSON 4xx body is an OCI envelope; its code one of `codes` (advice).

    Returns the codes found (None for a body that is not an envelope).
    """
    __tracebackhide__ = True
    judge(general.SERVER_ERROR_FOR_CLIENT_ERROR, response.status_code < 500,
          f"{what}: {response.describe()}: a server error for a request the client got wrong")
    found = envelope_codes(response)
    if found is not None and codes and code_rule is not None:
        judge(code_rule, any(code in codes for code in found),
              f"{what}: error codes {found}, expected {' or '.join(sorted(codes))}")
    return found


def same_connection_still_usable(client: RegistryClient, *, what: str) -> None:
    """After a HEAD, a GET /v2/ on the same pooled connection parses: the HEAD answer sent no body.

    A body after HEAD headers is read as the start of the next answer and breaks its framing: the GET then
    fails as an incomplete answer (`general.HTTP_COMPLETE_ANSWER`), with no rule of this helper's own.
    """
    follow_up = client.ping()
    if follow_up.status_code not in (200, 401):
        note(f"{what}: GET /v2/ right after the HEAD answered {follow_up.status_code}")
