"""`--chunk-min-length` over real HTTP: the advertised header, the accept/refuse rule across two workers, and
the conformance suite's upload and chunk checks run against such a server.

The rule (handlers/uploads.py): a chunk shorter than the minimum is accepted, since it may be the last one;
after it the session takes no more data (416 ``BLOB_UPLOAD_INVALID`` with the stored ``Range``), only a
closing PUT without a body. Servers here run with ``--workers 2`` and every request goes out on a new
connection, so consecutive requests of one session may be served by different processes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import conformance
from conformance.registries import RegistryProcess, start_reference_server
from tests.reference_server.registry_client import Registry, error_codes, sha256, unique_repo
from tests.support.clients import require_tools, skopeo
from tests.support.oci_layout import build_image, read_oci_layout, write_layout

MIN = 100
REPO_ROOT = Path(conformance.__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def min_server() -> Iterator[RegistryProcess]:
    with start_reference_server(extra_args=["--chunk-min-length", str(MIN), "--workers", "2"]) as process:
        yield process


@pytest.fixture
def client(min_server: RegistryProcess) -> Iterator[httpx.Client]:
    """No keep-alive: each request opens a connection, which either worker process may accept."""
    with httpx.Client(
        base_url=min_server.url, timeout=30.0, limits=httpx.Limits(max_keepalive_connections=0)
    ) as fresh:
        yield fresh


def _open(client: httpx.Client, repo: str, **params: str) -> str:
    response = client.post(f"/v2/{repo}/blobs/uploads/", params=params)
    assert response.status_code == 202, response.text
    assert response.headers["oci-chunk-min-length"] == str(MIN)
    return response.headers["location"]


def _patch(client: httpx.Client, location: str, data: bytes, start: int) -> httpx.Response:
    return client.patch(location, content=data, headers={"Content-Range": f"{start}-{start + len(data) - 1}"})


def _accepted(response: httpx.Response, stored: int) -> str:
    assert response.status_code == 202, response.text
    assert response.headers["range"] == f"0-{stored - 1}"
    return response.headers["location"]


def _refused(response: httpx.Response, location: str, stored: int) -> None:
    assert response.status_code == 416, response.text
    assert response.headers["range"] == f"0-{stored - 1}"
    assert response.headers["location"] == location
    assert error_codes(response) == ["BLOB_UPLOAD_INVALID"]
    assert response.json()["errors"][0]["detail"]["min_length"] == MIN


def test_no_header_and_no_rule_without_the_option(registry: Registry, repo: str) -> None:
    posted = registry.client.post(f"/v2/{repo}/blobs/uploads/")
    assert posted.status_code == 202
    assert "oci-chunk-min-length" not in posted.headers
    location = posted.headers["location"]
    data = os.urandom(30)
    for start in (0, 10, 20):  # three 10-byte chunks: any size goes when no minimum is advertised
        location = _accepted(_patch(registry.client, location, data[start : start + 10], start), start + 10)
    assert registry.client.put(location, params={"digest": sha256(data)}).status_code == 201


def test_every_post_opening_a_session_advertises_the_minimum(client: httpx.Client, repo: str) -> None:
    missing = "sha256:" + hashlib.sha256(os.urandom(16)).hexdigest()
    for params in ({}, {"digest-algorithm": "sha512"}, {"mount": missing, "from": unique_repo()},
                   {"mount": missing}):
        location = _open(client, repo, **params)
        assert client.delete(location).status_code == 204
    single = client.post(f"/v2/{repo}/blobs/uploads/", params={"digest": sha256(b"x")}, content=b"x")
    assert single.status_code == 201
    assert "oci-chunk-min-length" not in single.headers  # no session opened, nothing to advertise


def test_chunks_of_the_minimum_and_a_short_final_patch_complete(client: httpx.Client, repo: str) -> None:
    data = os.urandom(2 * MIN + 50 + 30)
    location = _open(client, repo)
    stored = 0
    for length in (MIN, MIN + 50, 30):  # the minimum, more, then a short final chunk
        patched = _patch(client, location, data[stored : stored + length], stored)
        stored += length
        location = _accepted(patched, stored)
    done = client.put(location, params={"digest": sha256(data)})
    assert done.status_code == 201, done.text
    assert client.get(done.headers["location"]).content == data


def test_short_final_chunk_in_the_closing_put_completes(client: httpx.Client, repo: str) -> None:
    data = os.urandom(2 * MIN + 7)
    location = _open(client, repo)
    for start in (0, MIN):
        location = _accepted(_patch(client, location, data[start : start + MIN], start), start + MIN)
    done = client.put(
        location, params={"digest": sha256(data)}, content=data[2 * MIN :],
        headers={"Content-Range": f"{2 * MIN}-{len(data) - 1}"},
    )
    assert done.status_code == 201, done.text
    assert client.get(done.headers["location"]).content == data


def test_data_after_a_short_chunk_is_416_and_the_session_still_closes(
    client: httpx.Client, min_server: RegistryProcess, repo: str
) -> None:
    data = os.urandom(400)
    location = _open(client, repo)
    location = _accepted(_patch(client, location, data[:150], 0), 150)
    location = _accepted(_patch(client, location, data[150:180], 150), 180)  # short: accepted, may be last
    for _ in range(4):  # new connections: both workers must see the mark the other may have written
        _refused(_patch(client, location, data[180:300], 180), location, 180)
        _refused(_patch(client, location, data[180:181], 180), location, 180)
    _refused(client.patch(location, content=data[180:]), location, 180)  # streamed, no Content-Range
    _refused(
        client.put(location, params={"digest": sha256(data)}, content=data[180:],
                   headers={"Content-Range": f"180-{len(data) - 1}"}),
        location, 180,
    )
    status = client.get(location)
    assert status.status_code == 204
    assert status.headers["range"] == "0-179"
    location = _accepted(client.patch(location, content=b""), 180)  # announces no data: a no-op
    done = client.put(location, params={"digest": sha256(data[:180])})
    assert done.status_code == 201, done.text
    assert client.get(done.headers["location"]).content == data[:180]
    blob = min_server.data_dir / "blobs" / "sha256" / sha256(data[:180])[7:9] / sha256(data[:180])[7:]
    assert blob.stat().st_mode & 0o111 == 0


def test_a_short_first_chunk_blocks_only_its_own_session(client: httpx.Client, repo: str) -> None:
    data = os.urandom(2 * MIN)
    short = _open(client, repo)
    other = _open(client, repo)
    short = _accepted(_patch(client, short, data[:10], 0), 10)
    _refused(_patch(client, short, data[10 : 10 + MIN], 10), short, 10)
    other = _accepted(_patch(client, other, data[:MIN], 0), MIN)
    other = _accepted(_patch(client, other, data[MIN:], MIN), 2 * MIN)
    assert client.put(other, params={"digest": sha256(data)}).status_code == 201
    assert client.delete(short).status_code == 204


def test_skopeo_pushes_and_pulls_through_an_s3_sized_minimum(tmp_path: Path) -> None:
    """A real client (one streamed PATCH per blob, then PUT) is unaffected by a 5 MiB minimum."""
    require_tools("skopeo")
    server = start_reference_server(extra_args=["--workers", "2", "--chunk-min-length", str(5 << 20)])
    repo = unique_repo("minimum")
    try:
        source = write_layout(tmp_path / "src", {"v1": build_image(repo, layer_count=3)})
        skopeo("copy", "--dest-tls-verify=false", f"oci:{source}:v1", f"docker://{server.host}/{repo}:v1")
        back = tmp_path / "back"
        skopeo("copy", "--src-tls-verify=false", f"docker://{server.host}/{repo}:v1", f"oci:{back}:v1")
    finally:
        server.stop()
    sent, received = read_oci_layout(source, "v1"), read_oci_layout(back, "v1")
    assert received.manifest_digest == sent.manifest_digest
    assert received.blobs == sent.blobs


# --- the conformance suite against a server with a minimum -----------------------------------------------
SUITE_MIN = 5000
"""Above every chunk the suite sends unless told a minimum: 1023-byte session plans, 1533-byte halves,
property plans of up to 2048-byte chunks. Each of them must read OCI-Chunk-Min-Length and honour it."""


def test_suite_upload_and_chunk_checks_pass_and_the_minimum_check_runs(tmp_path: Path) -> None:
    """`pytest conformance -k "upload or chunk"` against `--workers 2 --chunk-min-length 5000`.

    Every selected check, the property checks' drawn chunk plans included, must size its chunks to the
    advertised minimum (the server refuses data after a short chunk); the minimum check itself runs.
    """
    server = start_reference_server(extra_args=["--workers", "2", "--chunk-min-length", str(SUITE_MIN)])
    report = tmp_path / "report"
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("OCI_", "REGISTRY_HARNESS_"))}
    try:
        completed = subprocess.run(
            [
                sys.executable, "-m", "pytest", "conformance", "-k", "upload or chunk",
                "--registry-url", server.url, "--registry-report-dir", str(report),
                "-p", "no:cacheprovider", "-q", "-rfEs",
            ],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=400, check=False,
        )
    finally:
        server.stop()
    output = completed.stdout[-6000:] + completed.stderr[-2000:]
    assert completed.returncode == 0, output
    results = json.loads((report / "results.json").read_text())
    outcomes = {check["nodeid"]: check["outcome"] for check in results["checks"]}
    minimum_check = (
        "conformance/suites/test_uploads.py::test_chunks_sized_to_the_advertised_minimum_are_accepted"
    )
    assert outcomes[minimum_check] == "passed", output
    capability = {entry["name"]: entry for entry in results["capabilities"]}["chunk_min_length"]
    assert capability["supported"] is True
    assert capability["reason"] == f"OCI-Chunk-Min-Length: {SUITE_MIN}"
    counts = results["counts"]
    assert counts["failed"] == counts["error"] == counts["warned"] == 0, output
    assert counts["passed"] == counts["total"] >= 40, counts
    for nodeid in ("conformance/suites/test_properties.py::test_any_chunk_plan_yields_the_same_blob",
                   "conformance/suites/test_properties.py::test_any_chunk_at_a_wrong_offset_gets_416"):
        assert outcomes[nodeid] == "passed", output
    assert sum(nodeid.startswith("conformance/suites/test_upload_sessions.py") for nodeid in outcomes) >= 10
