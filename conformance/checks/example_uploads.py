"""Uploads a property example sends (`suites/test_properties.py`), each registered with the example's cleanup.

- `push_blobs_and_children`: what a drawn manifest needs before its own PUT (blobs, then child manifests
  by digest, children first), through `conformance.checks.documents.push_children`.
- `send_chunk_plan`: a blob uploaded by a drawn `ChunkPlan`, judging `202` + `Range: 0-<end>` after each
  PATCH (`uploads.PATCH_202`; a refused chunk fails on `general.CATEGORY_CLAIM`); the closing answer is the
  caller's to judge. `CHUNK_PLAN_RULES` lists what it judges, for the caller's `rules` marks.
- `push_sha512_blobs` / `sha512_refused`: sha512 is optional, so a 400 to a sha512 upload step records it
  as unsupported (once, as a note) and the example ends quietly. Unlike
  `conformance.checks.transfers.push_sha512_or_unsupported`, this never skips: one unsupported example
  must not end a check whose other examples still run.
"""

from __future__ import annotations

from conformance.checks.documents import push_children
from conformance.checks.properties import Example, PropertyRun
from conformance.checks.transfers import (
    SESSION_RULES,
    check_session_progress,
    check_step,
    content_range,
    session_location,
)
from conformance.client import Response
from conformance.content import Blob, Manifest
from conformance.ledger.model import Rule
from conformance.ledger.rules import uploads
from conformance.strategies import ChunkPlan

CHUNKED = "spec.md#pushing-a-blob-in-chunks"
"""The legacy reference string of the chunked section (still imported by the property checks)."""

CHUNK_PLAN_RULES: tuple[Rule, ...] = SESSION_RULES
"""What `send_chunk_plan` judges (the closing answer is the caller's)."""

SHA512_BLOB_RULES: tuple[Rule, ...] = (uploads.UPLOAD_POST_202, uploads.UPLOAD_PUT_201)
"""What `push_sha512_blobs` judges."""


def push_blobs_and_children(example: Example, repo: str, manifest: Manifest) -> None:
    """Push what `manifest` needs (blobs, then child manifests by digest), registered for cleanup."""
    push_children(example.client, repo, manifest, example.cleanup)


def send_chunk_plan(
    example: Example, plan: ChunkPlan, blob: Blob, started: Response | None = None
) -> Response:
    """Upload `blob` by `plan`, checking 202 + `Range: 0-<end>` after each PATCH; the closing answer.

    `started` is the answer of a session POST already sent (to read its `OCI-Chunk-Min-Length` first);
    without it the session is opened here.
    """
    client, data = example.client, blob.data
    spans = plan.spans()
    last = spans.pop() if plan.final_in_put else None
    if started is None:
        started = client.upload_start(example.repo)
    location = session_location(started, what="POST /blobs/uploads/")
    for start, length in spans:
        patched = client.upload_patch(location, data[start:start + length],
                                      content_range=content_range(start, length))
        location = check_session_progress(patched, start + length,
                                          what=f"PATCH {content_range(start, length)} of {plan}")
    if last is None:
        return client.upload_put(location, blob.digest)
    start, length = last
    return client.upload_put(location, blob.digest, data[start:], content_range=content_range(start, length))


def push_sha512_blobs(example: Example, manifest: Manifest, run: PropertyRun) -> bool:
    """Push the sha512 blobs of `manifest`; False (sha512 recorded unsupported) when a step answers 400."""
    for blob in manifest.all_blobs():
        started = example.client.upload_start(example.repo, params={"digest-algorithm": "sha512"})
        if sha512_refused(started, run, "POST ?digest-algorithm=sha512"):
            return False
        location = session_location(started, what="POST ?digest-algorithm=sha512")
        finished = example.client.upload_put(location, blob.digest, blob.data)
        if sha512_refused(finished, run, "the closing PUT of a sha512 blob"):
            return False
        check_step(finished, 201, uploads.UPLOAD_PUT_201, "sha512 blob upload (400 would mean unsupported)")
        example.cleanup.blob(example.repo, blob.digest)
    return True


def sha512_refused(response: Response, run: PropertyRun, what: str) -> bool:
    """A 400 to a sha512 upload step: sha512 is optional, recorded as unsupported."""
    if response.status_code != 400:
        return False
    run.capabilities.record("sha512", False, f"{what} answered 400", evidence=response.describe(),
                            source="test_properties")
    run.note_once(f"sha512 unsupported ({what} answered 400): sha512 examples were not round-tripped")
    return True
