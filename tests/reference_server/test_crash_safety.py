"""Crash safety: SIGKILL the reference server mid-upload and mid-manifest-write, restart on the same data.

Each round starts the server on one data directory, pushes some content completely, then keeps big
streamed uploads (a monolithic PUT and a chunked-encoding PATCH, from threads), small blob pushes and
manifest writes in flight, and kills the whole server process group with SIGKILL at a different
moment each round. After every restart:
- everything whose push was acknowledged (201) is served byte for byte, with the right digest header;
- every blob or manifest whose push was in flight is either absent (404) or complete and correct,
  never partial: HEAD sizes and GET bodies are checked against the exact bytes that were sent;
- an interrupted upload can simply be pushed again.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from conformance.registries import RegistryProcess, start_reference_server
from tests.support.registry_http import (
    OCI_MANIFEST,
    digest_of,
    image_manifest,
    push_blob,
    start_upload,
    upload_url,
)

REPO = "crash/repo"
BIG = 40 << 20
SLICE = 1 << 20
ACCEPT = {"Accept": OCI_MANIFEST}


@dataclass
class Ledger:
    """What was sent and what was acknowledged, across all rounds (thread-safe)."""

    committed_blobs: dict[str, bytes] = field(default_factory=dict)
    attempted_blobs: dict[str, bytes] = field(default_factory=dict)
    committed_tags: dict[str, bytes] = field(default_factory=dict)
    attempted_tags: dict[str, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def attempt_blob(self, data: bytes) -> str:
        digest = digest_of(data)
        with self.lock:
            self.attempted_blobs[digest] = data
        return digest

    def commit_blob(self, digest: str) -> None:
        with self.lock:
            self.committed_blobs[digest] = self.attempted_blobs[digest]


def sliced(
    data: bytes, started: threading.Event, kill_after: int, piece: int = SLICE, pause: float = 0.02
) -> Iterator[bytes]:
    """Yield `data` in slices; set `started` once `kill_after` bytes went out (or all did), then slow down."""
    view = memoryview(data)
    for offset in range(0, len(data), piece):
        if offset >= kill_after:
            started.set()
            time.sleep(pause)
        yield bytes(view[offset:offset + piece])
    started.set()


@dataclass(frozen=True)
class BigUpload:
    """One large streamed upload and when the server should be killed during it."""

    base: str
    ledger: Ledger
    data: bytes
    started: threading.Event
    kill_after: int


def big_monolithic_put(upload: BigUpload) -> None:
    """POST, then PUT the whole blob streamed with an explicit Content-Length (like python-dxf, oras)."""
    digest = upload.ledger.attempt_blob(upload.data)
    try:
        with httpx.Client(timeout=60) as client:
            location = start_upload(client, upload.base, REPO)
            body = sliced(upload.data, upload.started, upload.kill_after)
            response = client.put(upload_url(upload.base, location, digest=digest), content=body,
                                  headers={"Content-Length": str(len(upload.data))})
    except (httpx.HTTPError, AssertionError):
        upload.started.set()
        return
    if response.status_code == 201:
        upload.ledger.commit_blob(digest)


def big_chunked_patch(upload: BigUpload) -> None:
    """POST, PATCH with chunked transfer encoding (what buildah does), then PUT ?digest= with no body."""
    digest = upload.ledger.attempt_blob(upload.data)
    try:
        with httpx.Client(timeout=60) as client:
            location = start_upload(client, upload.base, REPO)
            patched = client.patch(location, content=sliced(upload.data, upload.started, upload.kill_after),
                                   headers={"Content-Type": "application/octet-stream"})
            if patched.status_code != 202:
                return
            closed = client.put(upload_url(upload.base, patched.headers["Location"], digest=digest))
    except (httpx.HTTPError, AssertionError):
        upload.started.set()
        return
    if closed.status_code == 201:
        upload.ledger.commit_blob(digest)


def big_manifest_put(upload: BigUpload) -> None:
    """PUT a manifest of about 3 MiB (padded annotations) streamed slowly, so the kill lands mid-body."""
    tag = f"big-{digest_of(upload.data)[7:19]}"
    try:
        with httpx.Client(timeout=60) as client:
            config, layer = b'{"architecture":"amd64","os":"linux"}', upload.data[:4096]
            for data in (config, layer):
                digest = upload.ledger.attempt_blob(data)
                push_blob(client, upload.base, REPO, data)
                upload.ledger.commit_blob(digest)
            padding = upload.data[: 3 << 19].hex()
            manifest = image_manifest(config, [layer], annotations={"pad": padding})
            with upload.ledger.lock:
                upload.ledger.attempted_tags[tag] = manifest
            kill_after = min(upload.kill_after, len(manifest))
            body = sliced(manifest, upload.started, kill_after, piece=256 << 10, pause=0.25)
            headers = {"Content-Type": OCI_MANIFEST, "Content-Length": str(len(manifest))}
            response = client.put(f"{upload.base}/v2/{REPO}/manifests/{tag}", content=body, headers=headers)
    except (httpx.HTTPError, AssertionError):
        upload.started.set()
        return
    if response.status_code == 201:
        with upload.ledger.lock:
            upload.ledger.committed_tags[tag] = manifest


def churn(base: str, ledger: Ledger, round_number: int, stop: threading.Event) -> None:
    """Small blob pushes and manifest writes, as fast as possible, until the server dies or `stop`."""
    rng = random.Random(round_number)
    with httpx.Client(timeout=30) as client:
        for index in range(100_000):
            if stop.is_set():
                return
            config = b'{"architecture":"amd64","os":"linux","n":"%d-%d"}' % (round_number, index)
            layer = rng.randbytes(rng.choice([1, 4096, 70_000, 300_000]))
            tag = f"r{round_number}-{index}"
            manifest = image_manifest(config, [layer])
            with ledger.lock:
                ledger.attempted_tags[tag] = manifest
            try:
                for data in (config, layer):
                    digest = ledger.attempt_blob(data)
                    push_blob(client, base, REPO, data)
                    ledger.commit_blob(digest)
                response = client.put(f"{base}/v2/{REPO}/manifests/{tag}", content=manifest,
                                      headers={"Content-Type": OCI_MANIFEST})
            except (httpx.HTTPError, AssertionError):
                return
            if response.status_code != 201:
                return
            with ledger.lock:
                ledger.committed_tags[tag] = manifest


def verify(registry: RegistryProcess, ledger: Ledger) -> None:
    """Acknowledged content is intact; in-flight content is absent or complete, never partial."""
    with httpx.Client(timeout=60) as client:
        for digest, data in ledger.attempted_blobs.items():
            url = f"{registry.url}/v2/{REPO}/blobs/{digest}"
            head = client.head(url)
            if digest in ledger.committed_blobs:
                assert head.status_code == 200, f"acknowledged blob {digest} lost: HEAD {head.status_code}"
            assert head.status_code in (200, 404), f"HEAD {digest}: {head.status_code}"
            if head.status_code == 404:
                continue
            assert int(head.headers["Content-Length"]) == len(data), f"HEAD {digest} announces a partial size"
            body = client.get(url)
            assert body.status_code == 200
            served = len(body.content)
            assert served == len(data), f"GET {digest} served {served} of {len(data)} bytes"
            assert body.content == data, f"GET {digest} served corrupt bytes"
            assert body.headers.get("Docker-Content-Digest", digest) == digest
        for tag, manifest in ledger.attempted_tags.items():
            response = client.get(f"{registry.url}/v2/{REPO}/manifests/{tag}", headers=ACCEPT)
            if tag in ledger.committed_tags:
                assert response.status_code == 200, f"acknowledged manifest {tag} lost"
            assert response.status_code in (200, 404), f"GET manifest {tag}: {response.status_code}"
            if response.status_code == 200:
                assert response.content == manifest, f"manifest {tag} served partial or corrupt bytes"
                assert response.headers["Docker-Content-Digest"] == digest_of(manifest)
                by_digest = client.get(
                    f"{registry.url}/v2/{REPO}/manifests/{digest_of(manifest)}", headers=ACCEPT
                )
                assert by_digest.status_code == 200 and by_digest.content == manifest
        listed = client.get(f"{registry.url}/v2/{REPO}/tags/list?n=100000")
        if ledger.committed_tags:
            assert listed.status_code == 200
            assert set(ledger.committed_tags) <= set(listed.json()["tags"])


# (kill after this many bytes of each big stream, extra server arguments); None = no big streams
ROUNDS: list[tuple[int | None, list[str]]] = [
    (2 << 20, []),
    (None, []),
    (24 << 20, ["--workers", "2"]),
    (BIG, []),
    (8 << 20, ["--workers", "2"]),
]


def test_sigkill_never_exposes_partial_blobs_or_manifests(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ledger = Ledger()
    rng = random.Random(20261127)
    interrupted: list[bytes] = []
    for number, (kill_after, extra) in enumerate(ROUNDS):
        registry = start_reference_server(data_dir=data_dir, extra_args=extra)
        try:
            verify(registry, ledger)
            stop = threading.Event()
            threads = [threading.Thread(target=churn, args=(registry.url, ledger, number, stop), daemon=True)]
            started = [threading.Event(), threading.Event(), threading.Event()]
            if kill_after is not None:
                blobs = [rng.randbytes(BIG), rng.randbytes(BIG - 12345)]
                interrupted.extend(blobs)
                for runner, data, event in ((big_monolithic_put, blobs[0], started[0]),
                                            (big_chunked_patch, blobs[1], started[1]),
                                            (big_manifest_put, rng.randbytes(4 << 20), started[2])):
                    upload = BigUpload(registry.url, ledger, data, event, kill_after)
                    threads.append(threading.Thread(target=runner, args=(upload,), daemon=True))
            else:
                for event in started:
                    threading.Timer(0.4 + 0.1 * number, event.set).start()
            for thread in threads:
                thread.start()
            for event in started:
                assert event.wait(60), "the big uploads never got going"
            registry.kill()
            stop.set()
            for thread in threads:
                thread.join(60)
                assert not thread.is_alive(), "a client thread hung after the server was killed"
        finally:
            registry.kill()
    assert ledger.committed_tags, "no manifest write ever completed: the churn did not run"
    big_tags = [tag for tag in ledger.attempted_tags if tag.startswith("big-")]
    assert set(big_tags) - set(ledger.committed_tags), "no kill landed in the middle of a manifest body"

    with start_reference_server(data_dir=data_dir) as registry:
        verify(registry, ledger)
        with httpx.Client(timeout=60) as client:
            for data in interrupted[:2]:
                digest = push_blob(client, registry.url, REPO, data)
                assert client.get(f"{registry.url}/v2/{REPO}/blobs/{digest}").content == data


@pytest.mark.parametrize("kill_after", [0, 3 << 20])
def test_killed_upload_session_is_not_a_blob(tmp_path: Path, kill_after: int) -> None:
    """The simplest case on its own: one streamed PUT killed in flight leaves no blob behind."""
    data = random.Random(kill_after).randbytes(8 << 20)
    ledger = Ledger()
    started = threading.Event()
    registry = start_reference_server(data_dir=tmp_path / "data")
    try:
        upload = BigUpload(registry.url, ledger, data, started, kill_after)
        thread = threading.Thread(target=big_monolithic_put, args=(upload,), daemon=True)
        thread.start()
        assert started.wait(30)
        registry.kill()
        thread.join(30)
    finally:
        registry.kill()
    with start_reference_server(data_dir=tmp_path / "data") as restarted:
        status = httpx.head(f"{restarted.url}/v2/{REPO}/blobs/{digest_of(data)}", timeout=30).status_code
        assert status == (200 if ledger.committed_blobs else 404)


def test_racing_writers_and_readers_see_whole_blobs_and_manifests_only(tmp_path: Path) -> None:
    """Eight clients push one blob and one tag at once (two server workers) while readers poll them."""
    data = random.Random(7).randbytes(6 << 20)
    digest = digest_of(data)
    config, layer = b'{"architecture":"amd64","os":"linux"}', b"racing layer"
    manifests = [image_manifest(config, [layer], annotations={"writer": str(i)}) for i in range(8)]
    seen: list[str] = []
    statuses: list[int] = []
    done = threading.Event()
    with start_reference_server(data_dir=tmp_path / "data", extra_args=["--workers", "2"]) as registry:
        with httpx.Client(timeout=60) as client:
            for small in (config, layer):
                push_blob(client, registry.url, REPO, small)

        def writer(index: int) -> None:
            with httpx.Client(timeout=60) as client:
                location = start_upload(client, registry.url, REPO)
                response = client.put(upload_url(registry.url, location, digest=digest), content=data)
                statuses.append(response.status_code)
                response = client.put(f"{registry.url}/v2/{REPO}/manifests/raced", content=manifests[index],
                                      headers={"Content-Type": OCI_MANIFEST})
                statuses.append(response.status_code)

        def reader() -> None:
            with httpx.Client(timeout=60) as client:
                while not done.is_set():
                    blob = client.get(f"{registry.url}/v2/{REPO}/blobs/{digest}")
                    if blob.status_code == 200:
                        seen.append("blob" if blob.content == data else f"PARTIAL BLOB {len(blob.content)}")
                    tagged = client.get(f"{registry.url}/v2/{REPO}/manifests/raced", headers=ACCEPT)
                    if tagged.status_code == 200:
                        seen.append("manifest" if tagged.content in manifests else "CORRUPT MANIFEST")

        readers = [threading.Thread(target=reader, daemon=True) for _ in range(2)]
        writers = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(8)]
        for thread in [*readers, *writers]:
            thread.start()
        for thread in writers:
            thread.join(120)
        done.set()
        for thread in readers:
            thread.join(60)
        assert statuses == [201] * 16
        final = httpx.get(f"{registry.url}/v2/{REPO}/manifests/raced", headers=ACCEPT, timeout=30)
        assert final.status_code == 200 and final.content in manifests
        assert final.headers["Docker-Content-Digest"] == digest_of(final.content)
        assert httpx.get(f"{registry.url}/v2/{REPO}/blobs/{digest}", timeout=60).content == data
    assert [entry for entry in seen if entry not in ("blob", "manifest")] == []
