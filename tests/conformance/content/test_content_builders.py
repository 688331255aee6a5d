"""Builders: deterministic bytes, digests recomputed here, dependencies listed, schema-valid output."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import random
import subprocess
import sys
import tarfile
from typing import Any

import pytest

import schemas
from conformance.content import (
    EMPTY_JSON_DIGEST,
    Blob,
    Manifest,
    artifact_manifest,
    docker_manifest,
    docker_manifest_list,
    docker_multi_platform,
    empty_blob,
    empty_json_blob,
    empty_json_descriptor,
    foreign_layer,
    image_index,
    image_manifest,
    index_referrer,
    multi_platform_index,
    nested_index,
    random_blob,
    referrer,
    schema1_manifest,
    tar_layer,
)
from conformance.content.manifests import PADDING_ANNOTATION
from conformance.spec import media_types
from conformance.spec.grammar import is_registered_digest

FOUR_MIB = 4 * 1024 * 1024


def sha(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def all_builders() -> dict[str, Manifest]:
    base = image_manifest(100)
    return {
        "image": image_manifest(1, layers=2),
        "image uncompressed": image_manifest(2, compressed_layers=False),
        "image no layers": image_manifest(3, layers=0),
        "image annotations": image_manifest(4, annotations={"org.opencontainers.image.title": "t"}),
        "image subject": image_manifest(5, subject=base),
        "image data": image_manifest(6, config_data=True),
        "image extra fields": image_manifest(7, extra_fields={"org.example.custom": {"k": [1, 2]}}),
        "image non-distributable": image_manifest(8, non_distributable_layers=2),
        "image sha512": image_manifest(9, layers=2, algorithm="sha512"),
        "image empty config": image_manifest(
            10, empty_config=True, artifact_type="application/vnd.example+type"
        ),
        "image under 4 MiB": image_manifest(11, target_size=FOUR_MIB - 1),
        "image over 4 MiB": image_manifest(12, target_size=FOUR_MIB + 1),
        "index": multi_platform_index(13),
        "index nested": nested_index(14),
        "index empty": image_index([]),
        "index artifactType+subject": index_referrer(base, [image_manifest(15)]),
        "index padded": image_index([base], target_size=10_000),
        "artifact": artifact_manifest(16, blobs=2),
        "artifact no payload": artifact_manifest(17, blobs=0),
        "referrer": referrer(base, 18),
        "docker manifest": docker_manifest(19, layers=2),
        "docker foreign": docker_manifest(20, foreign_layers=1),
        "docker list": docker_multi_platform(21),
    }


BUILDERS = all_builders()


def test_random_content_is_deterministic_per_seed() -> None:
    assert random_blob(5, 100).data == random_blob(5, 100).data
    assert random_blob(5, 100).data != random_blob(6, 100).data
    assert image_manifest(3, layers=2).data == image_manifest(3, layers=2).data
    assert multi_platform_index(4).digest == multi_platform_index(random.Random(4)).digest
    assert docker_multi_platform(1).data == docker_multi_platform(1).data
    assert image_manifest(3).digest != image_manifest(4).digest


def test_blob_digests_are_computed_here() -> None:
    blob = random_blob(1, 4096)
    assert blob.size == 4096 and blob.digest == sha(blob.data)
    assert random_blob(1, 10, algorithm="sha512").digest == sha(random_blob(1, 10).data, "sha512")
    assert empty_blob().digest == sha(b"")
    assert empty_json_blob().digest == EMPTY_JSON_DIGEST == sha(b"{}")
    descriptor = empty_json_descriptor(with_data=True).to_dict()
    assert descriptor == {
        "mediaType": media_types.OCI_EMPTY,
        "digest": EMPTY_JSON_DIGEST,
        "size": 2,
        "data": "e30=",
    }


def test_tar_layers_are_real_gzip_tar_with_correct_diff_id() -> None:
    layer = tar_layer(3, files=2, file_size=100)
    tar = gzip.decompress(layer.data)
    assert layer.diff_id == sha(tar) and layer.digest == sha(layer.data)
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        members = archive.getmembers()
    assert [member.size for member in members] == [100, 100]
    plain = tar_layer(3, compressed=False)
    assert plain.media_type == media_types.OCI_LAYER_TAR and plain.diff_id == plain.digest


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_built_document_describes_itself_correctly(name: str) -> None:
    manifest = BUILDERS[name]
    document = json.loads(manifest.data)
    assert document == manifest.document
    assert manifest.size == len(manifest.data)
    assert manifest.digest == sha(manifest.data, manifest.algorithm)
    assert document.get("mediaType", manifest.media_type) == manifest.media_type
    referenced = _referenced(document)
    pushed = {blob.digest: blob for blob in manifest.blobs_to_push}
    for blob in manifest.blobs_to_push:
        assert blob.digest == sha(
            blob.data, manifest.algorithm if blob.digest.startswith("sha512") else "sha256"
        )
        assert blob.digest in referenced
        assert referenced[blob.digest]["size"] == blob.size
    for child in manifest.children:
        assert referenced[child.digest]["size"] == child.size
        assert referenced[child.digest]["mediaType"] == child.media_type
    unpushed = set(referenced) - set(pushed) - {child.digest for child in manifest.children}
    for digest in unpushed:  # only subjects and layers fetched from urls may be left out
        entry = referenced[digest]
        assert entry.get("urls") or digest == document.get("subject", {}).get("digest"), entry


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_built_document_has_no_must_violation(name: str) -> None:
    manifest = BUILDERS[name]
    violations = schemas.validate(json.loads(manifest.data), manifest.media_type, level="must")
    assert violations == [], [str(v) for v in violations]
    for blob in manifest.all_blobs():
        if blob.media_type in (media_types.OCI_CONFIG, media_types.DOCKER_CONFIG):
            config_violations = schemas.validate(json.loads(blob.data), blob.media_type, level="must")
            assert config_violations == [], [str(v) for v in config_violations]


def _referenced(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for key in ("config", "subject"):
        if isinstance(document.get(key), dict):
            found[document[key]["digest"]] = document[key]
    for key in ("layers", "manifests"):
        for entry in document.get(key, []):
            found[entry["digest"]] = entry
    return found


def test_target_size_lands_exactly_around_the_4_mib_limit() -> None:
    under, over = BUILDERS["image under 4 MiB"], BUILDERS["image over 4 MiB"]
    assert under.size == FOUR_MIB - 1 and over.size == FOUR_MIB + 1
    assert PADDING_ANNOTATION in under.document["annotations"]
    assert image_manifest(1, target_size=FOUR_MIB).size == FOUR_MIB
    with pytest.raises(ValueError, match="below the unpadded size"):
        image_manifest(1, target_size=100)


def test_sha512_is_used_throughout() -> None:
    manifest = BUILDERS["image sha512"]
    assert manifest.digest.startswith("sha512:") and is_registered_digest(manifest.digest)
    digests = [manifest.document["config"]["digest"]] + [
        layer["digest"] for layer in manifest.document["layers"]
    ]
    assert all(d.startswith("sha512:") and len(d) == len("sha512:") + 128 for d in digests)
    config = json.loads(
        next(b for b in manifest.blobs_to_push if b.media_type == media_types.OCI_CONFIG).data
    )
    assert all(diff_id.startswith("sha512:") for diff_id in config["rootfs"]["diff_ids"])


def test_data_field_decodes_to_the_config() -> None:
    manifest = BUILDERS["image data"]
    config = manifest.document["config"]
    assert base64.b64decode(config["data"]) == manifest.blobs_to_push[0].data
    assert sha(base64.b64decode(config["data"])) == config["digest"]


def test_non_distributable_and_foreign_layers_are_never_pushed() -> None:
    manifest = BUILDERS["image non-distributable"]
    layers = manifest.document["layers"]
    foreign = [layer for layer in layers if layer["mediaType"] in media_types.NON_DISTRIBUTABLE_LAYER_TYPES]
    assert len(foreign) == 2 and all(layer["urls"] for layer in foreign)
    assert not {layer["digest"] for layer in foreign} & {blob.digest for blob in manifest.blobs_to_push}
    windows = BUILDERS["docker foreign"]
    first = windows.document["layers"][0]
    assert first["mediaType"] == media_types.DOCKER_FOREIGN_LAYER and first["urls"][0].startswith("https://")
    assert first["digest"] not in {blob.digest for blob in windows.blobs_to_push}
    layer, descriptor = foreign_layer(1)
    assert descriptor.digest == layer.digest and descriptor.urls


def test_artifacts_use_the_empty_config_and_artifact_type() -> None:
    artifact = BUILDERS["artifact"]
    assert artifact.document["config"]["digest"] == EMPTY_JSON_DIGEST
    assert artifact.document["artifactType"] == artifact.artifact_type
    empty = BUILDERS["artifact no payload"]
    assert [layer["digest"] for layer in empty.document["layers"]] == [EMPTY_JSON_DIGEST]
    ref = BUILDERS["referrer"]
    assert ref.document["subject"]["digest"] == image_manifest(100).digest


def test_indexes_list_children_with_platforms() -> None:
    index = BUILDERS["index"]
    platforms = [entry["platform"] for entry in index.document["manifests"]]
    assert {p["os"] for p in platforms} == {"linux", "windows"}
    assert [child.digest for child in index.children] == [e["digest"] for e in index.document["manifests"]]
    nested = BUILDERS["index nested"]
    assert nested.children[0].media_type == media_types.OCI_INDEX
    assert len(nested.all_blobs()) == 4  # two images of config + one layer each
    assert BUILDERS["index empty"].document == {
        "schemaVersion": 2,
        "mediaType": media_types.OCI_INDEX,
        "manifests": [],
    }
    docker_list = docker_manifest_list(
        [docker_manifest(1)], platforms=[{"architecture": "s390x", "os": "linux"}]
    )
    assert docker_list.document["manifests"][0]["platform"]["architecture"] == "s390x"


def test_edited_documents_are_re_serialised_and_re_hashed() -> None:
    manifest = image_manifest(1)
    document = json.loads(manifest.data)
    document["layers"][0]["size"] += 1
    edited = manifest.with_document(document)
    assert json.loads(edited.data)["layers"][0]["size"] == manifest.document["layers"][0]["size"] + 1
    assert edited.digest == sha(edited.data) != manifest.digest
    assert edited.blobs_to_push == manifest.blobs_to_push and manifest.document != document


def test_raw_bytes_override_keeps_dependencies() -> None:
    manifest = image_manifest(1)
    pretty = manifest.with_raw(json.dumps(manifest.document, indent=3).encode())
    assert pretty.digest != manifest.digest and pretty.blobs_to_push == manifest.blobs_to_push
    assert json.loads(pretty.data) == manifest.document


def test_schema1_is_available_for_negative_tests() -> None:
    legacy = schema1_manifest()
    assert legacy.media_type in media_types.SCHEMA1_TYPES and legacy.document["schemaVersion"] == 1
    assert isinstance(Blob(b"x").descriptor().to_dict()["size"], int)


def test_content_and_spec_import_without_httpx() -> None:
    # load/ builds content inside gevent-patched Locust processes, where httpx must not be imported
    code = "import sys, conformance.content, conformance.spec.errors, conformance.spec.grammar; "
    code += "print('httpx' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
