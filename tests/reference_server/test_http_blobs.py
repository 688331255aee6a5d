"""Blob GET/HEAD/DELETE over real HTTP: headers, ranges, errors."""

from __future__ import annotations

import hashlib
import os
import socket

import pytest

from tests.reference_server.registry_client import Registry, error_codes, sha256

DATA = bytes(range(256)) * 8  # 2048 bytes


@pytest.fixture
def blob(registry: Registry, repo: str) -> str:
    return registry.push_blob(repo, DATA)


def test_get_and_head_headers(registry: Registry, repo: str, blob: str) -> None:
    for method in ("GET", "HEAD"):
        response = registry.client.request(method, f"/v2/{repo}/blobs/{blob}")
        assert response.status_code == 200
        assert response.headers["content-length"] == "2048"
        assert response.headers["docker-content-digest"] == blob
        assert response.headers["accept-ranges"] == "bytes"
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.content == (DATA if method == "GET" else b"")


@pytest.mark.parametrize(
    ("header", "span"),
    [
        ("bytes=500-1499", (500, 1499)),
        ("bytes=500-", (500, 2047)),
        ("bytes=-500", (1548, 2047)),
        ("bytes=2000-5000", (2000, 2047)),
        ("bytes=0-0", (0, 0)),
        ("bytes=-5000", (0, 2047)),
    ],
)
def test_ranges(registry: Registry, repo: str, blob: str, header: str, span: tuple[int, int]) -> None:
    first, last = span
    response = registry.client.get(f"/v2/{repo}/blobs/{blob}", headers={"Range": header})
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {first}-{last}/2048"
    assert response.headers["content-length"] == str(last - first + 1)
    assert response.content == DATA[first : last + 1]


@pytest.mark.parametrize("header", ["bytes=500-0", "bytes=5000-10000", "bytes=2048-", "bytes=-0"])
def test_unsatisfiable_ranges(registry: Registry, repo: str, blob: str, header: str) -> None:
    response = registry.client.get(f"/v2/{repo}/blobs/{blob}", headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */2048"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-1", "bytes=abc", "bytes=1-x"])
def test_ranges_the_server_ignores(registry: Registry, repo: str, blob: str, header: str) -> None:
    response = registry.client.get(f"/v2/{repo}/blobs/{blob}", headers={"Range": header})
    assert response.status_code == 200
    assert response.content == DATA


def test_missing_blob(registry: Registry, repo: str, blob: str) -> None:
    missing = sha256(b"never pushed")
    response = registry.client.get(f"/v2/{repo}/blobs/{missing}")
    assert response.status_code == 404
    assert error_codes(response) == ["BLOB_UNKNOWN"]
    head = registry.client.head(f"/v2/{repo}/blobs/{missing}")
    assert head.status_code == 404
    assert head.content == b""
    other_repo = registry.client.get(f"/v2/{repo}-other/blobs/{blob}")
    assert other_repo.status_code == 404
    assert error_codes(other_repo) == ["BLOB_UNKNOWN"]


@pytest.mark.parametrize("digest", ["sha256:abc", "sha256:" + "A" * 64, "md5:" + "a" * 32, "nodigest"])
def test_malformed_digest_is_digest_invalid(registry: Registry, repo: str, digest: str) -> None:
    for method in ("GET", "DELETE"):
        response = registry.client.request(method, f"/v2/{repo}/blobs/{digest}")
        assert response.status_code == 400
        assert error_codes(response) == ["DIGEST_INVALID"]
    assert registry.client.head(f"/v2/{repo}/blobs/{digest}").status_code == 400


def test_delete_blob(registry: Registry, repo: str, blob: str) -> None:
    response = registry.client.delete(f"/v2/{repo}/blobs/{blob}")
    assert response.status_code == 202
    assert registry.client.head(f"/v2/{repo}/blobs/{blob}").status_code == 404
    again = registry.client.delete(f"/v2/{repo}/blobs/{blob}")
    assert again.status_code == 404
    assert error_codes(again) == ["BLOB_UNKNOWN"]


def test_empty_blob(registry: Registry, repo: str) -> None:
    digest = registry.push_blob(repo, b"")
    response = registry.client.get(f"/v2/{repo}/blobs/{digest}")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "0"
    assert registry.client.get(f"/v2/{repo}/blobs/{digest}", headers={"Range": "bytes=0-"}).status_code == 416


def test_large_blob_streams_and_survives_aborted_downloads(registry: Registry, repo: str) -> None:
    data = os.urandom(1 << 20) * 12  # above the 8 MiB threshold where the server watches for disconnects
    digest = registry.push_blob(repo, data)
    host, port = registry.url.removeprefix("http://").split(":")
    for _ in range(3):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(f"GET /v2/{repo}/blobs/{digest} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    with registry.client.stream("GET", f"/v2/{repo}/blobs/{digest}") as response:
        assert response.status_code == 200
        received = hashlib.sha256()
        size = 0
        for piece in response.iter_bytes():
            received.update(piece)
            size += len(piece)
    assert size == len(data)
    assert "sha256:" + received.hexdigest() == digest
    ranged = registry.client.get(f"/v2/{repo}/blobs/{digest}", headers={"Range": "bytes=9437184-"})
    assert ranged.status_code == 206
    assert ranged.content == data[9437184:]


def test_if_none_match_answers_304(registry: Registry, repo: str, blob: str) -> None:
    cached = registry.client.get(f"/v2/{repo}/blobs/{blob}", headers={"If-None-Match": f'W/"x", "{blob}"'})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == f'"{blob}"'
    elsewhere = registry.client.get(f"/v2/{repo}-none/blobs/{blob}", headers={"If-None-Match": f'"{blob}"'})
    assert elsewhere.status_code == 404
    assert (
        registry.client.get(f"/v2/{repo}/blobs/{blob}", headers={"If-None-Match": '"other"'}).content == DATA
    )
