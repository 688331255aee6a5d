"""Upload flows over real HTTP: sessions, chunks, streaming, single POST, mounts, sha512, errors."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import httpx
import pytest

from tests.reference_server.registry_client import Registry, error_codes, sha256, unique_repo


def start(registry: Registry, repo: str, **params: str) -> httpx.Response:
    response = registry.client.post(f"/v2/{repo}/blobs/uploads/", params=params)
    assert response.status_code == 202, response.text
    return response


def assert_session_headers(response: httpx.Response, repo: str, stored: int) -> None:
    location = response.headers["location"]
    assert location.startswith(f"/v2/{repo}/blobs/uploads/")
    assert response.headers["docker-upload-uuid"] == location.rsplit("/", 1)[1]
    assert response.headers["range"] == (f"0-{stored - 1}" if stored else "0-0")


def test_post_answers_a_session(registry: Registry, repo: str) -> None:
    response = start(registry, repo)
    assert_session_headers(response, repo, 0)
    status = registry.client.get(response.headers["location"])
    assert status.status_code == 204
    assert_session_headers(status, repo, 0)


def test_chunked_upload_reports_ranges(registry: Registry, repo: str) -> None:
    data = os.urandom(3067)
    location = start(registry, repo).headers["location"]
    for first, last in [(0, 1023), (1024, 2047)]:
        chunk = data[first : last + 1]
        response = registry.client.patch(
            location, content=chunk, headers={"Content-Range": f"{first}-{last}"}
        )
        assert response.status_code == 202
        assert_session_headers(response, repo, last + 1)
        location = response.headers["location"]
    status = registry.client.get(location)
    assert status.status_code == 204
    assert status.headers["range"] == "0-2047"
    done = registry.client.put(
        location, params={"digest": sha256(data)}, content=data[2048:], headers={"Content-Range": "2048-3066"}
    )
    assert done.status_code == 201
    assert done.headers["location"] == f"/v2/{repo}/blobs/{sha256(data)}"
    assert done.headers["docker-content-digest"] == sha256(data)
    assert registry.client.get(done.headers["location"]).content == data
    gone = registry.client.get(location)
    assert gone.status_code == 404
    assert error_codes(gone) == ["BLOB_UPLOAD_UNKNOWN"]


def test_bytes_prefixed_content_range_is_accepted(registry: Registry, repo: str) -> None:
    location = start(registry, repo).headers["location"]
    response = registry.client.patch(location, content=b"abcd", headers={"Content-Range": "bytes=0-3"})
    assert response.status_code == 202
    assert response.headers["range"] == "0-3"


def test_out_of_order_chunks_get_416_with_stored_range(registry: Registry, repo: str) -> None:
    location = start(registry, repo).headers["location"]
    registry.client.patch(location, content=b"a" * 10, headers={"Content-Range": "0-9"})
    for header in ["20-29", "0-9", "5-14"]:
        response = registry.client.patch(location, content=b"b" * 10, headers={"Content-Range": header})
        assert response.status_code == 416
        assert response.headers["range"] == "0-9"
        assert response.headers["location"] == location
        assert response.headers["docker-upload-uuid"] == location.rsplit("/", 1)[1]
        assert error_codes(response) == ["BLOB_UPLOAD_INVALID"]
    put = registry.client.put(
        location, params={"digest": sha256(b"a" * 20)}, content=b"a" * 10, headers={"Content-Range": "30-39"}
    )
    assert put.status_code == 416
    ok = registry.client.put(
        location, params={"digest": sha256(b"a" * 20)}, content=b"a" * 10, headers={"Content-Range": "10-19"}
    )
    assert ok.status_code == 201


def test_content_length_must_match_content_range(registry: Registry, repo: str) -> None:
    location = start(registry, repo).headers["location"]
    response = registry.client.patch(location, content=b"abc", headers={"Content-Range": "0-9"})
    assert response.status_code == 400
    assert error_codes(response) == ["SIZE_INVALID"]
    assert registry.client.get(location).headers["range"] == "0-0"


@pytest.mark.parametrize("header", ["garbage", "5-2", "-3", "0-", "a-b"])
def test_garbage_content_range(registry: Registry, repo: str, header: str) -> None:
    location = start(registry, repo).headers["location"]
    response = registry.client.patch(location, content=b"abc", headers={"Content-Range": header})
    assert response.status_code == 400
    assert error_codes(response) == ["BLOB_UPLOAD_INVALID"]


def slices(data: bytes, size: int) -> Iterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


def test_streamed_patch_with_chunked_transfer_encoding(registry: Registry, repo: str) -> None:
    data = os.urandom(3 << 20)
    location = start(registry, repo).headers["location"]
    response = registry.client.patch(location, content=slices(data, 100_000))
    assert response.status_code == 202
    assert response.headers["range"] == f"0-{len(data) - 1}"
    second = registry.client.patch(response.headers["location"], content=b"tail")
    assert second.headers["range"] == f"0-{len(data) + 3}"
    done = registry.client.put(second.headers["location"], params={"digest": sha256(data + b"tail")})
    assert done.status_code == 201
    assert registry.client.get(done.headers["location"]).content == data + b"tail"


def test_put_with_whole_body(registry: Registry, repo: str) -> None:
    data = os.urandom(5000)
    location = start(registry, repo).headers["location"]
    done = registry.client.put(location, params={"digest": sha256(data)}, content=data)
    assert done.status_code == 201


def test_digest_mismatch_and_missing_digest(registry: Registry, repo: str) -> None:
    location = start(registry, repo).headers["location"]
    missing = registry.client.put(location, content=b"abc")
    assert missing.status_code == 400
    assert error_codes(missing) == ["DIGEST_INVALID"]
    malformed = registry.client.put(location, params={"digest": "sha256:xyz"}, content=b"abc")
    assert malformed.status_code == 400
    assert error_codes(malformed) == ["DIGEST_INVALID"]
    wrong = registry.client.put(location, params={"digest": sha256(b"other")}, content=b"abc")
    assert wrong.status_code == 400
    assert error_codes(wrong) == ["DIGEST_INVALID"]
    assert registry.client.head(f"/v2/{repo}/blobs/{sha256(b'other')}").status_code == 404


def test_single_request_upload(registry: Registry, repo: str) -> None:
    data = b"monolithic"
    response = registry.client.post(
        f"/v2/{repo}/blobs/uploads/", params={"digest": sha256(data)}, content=data
    )
    assert response.status_code == 201
    assert response.headers["location"] == f"/v2/{repo}/blobs/{sha256(data)}"
    assert response.headers["docker-content-digest"] == sha256(data)
    bad = registry.client.post(f"/v2/{repo}/blobs/uploads/", params={"digest": sha256(b"x")}, content=data)
    assert bad.status_code == 400
    assert error_codes(bad) == ["DIGEST_INVALID"]


def test_sha512_uploads(registry: Registry, repo: str) -> None:
    data = os.urandom(4000)
    digest = "sha512:" + hashlib.sha512(data).hexdigest()
    location = start(registry, repo, **{"digest-algorithm": "sha512"}).headers["location"]
    registry.client.patch(location, content=data[:1000], headers={"Content-Range": "0-999"})
    done = registry.client.put(location, params={"digest": digest}, content=data[1000:])
    assert done.status_code == 201
    assert done.headers["docker-content-digest"] == digest
    get = registry.client.get(f"/v2/{repo}/blobs/{digest}")
    assert get.content == data
    assert get.headers["docker-content-digest"] == digest
    # no digest-algorithm on POST: the server re-hashes at close time
    plain = start(registry, repo).headers["location"]
    assert registry.client.put(plain, params={"digest": digest}, content=data).status_code == 201
    unknown = registry.client.post(f"/v2/{repo}/blobs/uploads/", params={"digest-algorithm": "md5"})
    assert unknown.status_code == 400
    assert error_codes(unknown) == ["DIGEST_INVALID"]


def test_cancel_and_unknown_sessions(registry: Registry, repo: str) -> None:
    location = start(registry, repo).headers["location"]
    assert registry.client.delete(location).status_code == 204
    for method in ("GET", "PATCH", "PUT", "DELETE"):
        response = registry.client.request(method, location, params={"digest": sha256(b"")})
        assert response.status_code == 404
        assert error_codes(response) == ["BLOB_UPLOAD_UNKNOWN"]
    for bad in ["0" * 32, "not-a-uuid", "%2e%2e", "A" * 32]:
        response = registry.client.get(f"/v2/{repo}/blobs/uploads/{bad}")
        assert response.status_code == 404
        assert error_codes(response) == ["BLOB_UPLOAD_UNKNOWN"]


def test_session_is_bound_to_its_repository(registry: Registry, repo: str) -> None:
    location = start(registry, repo).headers["location"]
    session = location.rsplit("/", 1)[1]
    other = registry.client.get(f"/v2/{repo}-x/blobs/uploads/{session}")
    assert other.status_code == 404
    assert error_codes(other) == ["BLOB_UPLOAD_UNKNOWN"]
    assert registry.client.get(location).status_code == 204


def test_mount_from_repository(registry: Registry, repo: str) -> None:
    source = unique_repo("src")
    digest = registry.push_blob(source, b"mount me")
    response = registry.client.post(f"/v2/{repo}/blobs/uploads/", params={"mount": digest, "from": source})
    assert response.status_code == 201
    assert response.headers["location"] == f"/v2/{repo}/blobs/{digest}"
    assert response.headers["docker-content-digest"] == digest
    assert registry.client.get(f"/v2/{repo}/blobs/{digest}").content == b"mount me"


def test_mount_falls_back_to_a_session(registry: Registry, repo: str) -> None:
    source = unique_repo("src")
    registry.push_blob(source, b"present")
    missing = sha256(b"nowhere")
    response = registry.client.post(f"/v2/{repo}/blobs/uploads/", params={"mount": missing, "from": source})
    assert response.status_code == 202
    assert_session_headers(response, repo, 0)
    wrong_source = registry.client.post(
        f"/v2/{repo}/blobs/uploads/", params={"mount": sha256(b"present"), "from": unique_repo("empty")}
    )
    assert wrong_source.status_code == 202
    done = registry.client.put(response.headers["location"], params={"digest": missing}, content=b"nowhere")
    assert done.status_code == 201


def test_mount_without_from(registry: Registry, repo: str) -> None:
    digest = registry.push_blob(unique_repo("src"), b"anywhere " + os.urandom(8))
    response = registry.client.post(f"/v2/{repo}/blobs/uploads/", params={"mount": digest})
    assert response.status_code == 201
    missing = registry.client.post(f"/v2/{repo}/blobs/uploads/", params={"mount": sha256(os.urandom(8))})
    assert missing.status_code == 202


def test_mount_with_malformed_values(registry: Registry, repo: str) -> None:
    bad_digest = registry.client.post(
        f"/v2/{repo}/blobs/uploads/", params={"mount": "sha256:zz", "from": "a"}
    )
    assert bad_digest.status_code == 400
    assert error_codes(bad_digest) == ["DIGEST_INVALID"]
    bad_from = registry.client.post(
        f"/v2/{repo}/blobs/uploads/", params={"mount": sha256(b"x"), "from": "A/B"}
    )
    assert bad_from.status_code == 400
    assert error_codes(bad_from) == ["NAME_INVALID"]


def test_invalid_repository_names(registry: Registry) -> None:
    for name in ["UPPER", "a/%2E%2E/b", "a/%2e%2e/b", "-x", "a" * 256, "a%2F%2Fb"]:
        response = registry.client.post(f"/v2/{name}/blobs/uploads/")
        assert response.status_code == 400, name
        assert error_codes(response) == ["NAME_INVALID"]
    nested = registry.client.post("/v2/org%2Fimage/blobs/uploads/")
    assert nested.status_code == 202
    assert nested.headers["location"].startswith("/v2/org/image/blobs/uploads/")
