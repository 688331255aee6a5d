"""Referrers API over real HTTP: index body, artifactType rules, filtering, pagination, deletes."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.reference_server.registry_client import (
    OCI_INDEX,
    OCI_MANIFEST,
    Registry,
    error_codes,
    sha256,
)

EMPTY = "application/vnd.oci.empty.v1+json"
LINK_RE = re.compile(r'<([^>]+)>; rel="next"')


def artifact(
    registry: Registry,
    repo: str,
    subject: dict[str, Any],
    artifact_type: str | None,
    annotations: dict[str, str] | None = None,
) -> tuple[str, int]:
    empty = registry.push_blob(repo, b"{}")
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": EMPTY, "digest": empty, "size": 2},
        "layers": [{"mediaType": EMPTY, "digest": empty, "size": 2}],
        "subject": subject,
    }
    if artifact_type:
        document["artifactType"] = artifact_type
    if annotations:
        document["annotations"] = annotations
    body = json.dumps(document).encode()
    response = registry.put_manifest(repo, sha256(body), body, OCI_MANIFEST)
    assert response.status_code == 201, response.text
    assert response.headers["oci-subject"] == subject["digest"]
    return sha256(body), len(body)


def referrers(registry: Registry, repo: str, digest: str, **params: str) -> list[dict[str, Any]]:
    response = registry.client.get(f"/v2/{repo}/referrers/{digest}", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == OCI_INDEX
    document = response.json()
    assert document["schemaVersion"] == 2
    assert document["mediaType"] == OCI_INDEX
    manifests: list[dict[str, Any]] = document["manifests"]
    return manifests


def all_referrers(registry: Registry, repo: str, digest: str) -> list[dict[str, Any]]:
    """Every page, following Link headers (the session server pages by 3)."""
    collected: list[dict[str, Any]] = []
    url: str | None = f"/v2/{repo}/referrers/{digest}"
    while url is not None:
        response = registry.client.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"] == OCI_INDEX
        collected.extend(response.json()["manifests"])
        found = LINK_RE.fullmatch(response.headers.get("link", ""))
        url = found.group(1) if found else None
    return collected


def test_empty_for_unknown_subject_and_repository(registry: Registry, repo: str) -> None:
    assert referrers(registry, repo, sha256(b"nothing")) == []
    assert referrers(registry, "never/pushed", sha256(b"nothing")) == []


def test_malformed_digest(registry: Registry, repo: str) -> None:
    for digest in ("sha256:short", "nope", "sha256:" + "F" * 64):
        response = registry.client.get(f"/v2/{repo}/referrers/{digest}")
        assert response.status_code == 400
        assert error_codes(response) == ["DIGEST_INVALID"]


def test_descriptors_and_filter(registry: Registry, repo: str) -> None:
    subject_image = registry.push_image(repo, "subject")
    subject = {"mediaType": OCI_MANIFEST, "digest": subject_image.digest, "size": len(subject_image.body)}
    sig, sig_size = artifact(registry, repo, subject, "application/vnd.example.sig", {"k": "v"})
    sbom, _ = artifact(registry, repo, subject, "application/vnd.example.sbom")
    image_ref = registry.push_image(repo, extra={"subject": subject})
    index_body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [], "subject": subject})
    assert registry.put_manifest(repo, "idx-ref", index_body.encode(), OCI_INDEX).status_code == 201
    first_page = referrers(registry, repo, subject_image.digest)
    assert len(first_page) == 3
    found = {entry["digest"]: entry for entry in all_referrers(registry, repo, subject_image.digest)}
    assert found[sig] == {
        "mediaType": OCI_MANIFEST,
        "digest": sig,
        "size": sig_size,
        "artifactType": "application/vnd.example.sig",
        "annotations": {"k": "v"},
    }
    assert found[image_ref.digest]["artifactType"] == "application/vnd.oci.image.config.v1+json"
    assert "artifactType" not in found[sha256(index_body.encode())]
    assert found[sha256(index_body.encode())]["mediaType"] == OCI_INDEX
    assert len(found) == 4
    filtered = registry.client.get(
        f"/v2/{repo}/referrers/{subject_image.digest}",
        params={"artifactType": "application/vnd.example.sbom"},
    )
    assert filtered.headers["oci-filters-applied"] == "artifactType"
    assert [e["digest"] for e in filtered.json()["manifests"]] == [sbom]


def test_pagination_and_delete(registry: Registry, repo: str) -> None:
    """The session server runs with --referrers-page-size 3."""
    subject_digest = sha256(b"missing subject")
    subject: dict[str, Any] = {"mediaType": OCI_MANIFEST, "digest": subject_digest, "size": 5}
    made = sorted(artifact(registry, repo, subject, f"application/vnd.t{i}")[0] for i in range(7))
    first = registry.client.get(f"/v2/{repo}/referrers/{subject['digest']}")
    assert [entry["digest"] for entry in first.json()["manifests"]] == made[:3]
    assert LINK_RE.fullmatch(first.headers["link"])
    assert [entry["digest"] for entry in all_referrers(registry, repo, subject_digest)] == made
    assert registry.client.delete(f"/v2/{repo}/manifests/{made[0]}").status_code == 202
    assert [entry["digest"] for entry in all_referrers(registry, repo, subject_digest)] == made[1:]
