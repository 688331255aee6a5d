"""Credentials for load traffic: a Bearer token, OCI_USERNAME/OCI_PASSWORD, or a docker config.json entry.

Written here rather than imported from `conformance.client`: that package pulls in httpx/httpcore, which
cannot be imported once gevent has monkey-patched `select` inside a Locust process.
Token auth (realm exchange) is a later issue; `RegistryUser.bearer_for_challenge` is its hook.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from pathlib import Path


def basic_header(username: str, password: str) -> str:
    """`Basic base64(user:password)`."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def _host_key(key: str) -> str:
    host = key.strip()
    for prefix in ("https://", "http://"):
        host = host.removeprefix(prefix)
    return host.split("/", 1)[0].lower()


def docker_config_path(setting: str, environ: Mapping[str, str]) -> Path:
    """`setting` (config.json or its folder), else $DOCKER_CONFIG/config.json, else ~/.docker/config.json."""
    chosen = setting or environ.get("DOCKER_CONFIG", "")
    if chosen:
        path = Path(chosen)
        return path if path.suffix == ".json" else path / "config.json"
    return Path.home() / ".docker" / "config.json"


def from_docker_config(host: str, path: Path) -> str | None:
    """The Basic header for `host` (`host:port`) from a docker config `auths` entry, if there is one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    auths = document.get("auths") if isinstance(document, dict) else None
    if not isinstance(auths, dict):
        return None
    for key, entry in auths.items():
        if _host_key(key) != host.lower() or not isinstance(entry, dict):
            continue
        if isinstance(entry.get("auth"), str) and entry["auth"]:
            try:
                user, _, password = base64.b64decode(entry["auth"]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                continue
            return basic_header(user, password)
        if isinstance(entry.get("username"), str):
            return basic_header(entry["username"], str(entry.get("password", "")))
    return None


def authorization(host: str, bearer_token: str = "", docker_config: str = "",
                  environ: Mapping[str, str] | None = None) -> str | None:
    """The `Authorization` value to send to `host` (`host:port`), or None for anonymous access."""
    env = os.environ if environ is None else environ
    if bearer_token:
        return "Bearer " + bearer_token
    if env.get("OCI_USERNAME"):
        return basic_header(env["OCI_USERNAME"], env.get("OCI_PASSWORD", ""))
    return from_docker_config(host, docker_config_path(docker_config, env))
