#!/usr/bin/env bash
# Regenerates tests/schemas/corpus/real/: JSON documents written by real clients (buildah, skopeo) for
# real (tiny) images, built with NO network access.
#
# Two single-file images are built FROM scratch (linux/amd64 and linux/arm64/v8) with a fixed timestamp,
# then written by buildah and skopeo to `dir:` and `oci:` (OCI image layout) destinations in OCI and
# Docker schema 2 formats; a manifest list / image index of both is pushed with `buildah manifest push
# --all`. Every manifest, index, list and config those clients wrote is copied byte for byte into
# corpus/real/<schema name>/<producer>-<what>-<digest prefix>.json (index.json of a layout has no digest
# of its own and keeps the name <producer>-index.json). The images are then pushed to Debian's distribution
# 2.8.2 on loopback and the documents it serves are captured (capture_registry_documents.py): catalog,
# tags lists, a served list and index, and its error envelopes, as corpus/real/<schema>/distribution-*.json.
# Docker-format configs carry the random id of buildah's working container, so their digests (and the
# digests of the Docker manifests and lists that reference them) change on every run.
#
# Usage (as root, needs buildah, skopeo and docker-registry): bash tests/schemas/make_real_corpus.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="$here/corpus/real"
work="$(mktemp -d)"
storage=(--root "$work/storage" --runroot "$work/run" --storage-driver vfs)
trap 'buildah "${storage[@]}" rm --all >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

bah() { buildah "${storage[@]}" "$@"; }

build_image() { # name arch variant file-content
  local ctr
  ctr="$(bah from --name "$1-ctr" scratch)"
  printf '%s\n' "$4" >"$work/$1.txt"
  bah copy -q "$ctr" "$work/$1.txt" "/$1.txt" >/dev/null
  local variant=()
  [ -n "$3" ] && variant=(--variant "$3")
  bah config --os linux --arch "$2" "${variant[@]}" --env GREETING=hello --cmd '["/bin/true"]' \
    --label com.example.corpus=real --port 8080/tcp --workingdir / "$ctr"
  bah commit -q --timestamp 0 --format oci "$ctr" "localhost/$1-oci" >/dev/null
  bah commit -q --timestamp 0 --format docker "$ctr" "localhost/$1-docker" >/dev/null
}

build_image amd64 amd64 "" "hello from the schema corpus"
build_image arm64 arm64 v8 "hello from arm64"

dests="$work/dests"
mkdir -p "$dests"
bah push -q --format oci localhost/amd64-oci "dir:$dests/buildah-dir-oci"
bah push -q --format v2s2 localhost/amd64-docker "dir:$dests/buildah-dir-v2s2"
bah push -q --format oci localhost/amd64-oci "oci:$dests/buildah-layout-oci:latest"

bah manifest create localhost/corpus-list >/dev/null
bah manifest add localhost/corpus-list containers-storage:localhost/amd64-docker:latest >/dev/null
bah manifest add localhost/corpus-list containers-storage:localhost/arm64-docker:latest >/dev/null
bah manifest push -q --all --format v2s2 localhost/corpus-list "dir:$dests/buildah-list-v2s2"
bah manifest push -q --all --format oci localhost/corpus-list "dir:$dests/buildah-list-oci"
bah manifest push -q --all --format oci localhost/corpus-list "oci:$dests/buildah-list-layout:latest"

skopeo copy -q --format v2s2 "oci:$dests/buildah-layout-oci:latest" "dir:$dests/skopeo-dir-v2s2"
skopeo copy -q --format oci "dir:$dests/buildah-dir-v2s2" "oci:$dests/skopeo-layout-oci:latest"
skopeo copy -q --all --format oci "dir:$dests/buildah-list-v2s2" "oci:$dests/skopeo-list-layout:latest"

rm -rf "$out"
mkdir -p "$out"
python3 - "$dests" "$out" <<'PY'
"""Copy every manifest/index/list/config the clients wrote into corpus/real/<schema>/."""
import hashlib
import json
import pathlib
import sys

dests, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
SCHEMA_BY_TYPE = {
    "application/vnd.oci.image.manifest.v1+json": "image-manifest",
    "application/vnd.oci.image.index.v1+json": "image-index",
    "application/vnd.oci.image.config.v1+json": "image-config",
    "application/vnd.docker.distribution.manifest.v2+json": "docker-manifest",
    "application/vnd.docker.distribution.manifest.list.v2+json": "docker-manifest-list",
    "application/vnd.docker.container.image.v1+json": "image-config",
}


def blob(dest: pathlib.Path, digest: str, manifest: bool) -> bytes:
    algorithm, hexpart = digest.split(":", 1)
    for candidate in (dest / "blobs" / algorithm / hexpart, dest / f"{hexpart}.manifest.json", dest / hexpart):
        if candidate.is_file():
            data = candidate.read_bytes()
            if hashlib.new(algorithm, data).hexdigest() != hexpart:
                raise SystemExit(f"{candidate}: content does not match {digest}")
            return data
    if dest.joinpath("manifest.json").is_file() and manifest:
        data = dest.joinpath("manifest.json").read_bytes()
        if hashlib.new(algorithm, data).hexdigest() == hexpart:
            return data
    raise SystemExit(f"{dest}: no blob for {digest}")


def save(schema: str, name: str, data: bytes) -> None:
    target = out / schema / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def walk(dest: pathlib.Path, label: str, data: bytes, schema: str, what: str, digest: str | None) -> None:
    suffix = f"-{digest.split(':', 1)[1][:12]}" if digest else ""
    save(schema, f"{label}-{what}{suffix}.json", data)
    document = json.loads(data)
    if schema in ("image-manifest", "docker-manifest"):
        config = document["config"]
        walk(dest, label, blob(dest, config["digest"], False), "image-config", "config", config["digest"])
    for entry in document.get("manifests", []) if schema in ("image-index", "docker-manifest-list") else []:
        child_schema = SCHEMA_BY_TYPE.get(entry["mediaType"])
        if child_schema is None:
            continue
        walk(dest, label, blob(dest, entry["digest"], True), child_schema, "manifest", entry["digest"])


for dest in sorted(dests.iterdir()):
    label = dest.name
    if (dest / "index.json").is_file():  # OCI image layout
        walk(dest, label, (dest / "index.json").read_bytes(), "image-index", "index", None)
    else:  # dir: transport
        data = (dest / "manifest.json").read_bytes()
        media_type = json.loads(data)["mediaType"]
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        walk(dest, label, data, SCHEMA_BY_TYPE[media_type], "manifest", digest)
PY

# What a real registry serves: distribution 2.8.2's catalog, tags lists, served manifests, error envelopes.
if command -v docker-registry >/dev/null; then
  python3 "$here/capture_registry_documents.py" "$dests" "$out" >/dev/null
else
  echo "docker-registry (distribution) not installed: registry documents not captured" >&2
  exit 1
fi

find "$out" -name '*.json' | sort | sed "s|$here/||"
