"""Checks of the upload-session lifecycle: ids, progress, status, order, cancel, unknown sessions, sizes.

The spec (spec.md "POST then PUT", "Pushing a blob in chunks", "Cancel a blob upload"): the POST's
`Location` MUST contain a UUID naming a unique session (two POSTs -> two sessions). Every successful PATCH
MUST answer 202 with `Location` and `Range: 0-<end>`, `<end>` being the last byte received; the next
request SHOULD use the latest `Location` (we always do). `GET <location>` (end-13) on an active session
MUST answer 204 with `Location` and `Range`, where `<location>` is "the URL obtained from ANY preceding
POST or PATCH" (so an earlier Location must still answer), including right after the POST. Chunks MUST
come in order: an out-of-order chunk in a PATCH or in the closing PUT MUST get 416, after which the
status GET tells where to resume and the upload can still complete (201). Cancel (`DELETE <location>`,
end-14) SHOULD answer 204; afterwards the session is gone: GET, PATCH and PUT MUST answer 404, and
`BLOB_UPLOAD_UNKNOWN` is the code the table names (a different code warns); a session id that never existed
is the same. A chunk whose `Content-Range` disagrees with its length cannot be accepted: a 202 would have
to report a `Range` that both matches the `Content-Range` and names the last byte received (end-5), which
is impossible; we expect 400/416 and `SIZE_INVALID` ("provided length did not match content length").
"""

from __future__ import annotations

import random
import uuid
from urllib.parse import parse_qsl, urlsplit

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.transfers import (
    blob_size_for_chunks,
    check_blob_created,
    check_blob_stored,
    check_error,
    check_session_progress,
    chunk_min_length,
    chunk_spans,
    content_range,
    parse_upload_range,
    session_location,
    start_session,
    with_session_id,
)
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import Blob, random_blob
from conformance.spec.digests import digest_bytes
from conformance.verdicts import must, note, should, unsupported

pytestmark = [pytest.mark.push, pytest.mark.uploads, pytest.mark.writes]

CHUNKS = "spec.md#pushing-a-blob-in-chunks"


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


@pytest.mark.spec("end-4a", "spec.md#post-then-put")
@pytest.mark.level("MUST")
def test_each_post_opens_a_session_with_its_own_uuid(client: RegistryClient, repo: str) -> None:
    first = start_session(client, repo, what="first POST /blobs/uploads/")
    second = start_session(client, repo, what="second POST /blobs/uploads/")
    must(first != second, f"two POSTs answered the same Location {first}: a session id MUST be unique",
         ref="spec.md#post-then-put")
    first_id, second_id = _uuid_in(first), _uuid_in(second)
    must(first_id is not None and second_id is not None,
         f"the upload Locations {first} and {second} contain no UUID (MUST contain a UUID naming the "
         "session)",
         ref="spec.md#post-then-put")
    must(first_id != second_id, f"both sessions carry the UUID {first_id}", ref="spec.md#post-then-put")
    for location in (first, second):
        client.upload_cancel(location)


@pytest.mark.spec("end-13", CHUNKS)
@pytest.mark.level("MUST")
def test_status_right_after_post_answers_204_with_location_and_range(
    client: RegistryClient, repo: str
) -> None:
    location = start_session(client, repo)
    status = client.upload_status(location)
    check_session_progress(status, 0, what="GET <location> right after the POST", status=204, ref="end-13")
    client.upload_cancel(location)


@pytest.mark.spec("end-5", "end-13", CHUNKS)
@pytest.mark.level("MUST")
def test_every_patch_and_status_report_the_bytes_received(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup
) -> None:
    location, blob, spans = _chunked_upload(client, repo, content)
    cleanup.blob(repo, blob.digest)
    for start, length in spans:
        span = content_range(start, length)
        patched = client.upload_patch(location, blob.data[start : start + length], content_range=span)
        location = check_session_progress(patched, start + length, what=f"PATCH {span}")
        status = client.upload_status(location)
        location = check_session_progress(status, start + length, what=f"GET <location> after PATCH {span}",
                                          status=204, ref="end-13")
    check_blob_created(client, blob, client.upload_put(location, blob.digest), what="closing PUT")


@pytest.mark.spec("end-13", CHUNKS)
@pytest.mark.level("MUST")
def test_status_answers_for_the_location_of_any_earlier_post_or_patch(
    client: RegistryClient, repo: str, content: random.Random
) -> None:
    posted, blob, ((start, length), *_) = _chunked_upload(client, repo, content)
    patched = client.upload_patch(posted, blob.data[:length], content_range=content_range(start, length))
    latest = check_session_progress(patched, length, what="first PATCH")
    status = client.upload_status(posted)
    check_session_progress(status, length, what="GET with the POST's Location after a PATCH", status=204,
                           ref="end-13")
    client.upload_cancel(latest)


def _chunked_upload(
    client: RegistryClient, repo: str, content: random.Random
) -> tuple[str, Blob, list[tuple[int, int]]]:
    """Open a session, then plan three in-order chunks of a fresh blob: (Location, blob, spans).

    Every chunk but the last honours the `OCI-Chunk-Min-Length` the POST advertises (the spec: chunks but
    the final one SHOULD be at least that long), so a registry enforcing its minimum is never failed for it.
    """
    started = client.upload_start(repo)
    location = session_location(started, what="POST /blobs/uploads/")
    minimum = chunk_min_length(started)
    blob = random_blob(content, blob_size_for_chunks(3, minimum))
    return location, blob, chunk_spans(blob.size, 3, minimum)


OUT_OF_ORDER = ["skips-ahead", "resends-the-first-chunk", "overlaps-the-end"]


def _out_of_order_span(case: str, first: int, size: int) -> tuple[int, int]:
    """(start, length) of a chunk that does not start at byte `first` (what was accepted so far)."""
    if case == "skips-ahead":
        return 2 * first, min(first, size - 2 * first)
    if case == "resends-the-first-chunk":
        return 0, first
    return first - 1, first


def _accepted_first_chunk(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup
) -> tuple[Blob, str, int]:
    """A session holding the first of three chunks: the blob, the latest Location, the bytes stored."""
    location, blob, ((_, first), *_) = _chunked_upload(client, repo, content)
    cleanup.blob(repo, blob.digest)
    patched = client.upload_patch(location, blob.data[:first], content_range=content_range(0, first))
    return blob, check_session_progress(patched, first, what="first PATCH"), first


def _status_after_416(
    client: RegistryClient, response: Response, previous: str, stored: int, what: str
) -> str:
    location = response.location or previous
    if response.location is None:
        note(f"{what}: the 416 answer carries no Location; asking with the previous one")
    got = parse_upload_range(response.header("range"))
    if got is not None:
        must(got == stored - 1, f"{what}: the 416 reports Range 0-{got}, but {stored} bytes were accepted",
             ref=CHUNKS)
    status = client.upload_status(location)
    return check_session_progress(status, stored, what=f"GET <location> after the 416 of {what}",
                                  status=204, ref="end-13")


@pytest.mark.spec("end-5", "end-13", CHUNKS)
@pytest.mark.level("MUST")
@pytest.mark.parametrize("case", OUT_OF_ORDER)
def test_out_of_order_patch_is_416_and_the_upload_recovers(
    *, client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, case: str
) -> None:
    blob, location, stored = _accepted_first_chunk(client, repo, content, cleanup)
    start, length = _out_of_order_span(case, stored, blob.size)
    span = content_range(start, length)
    what = f"out-of-order PATCH {span} after 0-{stored - 1}"
    rejected = client.upload_patch(location, blob.data[start : start + length], content_range=span)
    check_error(rejected, {416}, what=what, ref=CHUNKS)
    location = _status_after_416(client, rejected, location, stored, what)
    rest = blob.data[stored:]
    closing = client.upload_put(location, blob.digest, rest, content_range=content_range(stored, len(rest)))
    check_blob_created(client, blob, closing, what=f"finishing the upload after the {what}")
    check_blob_stored(client, repo, blob, what=f"after recovering from the {what}")


@pytest.mark.spec("end-6", "end-13", CHUNKS)
@pytest.mark.level("MUST")
def test_out_of_order_final_chunk_in_put_is_416_and_the_upload_recovers(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup
) -> None:
    blob, location, stored = _accepted_first_chunk(client, repo, content, cleanup)
    start = 2 * stored  # skips the middle chunk
    span = content_range(start, blob.size - start)
    what = f"closing PUT with the final chunk {span} after 0-{stored - 1}"
    rejected = client.upload_put(location, blob.digest, blob.data[start:], content_range=span)
    check_error(rejected, {416}, what=what, ref=CHUNKS)
    location = _status_after_416(client, rejected, location, stored, what)
    rest = blob.data[stored:]
    closing = client.upload_put(location, blob.digest, rest, content_range=content_range(stored, len(rest)))
    check_blob_created(client, blob, closing, what=f"finishing the upload after the {what}")


def _gone(client: RegistryClient, location: str, what: str) -> None:
    digest = digest_bytes(b"never uploaded " + uuid.uuid4().bytes)
    for method, response in (
        ("GET", client.upload_status(location)),
        ("PATCH", client.upload_patch(location, b"late bytes", content_range="0-9")),
        ("PUT", client.upload_put(location, digest)),
    ):
        check_error(response, {404}, {"BLOB_UPLOAD_UNKNOWN"}, what=f"{method} on {what}", ref="code-3",
                    code_level="should")


@pytest.mark.spec("end-14", "end-13", "end-5", "end-6", "spec.md#cancel-a-blob-upload", "code-3")
@pytest.mark.level("MUST")
@pytest.mark.feature("upload_cancel")
def test_cancelled_session_answers_204_and_is_gone(
    client: RegistryClient, repo: str, capabilities: Capabilities
) -> None:
    capabilities.require("upload_cancel")
    location = start_session(client, repo)
    patched = client.upload_patch(location, b"0123456789", content_range="0-9")
    location = check_session_progress(patched, 10, what="PATCH before the cancel")
    cancelled = client.upload_cancel(location)
    if cancelled.status_code in (400, 405):
        capabilities.record("upload_cancel", False, f"DELETE <location> answered {cancelled.status_code}",
                            evidence=cancelled.describe(), source="test_upload_sessions")
        unsupported(f"upload_cancel: DELETE <location> answered {cancelled.status_code}")
    must(200 <= cancelled.status_code < 300, f"DELETE <location>: {cancelled.describe()}, expected 204",
         ref="spec.md#cancel-a-blob-upload")
    should(cancelled.status_code == 204, f"DELETE <location>: {cancelled.describe()}, expected 204",
           ref="spec.md#cancel-a-blob-upload")
    capabilities.record("upload_cancel", True, f"DELETE <location> answered {cancelled.status_code}",
                        source="test_upload_sessions")
    _gone(client, location, "a cancelled session")


@pytest.mark.spec("end-13", "end-5", "end-6", "code-3")
@pytest.mark.level("MUST")
def test_unknown_session_id_is_404(client: RegistryClient, repo: str) -> None:
    location = start_session(client, repo)
    unknown = with_session_id(location, str(uuid.uuid4()))
    _gone(client, unknown, "a session id that was never issued")
    client.upload_cancel(location)


@pytest.mark.spec("end-5", CHUNKS, "code-10")
@pytest.mark.level("MUST")
@pytest.mark.parametrize("declared", ["longer", "shorter"])
def test_patch_whose_content_range_disagrees_with_its_length_is_refused(
    client: RegistryClient, repo: str, content: random.Random, declared: str
) -> None:
    chunk = random_blob(content, 512).data
    span = content_range(0, 2 * len(chunk) if declared == "longer" else len(chunk) // 2)
    location = start_session(client, repo)
    what = f"PATCH of {len(chunk)} bytes with Content-Range {span}"
    response = client.upload_patch(location, chunk, content_range=span)
    must(response.status_code != 202, f"{what}: answered 202; its Range cannot both match the Content-Range "
         f"and name the last byte received ({response.header('range')!r})", ref=CHUNKS)
    check_error(response, {400, 416}, {"SIZE_INVALID"}, what=what, ref="code-10", code_level="should")
    client.upload_cancel(location)
