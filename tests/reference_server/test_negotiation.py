"""The Accept rule for manifests (negotiation.py)."""

from __future__ import annotations

from reference_server.negotiation import accepts, child_candidates, parse_accept, wants_single_manifest

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"


def test_parse_accept_handles_lists_parameters_and_q_zero() -> None:
    assert parse_accept(None) is None
    assert parse_accept("  ") is None
    assert parse_accept(f"{OCI_MANIFEST}, {OCI_INDEX};q=0.5, text/html;q=0") == [OCI_MANIFEST, OCI_INDEX]
    assert parse_accept("Application/JSON; charset=utf-8") == ["application/json"]


def test_accepts_with_wildcards() -> None:
    assert accepts(None, OCI_INDEX)
    assert accepts(["*/*"], OCI_INDEX)
    assert accepts(["application/*"], OCI_INDEX)
    assert not accepts(["text/*"], OCI_INDEX)
    assert accepts([OCI_INDEX], OCI_INDEX)


def test_single_manifest_only_when_no_index_type_is_accepted() -> None:
    assert wants_single_manifest([DOCKER_MANIFEST], DOCKER_LIST)
    assert wants_single_manifest([OCI_MANIFEST, "application/json"], OCI_INDEX)
    assert not wants_single_manifest([DOCKER_MANIFEST, DOCKER_LIST], DOCKER_LIST)
    assert not wants_single_manifest([DOCKER_MANIFEST, OCI_INDEX], DOCKER_LIST)
    assert not wants_single_manifest(["*/*"], OCI_INDEX)
    assert not wants_single_manifest(None, OCI_INDEX)
    assert not wants_single_manifest(["text/plain"], OCI_INDEX)
    assert not wants_single_manifest([OCI_MANIFEST], OCI_MANIFEST)


def test_children_prefer_linux_amd64_and_accepted_types() -> None:
    index = {
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": "a", "platform": {"os": "linux", "architecture": "arm64"}},
            {
                "mediaType": DOCKER_MANIFEST,
                "digest": "b",
                "platform": {"os": "linux", "architecture": "amd64"},
            },
            {"mediaType": OCI_MANIFEST, "digest": "c", "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": OCI_INDEX, "digest": "d"},
        ]
    }
    assert [e["digest"] for e in child_candidates(index, [OCI_MANIFEST])] == ["c", "a"]
    assert [e["digest"] for e in child_candidates(index, [DOCKER_MANIFEST])] == ["b"]
