"""Manifest validation rules (no HTTP): formats, descriptors, media-type checks, references."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from reference_server.manifest_rules import ManifestInvalidError, inspect

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
EMPTY = "application/vnd.oci.empty.v1+json"
EMPTY_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"


def d(seed: str) -> str:
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def descriptor(media_type: str, seed: str, size: int = 10, **extra: Any) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": d(seed), "size": size, **extra}


def image(**extra: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor("application/vnd.oci.image.config.v1+json", "config"),
        "layers": [descriptor("application/vnd.oci.image.layer.v1.tar+gzip", "layer")],
    }
    document.update(extra)
    return document


def raw(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def reasons(body: bytes, content_type: str | None = OCI_MANIFEST) -> list[str]:
    with pytest.raises(ManifestInvalidError) as excinfo:
        inspect(body, content_type)
    return excinfo.value.reasons


def test_image_manifest_lists_config_and_layers_as_blobs() -> None:
    info = inspect(raw(image()), OCI_MANIFEST)
    assert info.media_type == OCI_MANIFEST
    assert [ref.raw_digest for ref in info.blobs] == [d("config"), d("layer")]
    assert info.children == []
    assert info.artifact_type == "application/vnd.oci.image.config.v1+json"


def test_content_type_parameters_are_ignored() -> None:
    assert inspect(raw(image()), OCI_MANIFEST + "; charset=utf-8").media_type == OCI_MANIFEST
    assert inspect(raw(image()), None).media_type == OCI_MANIFEST


def test_content_type_must_equal_declared_media_type() -> None:
    for content_type in ("application/json", "application/octet-stream", OCI_INDEX):
        assert any("does not match" in reason for reason in reasons(raw(image()), content_type))


def test_artifact_with_empty_config_and_no_layers() -> None:
    document = image(
        artifactType="application/vnd.example+type",
        config={"mediaType": EMPTY, "digest": EMPTY_DIGEST, "size": 2, "data": "e30="},
        layers=[],
    )
    info = inspect(raw(document), OCI_MANIFEST)
    assert info.artifact_type == "application/vnd.example+type"


def test_empty_config_without_artifact_type_is_invalid() -> None:
    document = image(config={"mediaType": EMPTY, "digest": EMPTY_DIGEST, "size": 2})
    assert any("artifactType" in reason for reason in reasons(raw(document)))


def test_index_children_subject_and_annotations() -> None:
    document = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            descriptor(OCI_MANIFEST, "m1", platform={"architecture": "amd64", "os": "linux"}),
            descriptor(OCI_INDEX, "nested"),
        ],
        "subject": descriptor(OCI_MANIFEST, "subject"),
        "annotations": {"a": "b"},
    }
    info = inspect(raw(document), OCI_INDEX)
    assert [ref.raw_digest for ref in info.children] == [d("m1"), d("nested")]
    assert info.subject == d("subject")
    assert info.artifact_type is None
    assert info.annotations == {"a": "b"}


def test_docker_formats() -> None:
    docker = image(
        mediaType=DOCKER_MANIFEST, config=descriptor("application/vnd.docker.container.image.v1+json", "c")
    )
    assert inspect(raw(docker), DOCKER_MANIFEST).media_type == DOCKER_MANIFEST
    entry = descriptor(DOCKER_MANIFEST, "x", platform={"architecture": "amd64", "os": "linux"})
    listing = {"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": [entry]}
    assert inspect(raw(listing), DOCKER_LIST).media_type == DOCKER_LIST


def test_schema_layer_is_consulted() -> None:
    """The JSON Schemas (schemas/) add rules manifest_rules.py does not spell out itself."""
    entry = descriptor(DOCKER_MANIFEST, "x")
    listing = {"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": [entry]}
    assert any("platform" in reason for reason in reasons(raw(listing), DOCKER_LIST))


def test_foreign_layers_with_urls_are_not_required_blobs() -> None:
    foreign = descriptor(
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "f",
        urls=["https://example.com/layer"],
    )
    no_urls = descriptor("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "g")
    info = inspect(raw(image(layers=[foreign, no_urls])), OCI_MANIFEST)
    assert [ref.raw_digest for ref in info.blobs] == [d("config"), d("g")]


def test_media_type_is_inferred_when_absent_everywhere() -> None:
    document = image()
    del document["mediaType"]
    assert inspect(raw(document), None).media_type == OCI_MANIFEST
    assert inspect(raw({"schemaVersion": 2, "manifests": []}), "application/json").media_type == OCI_INDEX


@pytest.mark.parametrize(
    ("body", "content_type", "fragment"),
    [
        (b"{not json", OCI_MANIFEST, "JSON"),
        (b"[]", OCI_MANIFEST, "object"),
        (raw(image(schemaVersion=1)), OCI_MANIFEST, "schemaVersion"),
        (raw(image(schemaVersion="2")), OCI_MANIFEST, "schemaVersion"),
        (raw(image()), OCI_INDEX, "does not match Content-Type"),
        (
            raw(image(mediaType="application/vnd.docker.distribution.manifest.v1+prettyjws")),
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
            "unsupported",
        ),
        (raw(image(mediaType="text/plain")), "text/plain", "unsupported"),
        (
            raw(image(layers=[{"mediaType": "a/b", "digest": "sha256:abc", "size": 1}])),
            OCI_MANIFEST,
            "digest",
        ),
        (
            raw(image(layers=[{"mediaType": "a/b", "digest": "sha256:" + "A" * 64, "size": 1}])),
            OCI_MANIFEST,
            "hexadecimal",
        ),
        (raw(image(layers=[descriptor("a/b", "x", size=-1)])), OCI_MANIFEST, "size"),
        (raw(image(layers=[descriptor("a/b", "x", size=True)])), OCI_MANIFEST, "size"),
        (raw(image(layers=[descriptor("not a type", "x")])), OCI_MANIFEST, "mediaType"),
        (raw(image(layers={})), OCI_MANIFEST, "layers"),
        (raw(image(config=None)), OCI_MANIFEST, "config"),
        (raw({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": {}}), OCI_INDEX, "manifests"),
        (raw(image(annotations={"a": 1})), OCI_MANIFEST, "annotations"),
        (raw(image(subject={"digest": "nope"})), OCI_MANIFEST, "subject"),
        (raw(image(artifactType="no-slash")), OCI_MANIFEST, "artifactType"),
    ],
)
def test_invalid_manifests(body: bytes, content_type: str, fragment: str) -> None:
    found = reasons(body, content_type)
    assert any(fragment in reason for reason in found), found


def test_data_field_must_match_size_and_digest() -> None:
    content = b"layer-bytes"
    good = {
        "mediaType": "a/b",
        "digest": "sha256:" + hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "data": base64.b64encode(content).decode(),
    }
    inspect(raw(image(layers=[good])), OCI_MANIFEST)
    wrong = dict(good, data=base64.b64encode(b"other-bytes").decode())
    assert any("does not match" in r for r in reasons(raw(image(layers=[wrong]))))
    assert any("base64" in r for r in reasons(raw(image(layers=[dict(good, data="***")]))))


def test_every_violation_is_reported() -> None:
    document = image(layers=[descriptor("a/b", "x", size=-1), {"mediaType": "a/b"}], annotations=[])
    assert len(reasons(raw(document))) >= 3
