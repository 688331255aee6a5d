"""skopeo against the bundled server with auth: push and pull with --creds in basic and token mode; an
anonymous pull of a public repository works (anonymous token), of a private one fails."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.reference_server.auth.auth_servers import AuthServer, running_auth_server
from tests.support.clients import ToolError, require_tools, skopeo
from tests.support.oci_layout import build_image, read_dir_transport, write_layout

NO_TLS = "--tls-verify=false"


@pytest.fixture(scope="module", params=["basic", "token"])
def server(request: pytest.FixtureRequest) -> Iterator[AuthServer]:
    require_tools("skopeo")
    with running_auth_server(request.param) as running:
        yield running


def creds(server: AuthServer, user: str) -> str:
    return f"{user}:{server.passwords[user]}"


def push(server: AuthServer, tmp_path: Path, repo: str) -> bytes:
    image = build_image(f"skopeo-auth-{uuid.uuid4().hex[:8]}", layer_count=2, layer_size=16 * 1024)
    layout = write_layout(tmp_path / "layout", {"v1": image})
    skopeo(
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        creds(server, "alice"),
        f"oci:{layout}:v1",
        f"docker://{server.process.host}/{repo}:v1",
    )
    return image.manifest


def test_push_and_pull_with_creds(server: AuthServer, tmp_path: Path) -> None:
    repo = f"alice/skopeo-{uuid.uuid4().hex[:6]}"
    manifest = push(server, tmp_path, repo)
    pulled = tmp_path / "pulled"
    skopeo(
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        creds(server, "alice"),
        f"docker://{server.process.host}/{repo}:v1",
        f"dir:{pulled}",
    )
    content = read_dir_transport(pulled)
    assert content.manifest == manifest
    # bob may neither read alice's private image nor push into her namespace
    with pytest.raises(ToolError):
        skopeo(
            "inspect", NO_TLS, "--creds", creds(server, "bob"), f"docker://{server.process.host}/{repo}:v1"
        )
    with pytest.raises(ToolError):
        skopeo(
            "copy",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            "--src-creds",
            creds(server, "alice"),
            "--dest-creds",
            creds(server, "bob"),
            f"docker://{server.process.host}/{repo}:v1",
            f"docker://{server.process.host}/{repo}-by-bob:v1",
        )


def test_anonymous_pull_public_works_private_fails(server: AuthServer, tmp_path: Path) -> None:
    repo = f"alice/public-{uuid.uuid4().hex[:6]}"
    manifest = push(server, tmp_path, repo)
    reference = f"docker://{server.process.host}/{repo}:v1"
    with pytest.raises(ToolError):
        skopeo("copy", "--src-tls-verify=false", "--src-no-creds", reference, f"dir:{tmp_path / 'denied'}")
    admin = f"{server.url}/admin/repositories/{repo}/visibility"
    changed = httpx.put(admin, json={"visibility": "public"}, auth=server.auth("alice"))
    assert changed.status_code == 200, changed.text
    pulled = tmp_path / "anonymous"
    skopeo("copy", "--src-tls-verify=false", "--src-no-creds", reference, f"dir:{pulled}")
    assert read_dir_transport(pulled).manifest == manifest
