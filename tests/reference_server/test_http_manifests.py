"""Manifest PUT/GET/HEAD/DELETE over real HTTP: formats, validation, references, limits, Accept, tags."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tests.reference_server.registry_client import (
    DOCKER_CONFIG,
    DOCKER_LIST,
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_LAYER,
    OCI_MANIFEST,
    Registry,
    error_codes,
    sha256,
)

EMPTY = "application/vnd.oci.empty.v1+json"


def index_of(
    *children: tuple[str, str, int, dict[str, str] | None], media_type: str = OCI_INDEX, **extra: Any
) -> dict[str, Any]:
    manifests = []
    for child_type, digest, size, platform in children:
        entry: dict[str, Any] = {"mediaType": child_type, "digest": digest, "size": size}
        if platform is not None:
            entry["platform"] = platform
        manifests.append(entry)
    return {"schemaVersion": 2, "mediaType": media_type, "manifests": manifests, **extra}


def test_put_get_head_by_tag_and_digest(registry: Registry, repo: str) -> None:
    pushed = registry.image_manifest(repo)
    response = registry.put_manifest(repo, "v1", pushed.body, OCI_MANIFEST)
    assert response.status_code == 201
    assert response.headers["location"] == f"/v2/{repo}/manifests/{pushed.digest}"
    assert response.headers["docker-content-digest"] == pushed.digest
    assert "oci-subject" not in response.headers
    for reference in ("v1", pushed.digest):
        got = registry.client.get(f"/v2/{repo}/manifests/{reference}")
        assert got.status_code == 200
        assert got.content == pushed.body
        assert got.headers["content-type"] == OCI_MANIFEST
        assert got.headers["docker-content-digest"] == pushed.digest
        assert got.headers["content-length"] == str(len(pushed.body))
        head = registry.client.head(f"/v2/{repo}/manifests/{reference}")
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-length"] == str(len(pushed.body))
        assert head.headers["docker-content-digest"] == pushed.digest


def test_push_by_digest_is_pullable_without_tag_and_idempotent(registry: Registry, repo: str) -> None:
    pushed = registry.push_image(repo)
    again = registry.put_manifest(repo, pushed.digest, pushed.body, OCI_MANIFEST)
    assert again.status_code == 201
    assert again.headers["docker-content-digest"] == pushed.digest
    assert registry.client.get(f"/v2/{repo}/manifests/{pushed.digest}").content == pushed.body
    assert registry.client.get(f"/v2/{repo}/tags/list").json() == {"name": repo, "tags": []}


def test_put_by_digest_must_match_body(registry: Registry, repo: str) -> None:
    pushed = registry.image_manifest(repo)
    response = registry.put_manifest(repo, pushed.digest, pushed.body + b"  ", OCI_MANIFEST)
    assert response.status_code == 400
    assert error_codes(response) == ["DIGEST_INVALID"]
    bad = registry.put_manifest(repo, "sha256:baddigeststring", pushed.body, OCI_MANIFEST)
    assert bad.status_code == 400
    assert error_codes(bad) == ["DIGEST_INVALID"]


def test_sha512_manifest_by_digest(registry: Registry, repo: str) -> None:
    pushed = registry.image_manifest(repo)
    digest = "sha512:" + hashlib.sha512(pushed.body).hexdigest()
    response = registry.put_manifest(repo, digest, pushed.body, OCI_MANIFEST)
    assert response.status_code == 201
    assert response.headers["docker-content-digest"] == digest
    got = registry.client.get(f"/v2/{repo}/manifests/{digest}")
    assert got.content == pushed.body
    assert got.headers["docker-content-digest"] == digest


def test_tag_overwrite_moves_tag_and_keeps_old_digest(registry: Registry, repo: str) -> None:
    first = registry.push_image(repo, "latest")
    second = registry.push_image(repo, "latest")
    assert registry.client.get(f"/v2/{repo}/manifests/latest").content == second.body
    assert registry.client.get(f"/v2/{repo}/manifests/{first.digest}").content == first.body


def test_tag_parameters_on_put_by_digest(registry: Registry, repo: str) -> None:
    pushed = registry.image_manifest(repo)
    tags = [f"t{i}" for i in range(12)]
    response = registry.put_manifest(repo, pushed.digest, pushed.body, OCI_MANIFEST, params={"tag": tags})
    assert response.status_code == 201
    assert sorted(response.headers.get_list("oci-tag")) == sorted(tags)
    assert registry.client.get(f"/v2/{repo}/tags/list").json()["tags"] == sorted(tags)
    bad = registry.put_manifest(
        repo, pushed.digest, pushed.body, OCI_MANIFEST, params={"tag": ["ok", "-bad"]}
    )
    assert bad.status_code == 400
    assert error_codes(bad) == ["MANIFEST_INVALID"]


def test_missing_manifests(registry: Registry, repo: str) -> None:
    registry.push_image(repo, "present")
    for reference in ("missing-tag", sha256(b"nothing")):
        got = registry.client.get(f"/v2/{repo}/manifests/{reference}")
        assert got.status_code == 404
        assert error_codes(got) == ["MANIFEST_UNKNOWN"]
        head = registry.client.head(f"/v2/{repo}/manifests/{reference}")
        assert head.status_code == 404
        assert head.content == b""
    unknown_repo = registry.client.get(f"/v2/{repo}/never/manifests/latest")
    assert unknown_repo.status_code == 404


def test_malformed_references(registry: Registry, repo: str) -> None:
    for reference, code in [
        ("sha256:baddigeststring", "DIGEST_INVALID"),
        ("-tag", "MANIFEST_INVALID"),
        ("t" * 129, "MANIFEST_INVALID"),
        ("md5:" + "a" * 32, "DIGEST_INVALID"),
    ]:
        got = registry.client.get(f"/v2/{repo}/manifests/{reference}")
        assert got.status_code == 400, reference
        assert error_codes(got) == [code]


def test_docker_manifest_and_list(registry: Registry, repo: str) -> None:
    amd = registry.push_image(repo, media_type=DOCKER_MANIFEST, config_type=DOCKER_CONFIG)
    arm = registry.push_image(repo, media_type=DOCKER_MANIFEST, config_type=DOCKER_CONFIG)
    listing = index_of(
        (DOCKER_MANIFEST, arm.digest, len(arm.body), {"architecture": "arm64", "os": "linux"}),
        (DOCKER_MANIFEST, amd.digest, len(amd.body), {"architecture": "amd64", "os": "linux"}),
        media_type=DOCKER_LIST,
    )
    body = json.dumps(listing).encode()
    assert registry.put_manifest(repo, "multi", body, DOCKER_LIST).status_code == 201
    both = registry.client.get(
        f"/v2/{repo}/manifests/multi", headers={"Accept": f"{DOCKER_MANIFEST}, {DOCKER_LIST}"}
    )
    assert both.content == body
    assert both.headers["content-type"] == DOCKER_LIST
    single = registry.client.get(f"/v2/{repo}/manifests/multi", headers={"Accept": DOCKER_MANIFEST})
    assert single.content == amd.body
    assert single.headers["content-type"] == DOCKER_MANIFEST
    assert single.headers["docker-content-digest"] == amd.digest
    other = registry.client.get(f"/v2/{repo}/manifests/multi", headers={"Accept": "text/plain"})
    assert other.content == body
    assert other.headers["content-type"] == DOCKER_LIST
    by_digest = registry.client.get(
        f"/v2/{repo}/manifests/{sha256(body)}", headers={"Accept": DOCKER_MANIFEST}
    )
    assert by_digest.content == body


def test_oci_index_accept_rule(registry: Registry, repo: str) -> None:
    child = registry.push_image(repo)
    index = index_of((OCI_MANIFEST, child.digest, len(child.body), {"architecture": "arm", "os": "linux"}))
    body = json.dumps(index).encode()
    assert registry.put_manifest(repo, "idx", body, OCI_INDEX).status_code == 201
    for accept in (None, "*/*", "application/*", OCI_INDEX, f"{OCI_MANIFEST}, {OCI_INDEX}"):
        headers = {"Accept": accept} if accept else {}
        got = registry.client.get(f"/v2/{repo}/manifests/idx", headers=headers)
        assert got.content == body, accept
        assert got.headers["content-type"] == OCI_INDEX
    single = registry.client.get(f"/v2/{repo}/manifests/idx", headers={"Accept": OCI_MANIFEST})
    assert single.content == child.body


def test_nested_index_and_empty_index(registry: Registry, repo: str) -> None:
    child = registry.push_image(repo)
    inner = json.dumps(index_of((OCI_MANIFEST, child.digest, len(child.body), None))).encode()
    assert registry.put_manifest(repo, sha256(inner), inner, OCI_INDEX).status_code == 201
    outer = json.dumps(index_of((OCI_INDEX, sha256(inner), len(inner), None))).encode()
    assert registry.put_manifest(repo, "nested", outer, OCI_INDEX).status_code == 201
    empty = json.dumps(index_of()).encode()
    assert registry.put_manifest(repo, "empty", empty, OCI_INDEX).status_code == 201


def test_missing_references_are_manifest_blob_unknown(registry: Registry, repo: str) -> None:
    config = registry.push_blob(repo, b"{}")
    missing = [sha256(b"layer-a"), sha256(b"layer-b")]
    document = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": [{"mediaType": OCI_LAYER, "digest": d, "size": 7} for d in missing],
    }
    response = registry.put_manifest(repo, "broken", document)
    assert response.status_code == 400
    assert error_codes(response) == ["MANIFEST_BLOB_UNKNOWN", "MANIFEST_BLOB_UNKNOWN"]
    assert [e["detail"]["digest"] for e in response.json()["errors"]] == missing
    index = index_of((OCI_MANIFEST, sha256(b"no such manifest"), 10, None))
    child_missing = registry.put_manifest(repo, "idx", index)
    assert error_codes(child_missing) == ["MANIFEST_BLOB_UNKNOWN"]


def test_blob_in_another_repository_does_not_count(registry: Registry, repo: str) -> None:
    pushed = registry.image_manifest(repo)
    response = registry.put_manifest(f"{repo}-elsewhere", "v1", pushed.body, OCI_MANIFEST)
    assert response.status_code == 400
    assert set(error_codes(response)) == {"MANIFEST_BLOB_UNKNOWN"}


def test_descriptor_size_must_match_blob(registry: Registry, repo: str) -> None:
    pushed = registry.image_manifest(repo)
    document = json.loads(pushed.body)
    document["layers"][0]["size"] += 1
    response = registry.put_manifest(repo, "v1", document)
    assert response.status_code == 400
    assert error_codes(response) == ["MANIFEST_INVALID"]


def test_foreign_layers_and_missing_subject_are_accepted(registry: Registry, repo: str) -> None:
    pushed = registry.image_manifest(repo)
    document = json.loads(pushed.body)
    document["layers"].append(
        {
            "mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            "digest": sha256(b"foreign"),
            "size": 7,
            "urls": ["https://example.com/l"],
        }
    )
    document["subject"] = {"mediaType": OCI_MANIFEST, "digest": sha256(b"future subject"), "size": 10}
    response = registry.put_manifest(repo, "foreign", document)
    assert response.status_code == 201, response.text
    assert response.headers["oci-subject"] == sha256(b"future subject")
    docker = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": document["config"],
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                "digest": sha256(b"win"),
                "size": 3,
                "urls": ["https://example.com/w"],
            }
        ],
    }
    assert registry.put_manifest(repo, "docker-foreign", docker).status_code == 201


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", OCI_MANIFEST),
        (json.dumps({"schemaVersion": 1, "mediaType": OCI_MANIFEST}).encode(), OCI_MANIFEST),
        (json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}).encode(), OCI_MANIFEST),
        (
            json.dumps({"schemaVersion": 1, "name": "x", "fsLayers": []}).encode(),
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
        ),
        (
            json.dumps(
                {
                    "schemaVersion": 2,
                    "mediaType": OCI_MANIFEST,
                    "config": {"mediaType": EMPTY, "digest": sha256(b"{}"), "size": 2},
                    "layers": [],
                }
            ).encode(),
            OCI_MANIFEST,
        ),
    ],
)
def test_invalid_manifests(registry: Registry, repo: str, body: bytes, content_type: str) -> None:
    registry.push_blob(repo, b"{}")
    response = registry.put_manifest(repo, "bad", body, content_type)
    assert response.status_code == 400
    assert error_codes(response) == ["MANIFEST_INVALID"]


def test_artifact_with_empty_config(registry: Registry, repo: str) -> None:
    empty = registry.push_blob(repo, b"{}")
    document = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.example",
        "config": {"mediaType": EMPTY, "digest": empty, "size": 2},
        "layers": [{"mediaType": EMPTY, "digest": empty, "size": 2}],
    }
    assert registry.put_manifest(repo, "artifact", document).status_code == 201


def padded_manifest(registry: Registry, repo: str, total: int) -> bytes:
    pushed = registry.image_manifest(repo)
    document = json.loads(pushed.body)
    document["annotations"] = {"pad": ""}
    base = len(json.dumps(document).encode())
    document["annotations"]["pad"] = "x" * (total - base)
    body = json.dumps(document).encode()
    assert len(body) == total
    return body


def test_manifest_size_limit(registry: Registry, repo: str) -> None:
    exact = padded_manifest(registry, repo, 4 * 1024 * 1024)
    response = registry.put_manifest(repo, "big", exact, OCI_MANIFEST)
    assert response.status_code == 201
    assert registry.client.get(f"/v2/{repo}/manifests/big").content == exact
    over = padded_manifest(registry, repo, 4 * 1024 * 1024 + 1)
    too_big = registry.put_manifest(repo, "too-big", over, OCI_MANIFEST)
    assert too_big.status_code == 413
    assert error_codes(too_big) == ["SIZE_INVALID"]


def test_delete_tag_keeps_manifest(registry: Registry, repo: str) -> None:
    pushed = registry.push_image(repo, "a")
    registry.put_manifest(repo, "b", pushed.body, OCI_MANIFEST)
    assert registry.client.delete(f"/v2/{repo}/manifests/a").status_code == 202
    assert registry.client.get(f"/v2/{repo}/manifests/a").status_code == 404
    assert registry.client.get(f"/v2/{repo}/manifests/{pushed.digest}").status_code == 200
    again = registry.client.delete(f"/v2/{repo}/manifests/a")
    assert again.status_code == 404
    assert error_codes(again) == ["MANIFEST_UNKNOWN"]


def test_delete_manifest_removes_its_tags(registry: Registry, repo: str) -> None:
    pushed = registry.push_image(repo, "a")
    other = registry.push_image(repo, "keep")
    registry.put_manifest(repo, "b", pushed.body, OCI_MANIFEST)
    assert registry.client.delete(f"/v2/{repo}/manifests/{pushed.digest}").status_code == 202
    for reference in ("a", "b", pushed.digest):
        assert registry.client.get(f"/v2/{repo}/manifests/{reference}").status_code == 404
    assert registry.client.get(f"/v2/{repo}/manifests/keep").content == other.body
    assert registry.client.get(f"/v2/{repo}/tags/list").json()["tags"] == ["keep"]
    missing = registry.client.delete(f"/v2/{repo}/manifests/{pushed.digest}")
    assert missing.status_code == 404
    assert error_codes(missing) == ["MANIFEST_UNKNOWN"]


def test_if_none_match_answers_304(registry: Registry, repo: str) -> None:
    pushed = registry.push_image(repo, "v1")
    etag = f'"{pushed.digest}"'
    for reference in ("v1", pushed.digest):
        got = registry.client.get(f"/v2/{repo}/manifests/{reference}")
        assert got.headers["etag"] == etag
        cached = registry.client.get(f"/v2/{repo}/manifests/{reference}", headers={"If-None-Match": etag})
        assert cached.status_code == 304
        assert cached.content == b""
        assert cached.headers["docker-content-digest"] == pushed.digest
    stale = registry.client.get(f"/v2/{repo}/manifests/v1", headers={"If-None-Match": f'"{sha256(b"old")}"'})
    assert stale.status_code == 200
    assert stale.content == pushed.body
