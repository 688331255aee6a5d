"""Tests of `conformance.checks.format_cases`: every case builds valid documents, the zstd layer is real zstd,
the helpers find children and `data` fields, and a refusal of never-pushed layers can never fail by itself."""

from __future__ import annotations

import random
import shutil
import subprocess

import pytest

import schemas
from conformance.checks.format_cases import FORMATS, data_fields, descendants, zstd_frame
from conformance.content import image_index, image_manifest
from conformance.ledger.catalog import LEDGER
from conformance.ledger.model import Level, SpecVersion


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_case_builds_documents_valid_against_the_must_schemas(name: str) -> None:
    case = FORMATS[name].build(random.Random(name))
    for manifest in (case.top, *descendants(case.top), *([case.subject] if case.subject else [])):
        assert schemas.validate(manifest.document, manifest.media_type) == [], (name, manifest.media_type)
    assert FORMATS[name].refusal.id in LEDGER


def test_cases_are_deterministic_per_seed() -> None:
    first = [FORMATS[name].build(random.Random(7)).top.digest for name in sorted(FORMATS)]
    again = [FORMATS[name].build(random.Random(7)).top.digest for name in sorted(FORMATS)]
    assert first == again and len(set(first)) == len(first)


def test_a_refusal_of_never_pushed_layers_or_of_a_mere_permission_is_never_a_default_failure() -> None:
    for name, case_format in FORMATS.items():
        case = case_format.build(random.Random(1))
        allowed = [case_format.refusal] if case.never_pushed else []
        allowed += [case_format.as_missing] if case_format.as_missing else []
        for rule in allowed:
            for version in SpecVersion:
                assert rule.level(version) is Level.ADVICE, (name, rule.id)
    assert FORMATS["oci-image"].refusal.level(SpecVersion.V1_1) is Level.FAIL
    assert FORMATS["oci-nested-index"].refusal.level(SpecVersion.V1_1) is Level.WARN


@pytest.mark.skipif(shutil.which("zstd") is None, reason="the zstd program is not installed")
@pytest.mark.parametrize("size", [0, 1, 1000, 128 * 1024, 300_001])
def test_zstd_frame_is_decoded_by_the_zstd_program(size: int) -> None:
    data = random.Random(size).randbytes(size)
    decoded = subprocess.run(["zstd", "-d", "-c"], input=zstd_frame(data), capture_output=True, check=True)
    assert decoded.stdout == data


def test_the_zstd_case_labels_a_zstd_frame_of_a_tar_layer() -> None:
    layer = FORMATS["oci-image-zstd-layers"].build(random.Random(3)).top.document["layers"][0]
    assert layer["mediaType"] == "application/vnd.oci.image.layer.v1.tar+zstd"


def test_data_fields_names_every_descriptor_with_embedded_data() -> None:
    image = image_manifest(5, config_data=True)
    assert data_fields(image.document) == {"$.config"}
    document = {"manifests": [{"digest": "sha256:x", "data": "e30="}, {"digest": "sha256:y"}], "data": "z"}
    assert data_fields(document) == {"$.manifests[0]"}


def test_descendants_lists_every_child_once() -> None:
    child = image_manifest(1)
    inner = image_index([child])
    outer = image_index([inner, child])
    assert {manifest.digest for manifest in descendants(outer)} == {inner.digest, child.digest}
    assert len(descendants(outer)) == 2
