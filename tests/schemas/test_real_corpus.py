"""Documents written by real clients (buildah, skopeo) and served by a real registry (distribution 2.8.2).

make_real_corpus.sh and capture_registry_documents.py regenerate corpus/real/.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

import schemas

REAL = Path(__file__).parent / "corpus" / "real"
FILES = sorted(REAL.glob("*/*.json"))


def _load(path: Path) -> Any:
    return json.loads(path.read_bytes())


def _sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_corpus_covers_every_format_the_clients_write() -> None:
    kinds = {path.parent.name for path in FILES}
    assert kinds == {
        "image-manifest",
        "image-index",
        "image-config",
        "docker-manifest",
        "docker-manifest-list",
        "catalog",
        "tags-list",
        "error-envelope",
    }
    producers = {path.name.split("-", 1)[0] for path in FILES}
    assert producers == {"buildah", "skopeo", "distribution"}


def test_distribution_error_envelopes_carry_the_code_their_file_names() -> None:
    envelopes = sorted(REAL.glob("error-envelope/distribution-*.json"))
    codes = set()
    for path in envelopes:
        code = path.stem.removeprefix("distribution-").upper().replace("-", "_")
        assert _load(path)["errors"][0]["code"] == code, path.name
        codes.add(code)
    assert len(codes) >= 8


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def test_real_document_passes_the_must_layer(path: Path) -> None:
    document = _load(path)
    violations = schemas.validate(document, path.parent.name)
    assert violations == [], "\n".join(map(str, violations))
    media_type = document.get("mediaType")
    if media_type is not None:
        assert schemas.name_for_media_type(media_type) == path.parent.name


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def test_real_document_warnings_are_the_known_ones(path: Path) -> None:
    # The only SHOULD gaps of these clients and of distribution: an OCI image layout's index.json carries
    # no mediaType, and its entry for a single image has no platform. Everything else is SHOULD-clean.
    warnings = schemas.validate(_load(path), path.parent.name, level="should")
    found = {(w.path, w.rule) for w in warnings}
    if "-layout-" in path.name and path.name.endswith("-index.json"):
        allowed = {
            ("$", "required at should/image-index.json#/$defs/media-type-present"),
            ("$.manifests[0]", "required at should/defs.json#/$defs/manifest-descriptor/then"),
        }
        assert ("$", "required at should/image-index.json#/$defs/media-type-present") in found
        assert found <= allowed
    else:
        assert found == set(), "\n".join(map(str, warnings))


def test_manifests_reference_the_saved_configs_byte_for_byte() -> None:
    config_digests = {_sha256(path) for path in REAL.glob("image-config/*.json")}
    manifests = [*REAL.glob("image-manifest/*.json"), *REAL.glob("docker-manifest/*.json")]
    assert manifests
    for path in manifests:
        assert _load(path)["config"]["digest"] in config_digests, path.name


def test_lists_and_indexes_reference_saved_manifests_byte_for_byte() -> None:
    manifest_digests = {_sha256(path) for path in REAL.glob("*/*-manifest-*.json")}
    for path in [*REAL.glob("docker-manifest-list/*.json"), *REAL.glob("image-index/*.json")]:
        for entry in _load(path)["manifests"]:
            assert entry["digest"] in manifest_digests, f"{path.name}: {entry['digest']}"
