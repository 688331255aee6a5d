"""Credentials (OCI_USERNAME/OCI_PASSWORD, docker config.json, Bearer) and a basic-auth run on distribution.

The run without credentials must fail every push and count the registry's `UNAUTHORIZED` error code.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from conformance.registries import start_distribution
from load.auth import authorization, basic_header
from tests.load.locust_runs import OCI_MANIFEST, run_locust
from tests.support.clients import require_tools

HOST = "127.0.0.1:5000"


def test_credential_sources_in_order(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"auths": {
        f"https://{HOST}/v1/": {"auth": base64.b64encode(b"cfg:secret").decode()},
        "other.example": {"username": "x", "password": "y"},
    }}))
    assert authorization(HOST, "tok", str(config), {"OCI_USERNAME": "u"}) == "Bearer tok"
    env = {"OCI_USERNAME": "u", "OCI_PASSWORD": "p"}
    assert authorization(HOST, "", str(config), env) == basic_header("u", "p")
    assert authorization(HOST, "", str(config), {}) == basic_header("cfg", "secret")
    assert authorization(HOST, "", str(tmp_path), {}) == basic_header("cfg", "secret")  # a folder works too
    assert authorization(HOST, "", "", {"DOCKER_CONFIG": str(tmp_path)}) == basic_header("cfg", "secret")
    assert authorization("127.0.0.1:6000", "", str(config), {}) is None
    assert authorization(HOST, "", str(tmp_path / "missing.json"), {}) is None


def test_basic_auth_run_against_distribution(tmp_path: Path) -> None:
    require_tools("docker-registry", "htpasswd")
    htpasswd = tmp_path / "htpasswd"
    line = subprocess.run([shutil.which("htpasswd") or "htpasswd", "-Bbn", "loader", "s3cret"],
                          capture_output=True, text=True, check=True, timeout=30).stdout.strip()
    htpasswd.write_text(line + "\n")
    auth_yaml = f"auth:\n  htpasswd:\n    realm: load-test\n    path: {htpasswd}\n"
    registry = start_distribution(auth_yaml=auth_yaml)
    try:
        args = ("--host", registry.url, "-u", "2", "-r", "2", "-t", "2s", "--blob-sizes", "256KiB:1",
                "BlobPushMonolithic")
        authorized = run_locust(tmp_path, *args, env={"OCI_USERNAME": "loader", "OCI_PASSWORD": "s3cret"},
                                name="with-credentials")
        assert authorized.returncode == 0, authorized.output
        entries = authorized.ledger_entries()
        assert entries and authorized.summary["http"]["failures"] == 0
        with httpx.Client(base_url=registry.url, auth=("loader", "s3cret"), timeout=10.0) as client:
            for entry in entries:
                response = client.head(f"/v2/{entry['repository']}/blobs/{entry['digest']}",
                                       headers={"Accept": OCI_MANIFEST})
                assert response.status_code == 200
                assert int(response.headers["Content-Length"]) == entry["size"]

        anonymous = run_locust(tmp_path, *args, env={"OCI_USERNAME": "", "DOCKER_CONFIG": str(tmp_path)},
                               name="anonymous")
        assert anonymous.returncode == 1, anonymous.output  # Locust's exit code when requests failed
        summary = anonymous.summary
        assert summary["http"]["requests"] == summary["http"]["failures"] > 0
        assert summary["error_codes"] == {"UNAUTHORIZED": summary["http"]["failures"]}
        assert summary["committed"]["bytes"] == 0 and not anonymous.ledger_entries()
    finally:
        registry.stop()


@pytest.mark.parametrize("value", ["", "not-base64!"])
def test_broken_docker_config_entries_are_ignored(tmp_path: Path, value: str) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"auths": {HOST: {"auth": value}}}))
    assert authorization(HOST, "", str(config), {}) is None
