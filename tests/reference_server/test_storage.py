"""Stores on a real temporary directory: atomic commits, dedup, sessions across workers, concurrency."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from reference_server.digests import StreamedBody
from reference_server.grammar import Digest, RepositoryName, Tag, UploadId
from reference_server.storage import Storage
from reference_server.storage.errors import (
    BlobNotFoundError,
    ChunkAfterShortChunkError,
    ClientDisconnectedError,
    DigestMismatchError,
    ManifestNotFoundError,
    RepositoryNotFoundError,
    SizeMismatchError,
    UploadNotFoundError,
    UploadOutOfOrderError,
)

REPO = RepositoryName("org/app")
OTHER = RepositoryName("org/other")


def digest_of(data: bytes, algorithm: str = "sha256") -> Digest:
    return Digest(algorithm, hashlib.new(algorithm, data).hexdigest())


async def _pieces(pieces: Iterable[bytes], then_disconnect: bool) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece
    if then_disconnect:
        raise ClientDisconnectedError()


def stream(pieces: Iterable[bytes]) -> StreamedBody:
    """A body of these pieces, as the ASGI path hands it to the stores."""
    return StreamedBody(_pieces(pieces, then_disconnect=False))


def broken_stream(pieces: Iterable[bytes]) -> StreamedBody:
    """A body whose client goes away after these pieces."""
    return StreamedBody(_pieces(pieces, then_disconnect=True))


@pytest.fixture
def storage(tmp_path: Path) -> Storage:
    return Storage.open(tmp_path / "data", upload_timeout=3600)


def visible_files(root: Path, sub: str) -> list[Path]:
    return [p for p in (root / sub).rglob("*") if p.is_file()]


def test_ingest_commits_and_links(storage: Storage) -> None:
    data = os.urandom(3 << 20)
    digest = digest_of(data)
    asyncio.run(storage.blobs.ingest(REPO, stream([data[:1000], data[1000:]]), digest, len(data)))
    assert storage.blobs.size_in(REPO, digest) == len(data)
    assert Path(storage.layout.blob(digest)).read_bytes() == data
    with pytest.raises(BlobNotFoundError):
        storage.blobs.size_in(OTHER, digest)
    assert visible_files(storage.layout.root, "tmp") == []


def test_ingest_digest_mismatch_leaves_nothing(storage: Storage) -> None:
    data = b"x" * 5000
    wrong = digest_of(b"other")
    with pytest.raises(DigestMismatchError):
        asyncio.run(storage.blobs.ingest(REPO, stream([data]), wrong, len(data)))
    assert visible_files(storage.layout.root, "blobs") == []
    assert visible_files(storage.layout.root, "tmp") == []
    assert storage.blobs.size_anywhere(wrong) is None


def test_ingest_size_mismatch_and_disconnect_leave_nothing(storage: Storage) -> None:
    data = b"y" * 100
    with pytest.raises(SizeMismatchError):
        asyncio.run(storage.blobs.ingest(REPO, stream([data]), digest_of(data), 99))
    with pytest.raises(ClientDisconnectedError):
        asyncio.run(storage.blobs.ingest(REPO, broken_stream([data] * 30000), digest_of(data), None))
    assert visible_files(storage.layout.root, "blobs") == []
    assert visible_files(storage.layout.root, "tmp") == []


def test_blob_unlink_keeps_content_for_other_repositories(storage: Storage) -> None:
    data = b"shared"
    digest = digest_of(data)
    asyncio.run(storage.blobs.ingest(REPO, stream([data]), digest, None))
    storage.blobs.link(OTHER, digest)
    storage.blobs.unlink(REPO, digest)
    with pytest.raises(BlobNotFoundError):
        storage.blobs.unlink(REPO, digest)
    assert storage.blobs.size_in(OTHER, digest) == len(data)


def test_concurrent_ingest_of_the_same_blob_from_threads(storage: Storage) -> None:
    data = os.urandom(2 << 20)
    digest = digest_of(data)

    def push(index: int) -> None:
        name = RepositoryName(f"org/app{index % 3}")
        asyncio.run(
            storage.blobs.ingest(
                name, stream([data[i : i + 65536] for i in range(0, len(data), 65536)]), digest, len(data)
            )
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(push, range(16)))
    assert Path(storage.layout.blob(digest)).read_bytes() == data
    assert visible_files(storage.layout.root, "tmp") == []
    for index in range(3):
        assert storage.blobs.size_in(RepositoryName(f"org/app{index}"), digest) == len(data)


def test_upload_session_chunks_in_order_and_complete(storage: Storage) -> None:
    data = os.urandom(3000)
    session = storage.uploads.create(REPO, "sha256")
    assert storage.uploads.size(session) == 0
    assert asyncio.run(storage.uploads.append(session, stream([data[:1000]]), 0, 1000)) == 1000
    with pytest.raises(UploadOutOfOrderError) as excinfo:
        asyncio.run(storage.uploads.append(session, stream([data[2000:]]), 2000, 1000))
    assert excinfo.value.stored == 1000
    assert asyncio.run(storage.uploads.append(session, stream([data[1000:2000]]), None, None)) == 2000
    asyncio.run(storage.uploads.complete(session, stream([data[2000:]]), 2000, 1000, digest_of(data)))
    assert storage.blobs.size_in(REPO, digest_of(data)) == 3000
    with pytest.raises(UploadNotFoundError):
        storage.uploads.get(REPO, session.id)


def test_upload_bound_to_repository_and_cancel(storage: Storage) -> None:
    session = storage.uploads.create(REPO, "sha256")
    with pytest.raises(UploadNotFoundError):
        storage.uploads.get(OTHER, session.id)
    with pytest.raises(UploadNotFoundError):
        storage.uploads.get(REPO, UploadId("0" * 32))
    storage.uploads.cancel(session)
    with pytest.raises(UploadNotFoundError):
        storage.uploads.get(REPO, session.id)


def test_failed_chunk_is_rolled_back(storage: Storage) -> None:
    session = storage.uploads.create(REPO, "sha256")
    asyncio.run(storage.uploads.append(session, stream([b"abc"]), 0, 3))
    with pytest.raises(SizeMismatchError):
        asyncio.run(storage.uploads.append(session, stream([b"defg"]), 3, 3))
    with pytest.raises(ClientDisconnectedError):
        asyncio.run(storage.uploads.append(session, broken_stream([b"zz"]), 3, None))
    assert storage.uploads.size(session) == 3
    asyncio.run(storage.uploads.complete(session, stream([b"def"]), 3, 3, digest_of(b"abcdef")))
    assert storage.blobs.size_in(REPO, digest_of(b"abcdef")) == 6


def test_digest_mismatch_on_complete_removes_session(storage: Storage) -> None:
    session = storage.uploads.create(REPO, "sha256")
    asyncio.run(storage.uploads.append(session, stream([b"abc"]), 0, 3))
    with pytest.raises(DigestMismatchError):
        asyncio.run(storage.uploads.complete(session, stream([]), None, None, digest_of(b"abd")))
    with pytest.raises(UploadNotFoundError):
        storage.uploads.get(REPO, session.id)
    assert storage.blobs.size_anywhere(digest_of(b"abc")) is None


def test_sessions_shared_between_two_store_instances(tmp_path: Path) -> None:
    """Two Storage objects on one directory behave like two worker processes (separate hasher caches)."""
    one = Storage.open(tmp_path / "d", upload_timeout=3600)
    two = Storage.open(tmp_path / "d", upload_timeout=3600)
    data = os.urandom(3 << 20)
    session = one.uploads.create(REPO, "sha256")
    asyncio.run(one.uploads.append(session, stream([data[: 1 << 20]]), 0, 1 << 20))
    seen = two.uploads.get(REPO, session.id)
    asyncio.run(two.uploads.append(seen, stream([data[1 << 20 : 2 << 20]]), 1 << 20, 1 << 20))
    asyncio.run(one.uploads.append(session, stream([data[2 << 20 :]]), 2 << 20, None))
    asyncio.run(two.uploads.complete(seen, stream([]), None, None, digest_of(data)))
    assert Path(one.layout.blob(digest_of(data))).read_bytes() == data


def test_session_algorithm_sha512_and_other_algorithm_on_close(storage: Storage) -> None:
    data = b"hello sha512"
    session = storage.uploads.create(REPO, "sha512")
    asyncio.run(storage.uploads.append(session, stream([data]), 0, len(data)))
    asyncio.run(storage.uploads.complete(session, stream([]), None, None, digest_of(data, "sha512")))
    assert storage.blobs.size_in(REPO, digest_of(data, "sha512")) == len(data)
    other = storage.uploads.create(REPO, "sha256")
    asyncio.run(storage.uploads.append(other, stream([b"x" * 10]), 0, 10))
    asyncio.run(storage.uploads.complete(other, stream([]), None, None, digest_of(b"x" * 10, "sha512")))
    assert storage.blobs.size_in(REPO, digest_of(b"x" * 10, "sha512")) == 10


def test_sessions_expire_lazily_and_by_sweep(tmp_path: Path) -> None:
    storage = Storage.open(tmp_path / "d", upload_timeout=5)
    lazy = storage.uploads.create(REPO, "sha256")
    swept = storage.uploads.create(REPO, "sha512")
    fresh = storage.uploads.create(REPO, "sha256")
    stale_temp = Path(storage.layout.temp_file())
    stale_temp.write_bytes(b"left by a crash")
    old = time.time() - 60
    for path in (lazy.path, swept.path, str(stale_temp)):
        os.utime(path, (old, old))
    with pytest.raises(UploadNotFoundError):
        storage.uploads.get(REPO, lazy.id)
    assert not os.path.exists(lazy.path)
    assert storage.uploads.sweep() == 1
    assert not os.path.exists(swept.path)
    assert not stale_temp.exists()
    assert storage.uploads.get(REPO, fresh.id) == fresh


def test_session_id_is_bound_to_the_repository_name(storage: Storage) -> None:
    session = storage.uploads.create(REPO, "sha256")
    assert len(session.id) == 32
    assert os.listdir(storage.layout.uploads) == [f"{session.id}.sha256"]  # one file per session
    assert storage.uploads.create(REPO, "sha256").id[-12:] == session.id[-12:]
    other = storage.uploads.create(OTHER, "sha256")
    assert other.id[-12:] != session.id[-12:]
    with pytest.raises(UploadNotFoundError):
        storage.uploads.get(REPO, other.id)


def test_manifests_tags_and_catalog(storage: Storage) -> None:
    body = b'{"schemaVersion":2}'
    digest = digest_of(body)
    storage.manifests.put(
        REPO, digest, body, "application/vnd.oci.image.manifest.v1+json", [Tag("b"), Tag("A"), Tag("a")]
    )
    assert storage.manifests.tags(REPO) == ["A", "a", "b"]
    assert storage.manifests.resolve(REPO, Tag("a")) == digest
    assert storage.manifests.get(REPO, digest) == (body, "application/vnd.oci.image.manifest.v1+json")
    storage.manifests.delete_tag(REPO, Tag("a"))
    assert storage.manifests.tags(REPO) == ["A", "b"]
    storage.manifests.delete(REPO, digest)
    assert storage.manifests.tags(REPO) == []
    with pytest.raises(ManifestNotFoundError):
        storage.manifests.get(REPO, digest)
    with pytest.raises(RepositoryNotFoundError):
        storage.manifests.tags(OTHER)
    storage.blobs.write_bytes(b"x", digest_of(b"x"))
    storage.blobs.link(RepositoryName("a/b/c"), digest_of(b"x"))
    assert storage.manifests.catalog() == ["a/b/c", "org/app"]


def test_concurrent_tag_writes_from_threads(storage: Storage) -> None:
    bodies = [f'{{"schemaVersion":2,"n":{i}}}'.encode() for i in range(8)]
    digests = [digest_of(b) for b in bodies]

    def put(index: int) -> None:
        for _ in range(20):
            storage.manifests.put(REPO, digests[index], bodies[index], "application/json", [Tag("latest")])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(8)))
    assert storage.manifests.resolve(REPO, Tag("latest")) in digests
    assert visible_files(storage.layout.root, "tmp") == []


def test_referrers_sorted_and_removed(storage: Storage) -> None:
    subject = digest_of(b"subject")
    first, second = sorted([digest_of(b"r1"), digest_of(b"r2")], key=str)
    storage.referrers.add(REPO, subject, second, {"digest": str(second), "size": 2})
    storage.referrers.add(REPO, subject, first, {"digest": str(first), "size": 1})
    assert [d["digest"] for d in storage.referrers.list(REPO, subject)] == [str(first), str(second)]
    storage.referrers.remove(REPO, subject, first)
    assert [d["digest"] for d in storage.referrers.list(REPO, subject)] == [str(second)]
    assert storage.referrers.list(OTHER, subject) == []


def test_session_removed_while_completing_is_unknown(storage: Storage) -> None:
    session = storage.uploads.create(REPO, "sha256")
    data = b"late"

    async def vanish_then_stream() -> AsyncIterator[bytes]:
        os.unlink(session.path)  # e.g. another worker's sweep or a cancel, mid-request
        yield data

    with pytest.raises(UploadNotFoundError):
        asyncio.run(
            storage.uploads.complete(session, StreamedBody(vanish_then_stream()), None, None, digest_of(data))
        )
    assert storage.blobs.size_anywhere(digest_of(data)) is None


# --- minimum chunk length (handlers/uploads.py states the rule) ---------------------------------------------
MIN = 100


def test_short_chunk_is_accepted_then_blocks_more_data_in_every_store_instance(tmp_path: Path) -> None:
    """The mark is on disk: a second Storage (another worker) refuses data after the first's short chunk."""
    one = Storage.open(tmp_path / "d", upload_timeout=3600)
    two = Storage.open(tmp_path / "d", upload_timeout=3600)
    data = os.urandom(400)
    session = one.uploads.create(REPO, "sha256")
    assert asyncio.run(one.uploads.append(session, stream([data[:150]]), 0, 150, min_length=MIN)) == 150
    assert asyncio.run(one.uploads.append(session, stream([data[150:180]]), 150, 30, min_length=MIN)) == 180
    seen = two.uploads.get(REPO, session.id)
    attempts: list[Coroutine[Any, Any, object]] = [
        two.uploads.append(seen, stream([data[180:300]]), 180, 120, min_length=MIN),
        two.uploads.append(seen, stream([data[180:185]]), 180, 5, min_length=MIN),
        two.uploads.append(seen, stream([data[180:]]), None, None, min_length=MIN),  # unannounced length
        two.uploads.complete(seen, stream([data[180:]]), 180, 220, digest_of(data), min_length=MIN),
    ]
    for attempt in attempts:
        with pytest.raises(ChunkAfterShortChunkError) as excinfo:
            asyncio.run(attempt)
        assert isinstance(excinfo.value, UploadOutOfOrderError)
        assert (excinfo.value.stored, excinfo.value.min_length) == (180, MIN)
        assert two.uploads.size(seen) == 180
    assert asyncio.run(two.uploads.append(seen, stream([]), None, 0, min_length=MIN)) == 180
    asyncio.run(two.uploads.complete(seen, stream([]), None, 0, digest_of(data[:180]), min_length=MIN))
    blob = Path(one.layout.blob(digest_of(data[:180])))
    assert blob.read_bytes() == data[:180]
    assert blob.stat().st_mode & 0o111 == 0  # the session mark does not survive into the blob store


def test_chunks_of_the_minimum_and_any_final_chunk_complete(storage: Storage) -> None:
    data = os.urandom(207)
    uploads = storage.uploads
    session = uploads.create(REPO, "sha256")
    for start in (0, 100):
        asyncio.run(uploads.append(session, stream([data[start : start + 100]]), start, 100, min_length=MIN))
    asyncio.run(uploads.complete(session, stream([data[200:]]), 200, 7, digest_of(data), min_length=MIN))
    assert Path(storage.layout.blob(digest_of(data))).read_bytes() == data


def test_short_final_chunk_by_patch_then_empty_close(storage: Storage) -> None:
    data = os.urandom(130)
    session = storage.uploads.create(REPO, "sha256")
    asyncio.run(storage.uploads.append(session, stream([data[:100]]), 0, 100, min_length=MIN))
    asyncio.run(storage.uploads.append(session, stream([data[100:]]), 100, 30, min_length=MIN))
    asyncio.run(storage.uploads.complete(session, stream([]), None, 0, digest_of(data), min_length=MIN))
    assert storage.blobs.size_in(REPO, digest_of(data)) == 130


def test_mark_is_per_session_and_ignored_without_a_minimum(storage: Storage) -> None:
    short = storage.uploads.create(REPO, "sha256")
    other = storage.uploads.create(REPO, "sha256")
    asyncio.run(storage.uploads.append(short, stream([b"tiny"]), 0, 4, min_length=MIN))
    assert asyncio.run(storage.uploads.append(other, stream([b"tiny"]), 0, 4)) == 4
    assert asyncio.run(storage.uploads.append(other, stream([b"more"]), 4, 4)) == 8  # no minimum: no rule
    with pytest.raises(ChunkAfterShortChunkError):
        asyncio.run(storage.uploads.append(short, stream([b"more"]), 4, 4, min_length=MIN))
    assert asyncio.run(storage.uploads.append(short, stream([b"more"]), 4, 4)) == 8  # server run without one
