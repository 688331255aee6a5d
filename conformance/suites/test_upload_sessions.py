"""Checks of the upload-session lifecycle: ids, progress, status, order, cancel, unknown sessions, sizes.

spec.md "POST then PUT", "Pushing a blob in chunks": the POST's `Location` MUST contain a UUID naming a
unique session; every successful PATCH MUST answer 202 with `Location` and `Range: 0-<end>` (`<end>` the
last byte received); `GET <location>` on an active session MUST answer 204 with `Location` and `Range`,
also right after the POST. Every request goes to the latest `Location`, verbatim (upload URLs are opaque);
whether an OLDER one must still answer the status GET ("any preceding POST or PATCH") is contested: advice
by default. Chunks MUST come in order: an out-of-order PATCH MUST get 416 (the closing PUT's final chunk
too, a sentence only the main branch has), after which the status GET tells where to resume and the upload
still completes. Cancel (`DELETE <location>`, only on the main branch) SHOULD answer 204, after which the
session is gone (advice: no keyword says so); a session id never issued is unknown (404 and
`BLOB_UPLOAD_UNKNOWN` are advice: no sentence with a keyword names them). A PATCH whose `Content-Range`
disagrees with its length is contested (advice by default); a registry that accepts it must stand by the
state it reports: the status agrees, and closing with the digest of the bytes its Range names works.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl, urlsplit

import pytest

from conformance.checks.transfers import (
    CREATED_RULES,
    NO_FALSE_BLOB_RULES,
    REFUSAL_RULES,
    SESSION_RULES,
    blob_size_for_chunks,
    check_blob_created,
    check_blob_stored,
    check_no_false_blob,
    check_refusal,
    check_session_progress,
    chunk_min_length,
    chunk_spans,
    content_range,
    parse_upload_range,
    session_location,
    session_progress,
    start_session,
    with_session_id,
)
from conformance.client import RegistryClient, Response
from conformance.content import Blob, random_blob
from conformance.fixtures import Workspace
from conformance.ledger.model import Rule
from conformance.ledger.rules import general, uploads
from conformance.spec.digests import digest_bytes
from conformance.verdicts import judge, note, unsupported

pytestmark = [pytest.mark.push, pytest.mark.uploads, pytest.mark.writes, pytest.mark.rules(*SESSION_RULES)]


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _uuid_in(location: str) -> str | None:
    parts = urlsplit(location)
    candidates = [segment for segment in parts.path.split("/") if segment]
    candidates += [value for _, value in parse_qsl(parts.query)]
    return next((candidate for candidate in candidates if _is_uuid(candidate)), None)


@pytest.mark.rules(uploads.UPLOAD_SESSION_UUID)
def test_each_post_opens_a_session_with_its_own_uuid(workspace: Workspace) -> None:
    client, repo = workspace.client, workspace.repo
    first = start_session(client, repo, what="first POST /blobs/uploads/")
    second = start_session(client, repo, what="second POST /blobs/uploads/")
    judge(uploads.UPLOAD_SESSION_UUID, first != second, f"two POSTs answered the same Location {first}")
    first_id, second_id = _uuid_in(first), _uuid_in(second)
    judge(uploads.UPLOAD_SESSION_UUID, first_id is not None and second_id is not None,
          f"the upload Locations {first} and {second} contain no UUID")
    judge(uploads.UPLOAD_SESSION_UUID, first_id != second_id, f"both sessions carry the UUID {first_id}")
    for location in (first, second):
        client.upload_cancel(location)


@pytest.mark.rules(uploads.UPLOAD_STATUS_204)
def test_status_right_after_post_answers_204_with_location_and_range(workspace: Workspace) -> None:
    client = workspace.client
    location = start_session(client, workspace.repo)
    status = client.upload_status(location)
    location = check_session_progress(status, 0, what="GET <location> right after the POST", status=204)
    client.upload_cancel(location)


def _chunked_upload(workspace: Workspace) -> tuple[str, Blob, list[tuple[int, int]]]:
    """Open a session, then plan three in-order chunks of a fresh blob: (Location, blob, spans).

    Every chunk but the last honours the `OCI-Chunk-Min-Length` the POST advertises (the spec: chunks but
    the final one SHOULD be at least that long), so a registry enforcing its minimum is never failed for it.
    """
    started = workspace.client.upload_start(workspace.repo)
    location = session_location(started, what="POST /blobs/uploads/")
    minimum = chunk_min_length(started)
    blob = random_blob(workspace.content, blob_size_for_chunks(3, minimum))
    workspace.cleanup.blob(workspace.repo, blob.digest)
    return location, blob, chunk_spans(blob.size, 3, minimum)


@pytest.mark.rules(uploads.UPLOAD_STATUS_204, uploads.CHUNKED_CLOSE_201, *CREATED_RULES)
def test_every_patch_and_status_report_the_bytes_received(workspace: Workspace) -> None:
    client = workspace.client
    location, blob, spans = _chunked_upload(workspace)
    for start, length in spans:
        span = content_range(start, length)
        patched = client.upload_patch(location, blob.data[start : start + length], content_range=span)
        location = check_session_progress(patched, start + length, what=f"PATCH {span}")
        status = client.upload_status(location)
        location = check_session_progress(status, start + length, what=f"GET <location> after PATCH {span}",
                                          status=204)
    check_blob_created(client, blob, client.upload_put(location, blob.digest), what="closing PUT",
                       rule=uploads.CHUNKED_CLOSE_201)


@pytest.mark.rules(uploads.UPLOAD_STATUS_ANY_LOCATION)
def test_status_answers_for_the_location_of_any_earlier_post_or_patch(workspace: Workspace) -> None:
    client = workspace.client
    posted, blob, ((start, length), *_) = _chunked_upload(workspace)
    patched = client.upload_patch(posted, blob.data[:length], content_range=content_range(start, length))
    latest = check_session_progress(patched, length, what="first PATCH")
    if posted == latest:
        note("the PATCH answered the POST's Location again: there is no older Location to ask with")
    status = client.upload_status(posted)
    session_progress(status, length, what="GET with the POST's Location after a PATCH", status=204,
                     rule=uploads.UPLOAD_STATUS_ANY_LOCATION, refusal_rule=uploads.UPLOAD_STATUS_ANY_LOCATION)
    client.upload_cancel(latest)


OUT_OF_ORDER = ["skips-ahead", "resends-the-first-chunk", "overlaps-the-end"]


def _out_of_order_span(case: str, first: int, size: int) -> tuple[int, int]:
    """(start, length) of a chunk that does not start at byte `first` (what was accepted so far)."""
    if case == "skips-ahead":
        return 2 * first, min(first, size - 2 * first)
    if case == "resends-the-first-chunk":
        return 0, first
    return first - 1, first


def _accepted_first_chunk(workspace: Workspace) -> tuple[Blob, str, int]:
    """A session holding the first of three chunks: the blob, the latest Location, the bytes stored."""
    location, blob, ((_, first), *_) = _chunked_upload(workspace)
    patched = workspace.client.upload_patch(location, blob.data[:first],
                                            content_range=content_range(0, first))
    return blob, check_session_progress(patched, first, what="first PATCH"), first


def _status_after_416(
    client: RegistryClient, response: Response, previous: str, stored: int, what: str
) -> str:
    """The status GET after a 416 (to the 416's Location if it gave one, else the latest): where to resume."""
    check_refusal(response, what=what)
    location = response.location or previous
    if response.location is None:
        note(f"{what}: the 416 answer carries no Location; asking with the previous one")
    got = parse_upload_range(response.header("range"))
    if got is not None:
        judge(uploads.UPLOAD_416_RANGE, got == stored - 1,
              f"{what}: the 416 reports Range 0-{got}, but {stored} bytes were accepted")
    status = client.upload_status(location)
    return check_session_progress(status, stored, what=f"GET <location> after the 416 of {what}", status=204)


RECOVERY_RULES = (uploads.UPLOAD_STATUS_204, uploads.UPLOAD_416_RANGE, uploads.CHUNKED_CLOSE_201,
                  *CREATED_RULES, *REFUSAL_RULES)


@pytest.mark.rules(uploads.CHUNK_OUT_OF_ORDER_416, *RECOVERY_RULES)
@pytest.mark.parametrize("case", OUT_OF_ORDER)
def test_out_of_order_patch_is_416_and_the_upload_recovers(workspace: Workspace, case: str) -> None:
    client = workspace.client
    blob, location, stored = _accepted_first_chunk(workspace)
    start, length = _out_of_order_span(case, stored, blob.size)
    span = content_range(start, length)
    what = f"out-of-order PATCH {span} after 0-{stored - 1}"
    rejected = client.upload_patch(location, blob.data[start : start + length], content_range=span)
    judge(uploads.CHUNK_OUT_OF_ORDER_416, rejected.status_code == 416, f"{what}: {rejected.describe()}, "
          "expected 416")
    location = _status_after_416(client, rejected, location, stored, what)
    rest = blob.data[stored:]
    closing = client.upload_put(location, blob.digest, rest, content_range=content_range(stored, len(rest)))
    check_blob_created(client, blob, closing, what=f"finishing the upload after the {what}",
                       rule=uploads.CHUNKED_CLOSE_201)
    check_blob_stored(client, workspace.repo, blob, what=f"after recovering from the {what}")


@pytest.mark.rules(uploads.FINAL_CHUNK_OUT_OF_ORDER_416, *RECOVERY_RULES, *NO_FALSE_BLOB_RULES)
def test_out_of_order_final_chunk_in_put_is_416_and_the_upload_recovers(workspace: Workspace) -> None:
    client = workspace.client
    blob, location, stored = _accepted_first_chunk(workspace)
    start = 2 * stored  # skips the middle chunk
    span = content_range(start, blob.size - start)
    what = f"closing PUT with the final chunk {span} after 0-{stored - 1}"
    rejected = client.upload_put(location, blob.digest, blob.data[start:], content_range=span)
    if not judge(uploads.FINAL_CHUNK_OUT_OF_ORDER_416, rejected.status_code == 416,
                 f"{what}: {rejected.describe()}, expected 416"):
        # no 416 (a main-branch sentence): the session is closed either way; what stays must be no false blob
        check_no_false_blob(client, workspace.repo, blob.digest, rejected, what=what,
                            rule=uploads.CHUNKED_CLOSE_201)
        return
    location = _status_after_416(client, rejected, location, stored, what)
    rest = blob.data[stored:]
    closing = client.upload_put(location, blob.digest, rest, content_range=content_range(stored, len(rest)))
    check_blob_created(client, blob, closing, what=f"finishing the upload after the {what}",
                       rule=uploads.CHUNKED_CLOSE_201)


def _gone(workspace: Workspace, location: str, what: str, rule: Rule) -> None:
    """GET, PATCH and PUT of a session that is no longer (or never was): refused; the PUT stores nothing."""
    client = workspace.client
    digest = digest_bytes(b"never uploaded " + uuid.uuid4().bytes)
    for method, response in (
        ("GET", client.upload_status(location)),
        ("PATCH", client.upload_patch(location, b"late bytes", content_range="0-9")),
        ("PUT", client.upload_put(location, digest)),
    ):
        judge(rule, response.status_code == 404, f"{method} on {what}: {response.describe()}, expected 404")
        if response.status_code >= 400:
            check_refusal(response, what=f"{method} on {what}", codes={"BLOB_UPLOAD_UNKNOWN"},
                          code_rule=uploads.UPLOAD_UNKNOWN_CODE)
        if method == "PUT":
            check_no_false_blob(client, workspace.repo, digest, response, what=f"PUT on {what}",
                                rule=uploads.CHUNKED_CLOSE_201)


GONE_RULES = (uploads.UPLOAD_UNKNOWN_CODE, uploads.CHUNKED_CLOSE_201, *REFUSAL_RULES, *NO_FALSE_BLOB_RULES)


@pytest.mark.rules(uploads.CANCEL_204, uploads.CANCEL_EFFECT, *GONE_RULES)
@pytest.mark.feature("upload_cancel")
def test_cancelled_session_answers_204_and_is_gone(workspace: Workspace) -> None:
    client, capabilities = workspace.client, workspace.capabilities
    capabilities.require("upload_cancel")
    location = start_session(client, workspace.repo)
    patched = client.upload_patch(location, b"0123456789", content_range="0-9")
    location = check_session_progress(patched, 10, what="PATCH before the cancel")
    cancelled = client.upload_cancel(location)
    if cancelled.status_code in (400, 405):
        capabilities.record("upload_cancel", False, f"DELETE <location> answered {cancelled.status_code}",
                            evidence=cancelled.describe(), source="test_upload_sessions")
        unsupported(f"upload_cancel: DELETE <location> answered {cancelled.status_code}")
    if not judge(uploads.CANCEL_EFFECT, 200 <= cancelled.status_code < 300,
                 f"DELETE <location>: {cancelled.describe()}, expected 204"):
        return
    judge(uploads.CANCEL_204, cancelled.status_code == 204, f"DELETE <location>: {cancelled.describe()}, "
          "expected 204")
    capabilities.record("upload_cancel", True, f"DELETE <location> answered {cancelled.status_code}",
                        source="test_upload_sessions")
    _gone(workspace, location, "a cancelled session", uploads.CANCEL_EFFECT)


@pytest.mark.rules(general.ENDPOINT_TABLE, *GONE_RULES)
def test_unknown_session_id_is_404(workspace: Workspace) -> None:
    location = start_session(workspace.client, workspace.repo)
    unknown = with_session_id(location, str(uuid.uuid4()))
    _gone(workspace, unknown, "a session id that was never issued", general.ENDPOINT_TABLE)
    workspace.client.upload_cancel(location)


@pytest.mark.rules(uploads.CHUNK_RANGE_MATCHES_LENGTH, uploads.UPLOAD_SIZE_INVALID_CODE,
                   uploads.UPLOAD_STATUS_204, uploads.CHUNKED_CLOSE_201, *CREATED_RULES, *REFUSAL_RULES)
@pytest.mark.parametrize("declared", ["longer", "shorter"])
def test_patch_whose_content_range_disagrees_with_its_length_is_refused(
    workspace: Workspace, declared: str
) -> None:
    client = workspace.client
    chunk = random_blob(workspace.content, 512).data
    span = content_range(0, 2 * len(chunk) if declared == "longer" else len(chunk) // 2)
    location = start_session(client, workspace.repo)
    what = f"PATCH of {len(chunk)} bytes with Content-Range {span}"
    response = client.upload_patch(location, chunk, content_range=span)
    if not 200 <= response.status_code < 300:
        check_refusal(response, what=what, codes={"SIZE_INVALID"}, code_rule=uploads.UPLOAD_SIZE_INVALID_CODE)
        client.upload_cancel(location)
        return
    judge(uploads.CHUNK_RANGE_MATCHES_LENGTH, False, f"{what}: answered {response.status_code}; its Range "
          f"{response.header('range')!r} cannot both match the Content-Range and name the last byte received")
    _check_accepted_state(workspace, response, chunk, what)


def _check_accepted_state(workspace: Workspace, response: Response, chunk: bytes, what: str) -> None:
    """The registry took a chunk whose Content-Range lies: the state it reports must be one it stands by."""
    client = workspace.client
    end = parse_upload_range(response.header("range"))
    location = session_progress(response, 1 if end is None else end + 1, what=what)
    if location is None or end is None:
        return
    stored = end + 1
    if not judge(uploads.CHUNK_RANGE_MATCHES_LENGTH, stored <= len(chunk),
                 f"{what}: Range 0-{end} names {stored} bytes, but the PATCH carried {len(chunk)}"):
        client.upload_cancel(location)
        return
    status = client.upload_status(location)
    location = check_session_progress(status, stored, what=f"GET <location> after the {what}", status=204)
    part = Blob(chunk[:stored])
    workspace.cleanup.blob(workspace.repo, part.digest)
    closing = client.upload_put(location, part.digest)
    if not judge(uploads.CHUNK_RANGE_MATCHES_LENGTH, 200 <= closing.status_code < 300,
                 f"{what}: closing with the digest of the {stored} bytes its Range names: "
                 f"{closing.describe()}"):
        return
    check_blob_created(client, part, closing, what=f"closing after the {what}",
                       rule=uploads.CHUNKED_CLOSE_201)
    check_blob_stored(client, workspace.repo, part, what=f"after the {what}")
