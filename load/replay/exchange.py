"""One request of the plan, independent of the HTTP client: what to send, and how to judge the answer.

`ChainRun` walks one chain (a single request, or an upload session that must run in order): for each step
`request(step)` gives the `Outgoing` request (method, URL path or the session's absolute `Location`,
headers, a streamed body from the content store, whether to send credentials, what the body must be), and
`answered(step, answer)` takes the `Answer` back (it keeps the session's `Location`). Both engines, the
asyncio one (`engine.py`) and the Locust one (`locust_user.py`), drive it, so they send the same bytes.

`verdict(step, answer)` says whether the answer reproduces the record: same status class as recorded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from load.content import BlobBody
from load.replay.plan import Step
from load.replay.records import status_class
from load.replay.synthetic import ContentStore, missing_digest

ACCEPT = ", ".join((
    "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
))


@dataclass
class Outgoing:
    """A request to send. `url` is a path on the target or an absolute URL (a session's Location)."""

    method: str
    url: str
    headers: dict[str, str]
    body: BlobBody | bytes | None
    credentials: bool
    read_body: bool
    expect_size: int | None = None
    expect_digest: str | None = None

    @property
    def body_length(self) -> int:
        """Bytes of the request body."""
        return len(self.body) if self.body is not None else 0


@dataclass
class Answer:
    """What came back: status (None when there was no answer), Location, body bytes read, and timings."""

    status: int | None
    location: str | None = None
    received: int = 0
    digest: str | None = None
    error: str | None = None
    latency: float = 0.0
    sent: int = 0


def fake_session(step: Step) -> str:
    """An upload session id no registry issued (for recorded 404s on sessions)."""
    text = hashlib.sha256(f"missing-session|{step.index}".encode()).hexdigest()
    return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-8{text[17:20]}-{text[20:32]}"


class ChainRun:
    """State of one chain being replayed: the upload session Location, whether it broke."""

    def __init__(self, store: ContentStore, verify_share: float) -> None:
        self.store = store
        self.verify_share = verify_share
        self.location: str | None = None

    def verify(self, step: Step) -> bool:
        """Whether this step's blob body is sha256-checked (a deterministic `verify_share` of the steps)."""
        return (step.index * 2654435761) % 1000 < self.verify_share * 1000

    def reference(self, step: Step) -> str:
        """The manifest or blob reference of a step, resolved to our content."""
        kind, ref = step.ref_kind, step.ref or ""
        if kind in {"tag", "missing-tag"}:
            return ref
        if kind == "manifest":
            return self.store.manifest(ref).digest
        if kind == "blob":
            return self.store.blob(ref).digest
        return missing_digest(ref)

    def request(self, step: Step) -> Outgoing | None:
        """The request for `step`, or None when it cannot be sent (its session has no Location)."""
        credentials = step.intent != "anonymous"
        repo = step.repo or ""
        if step.kind == "base":
            return Outgoing(step.method, "/v2/", {}, None, credentials, step.method == "GET")
        if step.kind == "catalog":
            return Outgoing(step.method, "/v2/_catalog", {}, None, credentials, step.method == "GET")
        if step.kind == "tags":
            return Outgoing(step.method, f"/v2/{repo}/tags/list", {}, None, credentials, step.method == "GET")
        if step.kind == "manifest":
            return self.manifest_request(step, repo, credentials)
        if step.kind in ("blob", "referrers"):
            segment = "blobs" if step.kind == "blob" else "referrers"
            url = f"/v2/{repo}/{segment}/{self.reference(step)}"
            headers = {"Range": f"bytes={step.range[0]}-{step.range[1]}"} if step.range else {}
            expect = None
            if step.kind == "blob" and step.ref_kind == "blob" and self.verify(step) and not step.range:
                expect = self.store.blob(step.ref or "").digest
            return Outgoing(step.method, url, headers, None, credentials, step.method == "GET",
                            step.expect_size, expect)
        return self.upload_request(step, repo, credentials)

    def manifest_request(self, step: Step, repo: str, credentials: bool) -> Outgoing:
        url = f"/v2/{repo}/manifests/{self.reference(step)}"
        if step.method == "PUT" and step.body_manifest:
            manifest = self.store.manifest(step.body_manifest)
            headers = {"Content-Type": manifest.media_type}
            return Outgoing("PUT", url, headers, manifest.data, credentials, False)
        expect = None
        if step.method == "GET" and step.intent == "normal" and step.ref_kind == "manifest":
            expect = self.store.manifest(step.ref or "").digest
        return Outgoing(step.method, url, {"Accept": ACCEPT}, None, credentials, step.method == "GET",
                        step.expect_size, expect)

    def body(self, step: Step) -> BlobBody | bytes:
        if not step.body_blob or not step.body_range:
            return b""
        start, end = step.body_range
        return self.store.blob(step.body_blob).body(start, end) if end > start else b""

    def upload_request(self, step: Step, repo: str, credentials: bool) -> Outgoing | None:
        octet = {"Content-Type": "application/octet-stream"}
        if step.method == "POST":
            url = f"/v2/{repo}/blobs/uploads/"
            if step.finish_blob:
                digest = self.store.blob(step.finish_blob).digest
                return Outgoing("POST", f"{url}?digest={digest}", dict(octet), self.body(step), credentials,
                                False)
            if step.mount:
                key, source, exists = step.mount
                digest = self.store.blob(key).digest if exists else missing_digest(key)
                url = f"{url}?mount={digest}&from={source}"
            return Outgoing("POST", url, {}, None, credentials, False)
        if step.intent == "missing":
            location = f"/v2/{repo}/blobs/uploads/{fake_session(step)}"
        elif self.location is None:
            return None
        else:
            location = self.location
        headers: dict[str, str] = {}
        body: BlobBody | bytes | None = None
        if step.method in ("PATCH", "PUT"):
            body = self.body(step)
            headers = dict(octet)
            if step.method == "PATCH" and step.body_range and step.body_range[1] > step.body_range[0]:
                headers["Content-Range"] = f"{step.body_range[0]}-{step.body_range[1] - 1}"
        if step.method == "PUT":
            finish = step.finish_blob or step.body_blob
            if finish:
                separator = "&" if "?" in location else "?"
                location = f"{location}{separator}digest={self.store.blob(finish).digest}"
        return Outgoing(step.method, location, headers, body, credentials, step.method == "GET")

    def answered(self, step: Step, answer: Answer) -> None:
        """Keep the Location an upload step was answered with (the next step of the session goes there)."""
        if step.kind == "upload" and step.intent != "missing" and answer.location:
            self.location = answer.location


def verdict(step: Step, answer: Answer) -> bool:
    """True when the answer has the status class the trace recorded."""
    answered = status_class(answer.status) if answer.status is not None else "error"
    return answered == step.recorded_class or (step.added and answered == "2xx")


def body_digest(parts: list[bytes | memoryview]) -> str:
    """`sha256:<hex>` of a body read in parts (small bodies only)."""
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part)
    return "sha256:" + hasher.hexdigest()


def describe(out: Outgoing) -> dict[str, Any]:
    """A loggable summary of a request (no credentials, no body)."""
    return {"method": out.method, "url": out.url, "body_bytes": out.body_length,
            "credentials": out.credentials}
