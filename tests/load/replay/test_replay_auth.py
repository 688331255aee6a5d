"""Recorded 401s against a registry with token auth: sent without credentials on purpose, answered 401.

The other requests carry the user's credentials (OCI_USERNAME/OCI_PASSWORD), are challenged, get a token
from the registry's realm and are answered as recorded; the token requests are counted apart.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import bcrypt
import pytest

from conformance.registries import start_reference_server
from load.replay.__main__ import main

USER = "loader"
BLOB, MISSING = "sha256:" + "a" * 64, "sha256:" + "b" * 64
TRACE = "".join(line + "\n" for line in (
    '{"t": 0.0, "method": "GET", "path": "/v2/", "status": 401}',
    '{"t": 0.01, "method": "GET", "path": "/v2/", "status": 200}',
    '{"t": 0.02, "method": "HEAD", "path": "/v2/team/app/manifests/v1", "status": 401}',
    '{"t": 0.03, "method": "HEAD", "path": "/v2/team/app/manifests/v1", "status": 200}',
    '{"t": 0.04, "method": "GET", "path": "/v2/team/app/manifests/v1", "status": 200, "size": 900}',
    f'{{"t": 0.05, "method": "GET", "path": "/v2/team/app/blobs/{BLOB}", "status": 200, "size": 5000}}',
    f'{{"t": 0.06, "method": "GET", "path": "/v2/team/app/blobs/{MISSING}", "status": 404, "size": 157}}',
))


def test_recorded_401s_are_reproduced_where_the_target_has_auth(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    password = secrets.token_urlsafe(12)
    users = tmp_path / "users.htpasswd"
    users.write_text(f"{USER}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(5)).decode()}\n")
    trace = tmp_path / "auth.jsonl"
    trace.write_text(TRACE)
    monkeypatch.setenv("OCI_USERNAME", USER)
    monkeypatch.setenv("OCI_PASSWORD", password)
    out = tmp_path / "replay.json"
    with start_reference_server(extra_args=["--auth", "token", "--users-file", str(users)]) as registry:
        assert main([str(trace), "--registry-url", registry.url, "--namespace", f"{USER}/replay",
                     "--json", str(out), "--run-dir", str(tmp_path / "run"), "--pool-size", "1MiB",
                     "--verify-share", "1"]) == 0
    summary = json.loads(out.read_text())
    requests = summary["requests"]
    assert summary["target"]["auth_required"] is True
    assert requests["not_reproducible"] == {}
    assert requests["by_key"]["GET base 4xx"] == {"recorded": 1, "sent": 1, "answered": 1}
    assert requests["by_key"]["HEAD manifest 4xx"] == {"recorded": 1, "sent": 1, "answered": 1}
    assert requests["mix_reproduced"] and requests["mismatched"] == 0, requests
    assert summary["checks"]["sizes_checked"] == summary["checks"]["sizes_matched"] == 2
    assert summary["seeding"]["token_requests"] >= 1
    assert password not in out.read_text()
