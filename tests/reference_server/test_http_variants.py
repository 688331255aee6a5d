"""Server variants over real HTTP: --no-delete, --workers 2 (shared on-disk state), --upload-timeout."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conformance.registries import start_reference_server
from tests.reference_server.registry_client import OCI_MANIFEST, Registry, error_codes, sha256, unique_repo


@pytest.fixture(scope="module")
def two_workers() -> Iterator[Registry]:
    process = start_reference_server(extra_args=["--workers", "2"])
    registry = Registry(process)
    try:
        yield registry
    finally:
        registry.close()
        process.stop()


def test_no_delete_refuses_every_delete_but_upload_cancel(no_delete_registry: Registry) -> None:
    registry = no_delete_registry
    repo = unique_repo("nodelete")
    pushed = registry.push_image(repo, "v1")
    blob = sha256(pushed.config)
    for path in (
        f"/v2/{repo}/manifests/v1",
        f"/v2/{repo}/manifests/{pushed.digest}",
        f"/v2/{repo}/blobs/{blob}",
    ):
        response = registry.client.delete(path)
        assert response.status_code == 405, path
        assert error_codes(response) == ["UNSUPPORTED"]
    assert registry.client.get(f"/v2/{repo}/manifests/v1").status_code == 200
    location = registry.client.post(f"/v2/{repo}/blobs/uploads/").headers["location"]
    assert registry.client.delete(location).status_code == 204


def worker_pids(parent: int) -> list[int]:
    """uvicorn's worker processes: spawned children of the server process."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == parent and b"spawn_main" in cmdline:
            pids.append(int(entry.name))
    return pids


def bytes_read(pid: int) -> int:
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError(f"no rchar for {pid}")


def test_chunks_spread_over_workers(two_workers: Registry) -> None:
    """Chunks of one session land on both workers (fresh connection each) and still make one exact blob."""
    workers = worker_pids(two_workers.process.process.pid)
    assert len(workers) == 2
    before = {pid: bytes_read(pid) for pid in workers}
    repo = unique_repo("workers")
    piece_size = 65536
    pieces: list[bytes] = []
    location = two_workers.client.post(f"/v2/{repo}/blobs/uploads/").headers["location"]
    offset = 0
    while len(pieces) < 200:
        piece = os.urandom(piece_size)
        with httpx.Client(base_url=two_workers.url, timeout=30) as fresh:  # a new connection: any worker
            headers = {"Content-Range": f"{offset}-{offset + piece_size - 1}"}
            response = fresh.patch(location, content=piece, headers=headers)
        assert response.status_code == 202, response.text
        pieces.append(piece)
        offset += piece_size
        assert response.headers["range"] == f"0-{offset - 1}"
        if len(pieces) >= 20 and all(bytes_read(pid) - before[pid] > 4 * piece_size for pid in workers):
            break
    assert all(bytes_read(pid) - before[pid] > 4 * piece_size for pid in workers), "one worker served nothing"
    data = b"".join(pieces)
    with httpx.Client(base_url=two_workers.url, timeout=30) as fresh:
        done = fresh.put(location, params={"digest": sha256(data)})
    assert done.status_code == 201
    assert two_workers.client.get(f"/v2/{repo}/blobs/{sha256(data)}").content == data


def test_concurrent_pushes_of_same_blob_and_tag(two_workers: Registry) -> None:
    repo = unique_repo("race")
    data = os.urandom(1 << 20)
    digests: list[str] = []

    def push(index: int) -> str:
        with httpx.Client(base_url=two_workers.url, timeout=30) as client:
            location = client.post(f"/v2/{repo}/blobs/uploads/").headers["location"]
            response = client.put(location, params={"digest": sha256(data)}, content=data)
            assert response.status_code == 201
        return response.headers["docker-content-digest"]

    with ThreadPoolExecutor(6) as pool:
        digests = list(pool.map(push, range(12)))
    assert set(digests) == {sha256(data)}
    got = two_workers.client.get(f"/v2/{repo}/blobs/{sha256(data)}")
    assert hashlib.sha256(got.content).hexdigest() == sha256(data).split(":")[1]
    images = [two_workers.image_manifest(repo) for _ in range(6)]

    def tag(index: int) -> int:
        with httpx.Client(base_url=two_workers.url, timeout=30) as client:
            body = images[index % len(images)].body
            status = client.put(
                f"/v2/{repo}/manifests/latest", content=body, headers={"Content-Type": OCI_MANIFEST}
            ).status_code
        return status

    with ThreadPoolExecutor(6) as pool:
        assert set(pool.map(tag, range(24))) == {201}
    final = two_workers.client.get(f"/v2/{repo}/manifests/latest")
    assert final.content in {image.body for image in images}


def test_abandoned_sessions_expire_and_fsync_mode_works() -> None:
    process = start_reference_server(extra_args=["--upload-timeout", "1", "--fsync"])
    with process, httpx.Client(base_url=process.url, timeout=10) as client:
        pushed = Registry(process).push_image("fsync/app", "v1")
        assert client.get("/v2/fsync/app/manifests/v1").content == pushed.body
        location = client.post("/v2/expiry/test/blobs/uploads/").headers["location"]
        assert client.get(location).status_code == 204
        time.sleep(1.6)
        response = client.get(location)
        assert response.status_code == 404
        assert error_codes(response) == ["BLOB_UPLOAD_UNKNOWN"]
