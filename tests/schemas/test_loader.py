"""Tests of the schemas loader: catalogue, media-type lookup, violations, caching, threads."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import schemas
from schemas import catalog
from schemas.dialect import compile_pattern, ecma_to_python

SHA256_EMPTY = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"


def _manifest(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": SHA256_EMPTY,
            "size": 2,
        },
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": SHA256_EMPTY, "size": 2}
        ],
    }
    document.update(overrides)
    return document


def test_names_lists_every_document_schema() -> None:
    assert schemas.names() == [
        "descriptor",
        "image-manifest",
        "image-index",
        "image-config",
        "docker-manifest",
        "docker-manifest-list",
        "error-envelope",
        "tags-list",
        "catalog",
        "referrers",
        "results",
    ]


@pytest.mark.parametrize(
    ("media_type", "name"),
    [
        ("application/vnd.oci.image.manifest.v1+json", "image-manifest"),
        ("application/vnd.oci.image.index.v1+json", "image-index"),
        ("application/vnd.oci.image.config.v1+json", "image-config"),
        ("application/vnd.docker.container.image.v1+json", "image-config"),
        ("application/vnd.docker.distribution.manifest.v2+json", "docker-manifest"),
        ("application/vnd.docker.distribution.manifest.list.v2+json", "docker-manifest-list"),
        ("application/vnd.oci.descriptor.v1+json", "descriptor"),
        ("Application/VND.OCI.Image.Manifest.v1+JSON; charset=utf-8", "image-manifest"),
        ("application/octet-stream", None),
        ("application/vnd.oci.image.layer.v1.tar+gzip", None),
    ],
)
def test_name_for_media_type(media_type: str, name: str | None) -> None:
    assert schemas.name_for_media_type(media_type) == name


def test_validate_accepts_a_media_type_or_a_name() -> None:
    bad = _manifest(schemaVersion=1)
    by_name = schemas.validate(bad, "image-manifest")
    by_type = schemas.validate(bad, "application/vnd.oci.image.manifest.v1+json")
    assert by_name == by_type
    assert [v.path for v in by_name] == ["$.schemaVersion"]


def test_unknown_schema_and_level_are_refused() -> None:
    with pytest.raises(schemas.UnknownSchemaError):
        schemas.validate({}, "no-such-schema")
    with pytest.raises(schemas.UnknownSchemaError):
        schemas.validate({}, "application/octet-stream")
    with pytest.raises(ValueError, match="level"):
        schemas.validate({}, "image-manifest", level="may")  # type: ignore[arg-type]


def test_violation_names_path_rule_and_message() -> None:
    layer = {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + "A" * 64, "size": 1}
    [violation] = schemas.validate(_manifest(layers=[layer]), "image-manifest")
    assert violation.path == "$.layers[0].digest"
    assert violation.rule == "pattern at must/defs.json#/$defs/sha256-digest"
    assert "64 lower-case hex" in violation.message
    assert str(violation) == f"{violation.path}: {violation.message} ({violation.rule})"


def test_paths_quote_keys_that_are_not_identifiers() -> None:
    platform = {"architecture": "amd64", "os": "linux", "os.version": 10}
    entry = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": SHA256_EMPTY, "size": 2}
    index = {"schemaVersion": 2, "manifests": [{**entry, "platform": platform}]}
    [violation] = schemas.validate(index, "image-index")
    assert violation.path == '$.manifests[0].platform["os.version"]'


def test_check_raises_with_every_violation_listed() -> None:
    bad = _manifest(schemaVersion="2", config={"mediaType": "x"})
    with pytest.raises(schemas.SchemaError) as raised:
        schemas.check(bad, "image-manifest")
    error = raised.value
    paths = {v.path for v in error.violations}
    assert paths == {"$.schemaVersion", "$.config", "$.config.mediaType"}
    text = str(error)
    assert text.splitlines()[0] == "document violates the MUST layer of schema 'image-manifest':"
    assert len(text.splitlines()) == 1 + len(error.violations)
    assert error.schema == "image-manifest"
    assert error.level == "must"
    schemas.check(_manifest(), "image-manifest")
    schemas.check(_manifest(layers=[]), "image-manifest")
    with pytest.raises(schemas.SchemaError, match="SHOULD layer"):
        schemas.check(_manifest(layers=[]), "image-manifest", level="should")


def test_should_layer_is_separate_from_must_layer() -> None:
    document = _manifest(layers=[])
    assert schemas.validate(document, "image-manifest") == []
    [warning] = schemas.validate(document, "image-manifest", level="should")
    assert warning.path == "$.layers"
    assert warning.rule.startswith("minItems at should/")


def test_schema_without_should_layer_has_no_warnings() -> None:
    assert schemas.schema_json("tags-list", "should") is None
    assert schemas.validate({"name": "a", "tags": []}, "tags-list", level="should") == []


def test_validators_are_compiled_once() -> None:
    first = schemas.validator_for("image-manifest")
    assert first is not None
    assert schemas.validator_for("application/vnd.oci.image.manifest.v1+json") is first
    assert schemas.validator_for("image-manifest", "should") is not first


def test_concurrent_validation_gives_the_same_answers() -> None:
    good = _manifest()
    bad = _manifest(layers=[{"mediaType": "a", "digest": "sha256:x", "size": -1}])
    expected_bad = schemas.validate(bad, "image-manifest")
    failures: list[str] = []

    def worker() -> None:
        for _ in range(50):
            if schemas.validate(good, "image-manifest") != []:
                failures.append("good")
            if schemas.validate(bad, "image-manifest") != expected_bad:
                failures.append("bad")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert [v.path for v in expected_bad] == [
        "$.layers[0].digest",
        "$.layers[0].mediaType",
        "$.layers[0].size",
    ]


@pytest.mark.parametrize(
    ("pattern", "translated"),
    [
        ("^a$", r"^a\Z"),
        (r"^a\$$", r"^a\$\Z"),
        ("^[$a]$", r"^[$a]\Z"),
        ("^[]$]x$", r"^[]$]x\Z"),
        ("^[^]$]$", r"^[^]$]\Z"),
    ],
)
def test_ecma_end_anchor_translation(pattern: str, translated: str) -> None:
    assert ecma_to_python(pattern) == translated


def test_trailing_newline_does_not_pass_an_anchored_pattern() -> None:
    assert compile_pattern("^sha256:[a-f0-9]{64}$").search(SHA256_EMPTY + "\n") is None
    violations = schemas.validate({"name": "repo\n", "tags": []}, "tags-list")
    assert [v.path for v in violations] == ["$.name"]


def test_catalogue_files_exist_for_every_entry() -> None:
    loaded = schemas.loader.loaded_schemas()
    for entry in catalog.ENTRIES:
        assert catalog.schema_uri("must", entry.file) in loaded
