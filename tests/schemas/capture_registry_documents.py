"""Capture the JSON documents a real registry serves: Debian's distribution 2.8.2 (docker-registry).

Called by make_real_corpus.sh with the directory of client-written images and the corpus/real directory:

    python3 tests/schemas/capture_registry_documents.py <dests> <corpus/real>

It starts distribution on a loopback port (conformance.registries), pushes the images with skopeo, then
saves response bodies byte for byte: the catalog and tags lists (whole and paginated), a manifest list and
an image index as served, and the error envelopes that distribution returns for well-known failures (plus
the 401 envelope of a second instance configured with htpasswd auth).
Each error request is listed in ERROR_REQUESTS together with the code we expect. The script stops if the
registry answers differently, so the corpus only ever holds what the registry really sent.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx

from conformance.registries import start_distribution

ZERO_DIGEST = "sha256:" + "0" * 64
EMPTY_JSON_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
SCHEMA_BY_MEDIA_TYPE = {
    OCI_MANIFEST: "image-manifest",
    "application/vnd.docker.distribution.manifest.v2+json": "docker-manifest",
}

MISSING_LAYER_MANIFEST = (
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
    '"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"'
    + EMPTY_JSON_DIGEST
    + '","size":2},'
    '"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"' + ZERO_DIGEST + '",'
    '"size":1}],"artifactType":"application/vnd.example.test"}'
)

Request = Callable[[httpx.Client], httpx.Response]


def _patch_cancelled_upload(client: httpx.Client) -> httpx.Response:
    """Start an upload session, cancel it, then PATCH it."""
    started = client.post("/v2/corpus/app/blobs/uploads/")
    location = started.headers["Location"]
    cancelled = client.delete(location)
    if cancelled.status_code != 204:
        raise SystemExit(f"cancelling {location}: {cancelled.status_code} {cancelled.text}")
    return client.patch(location, content=b"x", headers={"Content-Type": "application/octet-stream"})


def _put_with_wrong_digest(client: httpx.Client) -> httpx.Response:
    """Start an upload session and close it with content that does not match the digest given."""
    location = client.post("/v2/corpus/app/blobs/uploads/").headers["Location"]
    separator = "&" if "?" in location else "?"
    return client.put(
        f"{location}{separator}digest={ZERO_DIGEST}",
        content=b"not the zero digest",
        headers={"Content-Type": "application/octet-stream"},
    )


# (file stem, expected first error code, request)
ERROR_REQUESTS: list[tuple[str, str, Request]] = [
    ("manifest-unknown", "MANIFEST_UNKNOWN", lambda c: c.get("/v2/corpus/app/manifests/missing")),
    ("blob-unknown", "BLOB_UNKNOWN", lambda c: c.get(f"/v2/corpus/app/blobs/{ZERO_DIGEST}")),
    ("name-unknown", "NAME_UNKNOWN", lambda c: c.get("/v2/corpus/nothing-here/tags/list")),
    (
        "manifest-invalid",
        "MANIFEST_INVALID",
        lambda c: c.put(
            "/v2/corpus/app/manifests/broken", content=b"{", headers={"Content-Type": OCI_MANIFEST}
        ),
    ),
    (
        "manifest-blob-unknown",
        "MANIFEST_BLOB_UNKNOWN",
        lambda c: c.put(
            "/v2/corpus/app/manifests/dangling",
            content=MISSING_LAYER_MANIFEST.encode(),
            headers={"Content-Type": OCI_MANIFEST},
        ),
    ),
    (
        "blob-upload-invalid",
        "BLOB_UPLOAD_INVALID",
        lambda c: c.patch(
            "/v2/corpus/app/blobs/uploads/2b1c3b5e-2a5c-4c55-9d2e-8c4e3b0f8a11",
            content=b"x",
            headers={"Content-Type": "application/octet-stream"},
        ),
    ),
    ("blob-upload-unknown", "BLOB_UPLOAD_UNKNOWN", _patch_cancelled_upload),
    ("digest-invalid", "DIGEST_INVALID", _put_with_wrong_digest),
]


def skopeo_copy(source: str, destination: str, *, all_images: bool = False) -> None:
    """Push an image with skopeo (plain HTTP on loopback)."""
    argv = ["skopeo", "copy", "-q", "--dest-tls-verify=false"]
    if all_images:
        argv.append("--all")
    subprocess.run([*argv, source, destination], check=True, timeout=120)


def save(out: Path, schema: str, name: str, response: httpx.Response) -> None:
    """Write a response body byte for byte under corpus/real/<schema>/distribution-<name>.json."""
    target = out / schema / f"distribution-{name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(response.content)
    print(f"corpus/real/{schema}/{target.name}  ({response.status_code})")


def verified(response: httpx.Response, digest: str) -> httpx.Response:
    """Stop unless the body is exactly the content the digest names (verify, never trust)."""
    algorithm, encoded = digest.split(":", 1)
    if hashlib.new(algorithm, response.content).hexdigest() != encoded:
        raise SystemExit(f"{response.request.url}: body does not match {digest}")
    return response


def save_children(client: httpx.Client, out: Path, served: httpx.Response) -> None:
    """Save the manifests a served list/index names, and their configs, as the registry serves them."""
    for entry in served.json()["manifests"]:
        digest, media_type = entry["digest"], entry["mediaType"]
        schema = SCHEMA_BY_MEDIA_TYPE[media_type]
        response = expect_ok(
            client.get(f"/v2/corpus/multi/manifests/{digest}", headers={"Accept": media_type})
        )
        save(out, schema, f"served-manifest-{digest.split(':', 1)[1][:12]}", verified(response, digest))
        config = response.json()["config"]["digest"]
        blob = expect_ok(client.get(f"/v2/corpus/multi/blobs/{config}"))
        save(out, "image-config", f"served-config-{config.split(':', 1)[1][:12]}", verified(blob, config))


def expect_ok(response: httpx.Response) -> httpx.Response:
    """Stop unless the registry answered 200."""
    if response.status_code != 200:
        raise SystemExit(
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
        )
    return response


def main(dests: Path, out: Path) -> None:
    """Push the images to a fresh distribution and capture its documents."""
    with start_distribution() as registry:
        host = registry.url.removeprefix("http://")
        skopeo_copy(f"oci:{dests}/buildah-layout-oci:latest", f"docker://{host}/corpus/app:oci")
        skopeo_copy(f"dir:{dests}/buildah-dir-v2s2", f"docker://{host}/corpus/app:v2s2")
        skopeo_copy(f"dir:{dests}/buildah-list-v2s2", f"docker://{host}/corpus/multi:list", all_images=True)
        skopeo_copy(
            f"oci:{dests}/buildah-list-layout:latest", f"docker://{host}/corpus/multi:index", all_images=True
        )
        with httpx.Client(base_url=registry.url, timeout=10.0) as client:
            save(out, "catalog", "catalog", expect_ok(client.get("/v2/_catalog")))
            save(out, "catalog", "catalog-page", expect_ok(client.get("/v2/_catalog?n=1")))
            save(out, "tags-list", "tags-list", expect_ok(client.get("/v2/corpus/app/tags/list")))
            save(out, "tags-list", "tags-list-page", expect_ok(client.get("/v2/corpus/app/tags/list?n=1")))
            served_list = client.get("/v2/corpus/multi/manifests/list", headers={"Accept": DOCKER_LIST})
            save(out, "docker-manifest-list", "served-list", expect_ok(served_list))
            save_children(client, out, served_list)
            served_index = client.get("/v2/corpus/multi/manifests/index", headers={"Accept": OCI_INDEX})
            save(out, "image-index", "served-index", expect_ok(served_index))
            save_children(client, out, served_index)
            for name, code, request in ERROR_REQUESTS:
                response = request(client)
                body = response.json() if response.content else {}
                first = (body.get("errors") or [{}])[0].get("code")
                if not 400 <= response.status_code < 500 or first != code:
                    raise SystemExit(f"{name}: expected {code}, got {response.status_code} {response.text!r}")
                save(out, "error-envelope", name, response)
    capture_unauthorized(out)


def capture_unauthorized(out: Path) -> None:
    """Start distribution with htpasswd auth and capture its 401 UNAUTHORIZED envelope."""
    with tempfile.TemporaryDirectory(prefix="corpus-auth-") as workdir:
        htpasswd = Path(workdir) / "htpasswd"
        line = subprocess.run(
            ["htpasswd", "-Bbn", "corpus", "corpus-password"],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
        htpasswd.write_text(line)
        auth_yaml = f"auth:\n  htpasswd:\n    realm: corpus\n    path: {htpasswd}\n"
        with (
            start_distribution(auth_yaml=auth_yaml) as registry,
            httpx.Client(base_url=registry.url, timeout=10.0) as client,
        ):
            response = client.get("/v2/corpus/app/tags/list")
            first = response.json()["errors"][0]["code"]
            if response.status_code != 401 or first != "UNAUTHORIZED":
                raise SystemExit(f"unauthorized: got {response.status_code} {response.text!r}")
            save(out, "error-envelope", "unauthorized", response)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
