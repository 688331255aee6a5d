"""Image content of the load scenarios: indexes over platform images, and the platform pick of a pull."""

from __future__ import annotations

import json

import pytest

from conformance.spec import media_types
from load.content import ContentPool
from load.users.image_content import (
    NoMatchingManifestError,
    Platform,
    build_image,
    build_index,
    pick_manifest,
    sha256_digest,
)


@pytest.fixture(scope="module")
def pool() -> ContentPool:
    return ContentPool(1024 * 1024)


def test_index_lists_one_image_per_platform_over_the_same_layers(pool: ContentPool) -> None:
    layers = [pool.new_blob(4096), pool.new_blob(8192)]
    index = build_index(layers, "t")
    document = json.loads(index.manifest)
    assert index.digest == sha256_digest(index.manifest)
    assert document["mediaType"] == media_types.OCI_INDEX
    assert [(e["platform"]["os"], e["platform"]["architecture"]) for e in document["manifests"]] == [
        ("linux", "amd64"), ("linux", "arm64")]
    for entry, (platform, image) in zip(document["manifests"], index.images, strict=True):
        assert entry["digest"] == image.digest and entry["size"] == len(image.manifest)
        manifest = json.loads(image.manifest)
        config = json.loads(image.config)
        assert manifest["config"]["digest"] == image.config_digest == sha256_digest(image.config)
        assert [layer["digest"] for layer in manifest["layers"]] == [blob.digest for blob in layers]
        assert platform.matches(config) and config["rootfs"]["diff_ids"] == [blob.digest for blob in layers]
    assert index.images[0][1].config_digest != index.images[1][1].config_digest


def test_pick_takes_the_first_matching_image_manifest() -> None:
    index = {"manifests": [
        {"mediaType": media_types.OCI_MANIFEST, "digest": "sha256:att", "size": 1,
         "platform": {"os": "unknown", "architecture": "unknown"}},
        {"mediaType": media_types.OCI_INDEX, "digest": "sha256:nested", "size": 1,
         "platform": {"os": "linux", "architecture": "amd64"}},
        {"mediaType": media_types.DOCKER_MANIFEST, "digest": "sha256:v7", "size": 7,
         "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
        {"mediaType": media_types.OCI_MANIFEST, "digest": "sha256:amd", "size": 9,
         "platform": {"os": "linux", "architecture": "amd64"}},
        {"mediaType": media_types.OCI_MANIFEST, "digest": "sha256:amd2", "size": 9,
         "platform": {"os": "linux", "architecture": "amd64"}},
    ]}
    assert pick_manifest(index, Platform.parse("linux/amd64")) == ("sha256:amd", 9, media_types.OCI_MANIFEST)
    assert pick_manifest(index, Platform.parse("linux/arm"))[0] == "sha256:v7"
    assert pick_manifest(index, Platform.parse("linux/arm/v7"))[0] == "sha256:v7"
    listed = r"it lists: unknown/unknown, linux/amd64, linux/arm/v7\)"  # once each, in index order
    with pytest.raises(NoMatchingManifestError, match=rf"linux/arm/v6 .*{listed}"):
        pick_manifest(index, Platform.parse("linux/arm/v6"))
    with pytest.raises(NoMatchingManifestError, match="no `manifests` list"):
        pick_manifest({"layers": []}, Platform.parse("linux/amd64"))


def test_platform_parse_and_config_match(pool: ContentPool) -> None:
    assert str(Platform.parse("linux/arm64/v8")) == "linux/arm64/v8"
    for text in ("amd64", "linux/", "a/b/c/d"):
        with pytest.raises(ValueError, match="not a platform"):
            Platform.parse(text)
    image = build_image([pool.new_blob(100)], "x", Platform.parse("windows/amd64"))
    assert Platform.parse("windows/amd64").matches(json.loads(image.config))
    assert not Platform.parse("linux/amd64").matches(json.loads(image.config))
    assert not Platform.parse("linux/amd64").matches(None)
