"""Credentials and `WWW-Authenticate` challenges (RFC 9110 §11, RFC 6750 §3, Docker token auth).

- `Credentials(username, password)`; `credentials_from_env()` reads `OCI_USERNAME`/`OCI_PASSWORD`;
  `credentials_from_docker_config(host)` reads `~/.docker/config.json` (or `$DOCKER_CONFIG`) `auths`.
- `parse_www_authenticate(value)` splits a header into `Challenge`s: several challenges per header,
  quoted and unquoted parameters, parameter names case-insensitive, token68 credentials.
- Scope strings for the token flow: `repository_scope(name, actions)`, `CATALOG_SCOPE`.

The token exchange itself (realm request, cache, one re-authentication) is in `tokens.py`.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CATALOG_SCOPE = "registry:catalog:*"
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True)
class Credentials:
    """A username and password (or token used as password); the password never appears in repr."""

    username: str
    password: str = field(repr=False)

    def basic_header(self) -> str:
        """The `Authorization` value for HTTP Basic."""
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


def credentials_from_env(environ: Mapping[str, str] | None = None) -> Credentials | None:
    """Credentials from `OCI_USERNAME` and `OCI_PASSWORD`, or None when the username is unset."""
    env = os.environ if environ is None else environ
    username = env.get("OCI_USERNAME")
    if not username:
        return None
    return Credentials(username, env.get("OCI_PASSWORD", ""))


def _normalise_host(key: str) -> str:
    host = key.strip()
    for prefix in ("https://", "http://"):
        if host.startswith(prefix):
            host = host[len(prefix) :]
    return host.split("/", 1)[0].lower()


def credentials_from_docker_config(registry_host: str, path: str | Path | None = None) -> Credentials | None:
    """Credentials for `registry_host` (`host[:port]`) from a Docker `config.json`, as docker finds them.

    `path` defaults to `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. Order: a
    `credHelpers` entry for the host, else the `credsStore` helper, else the `auths` entry (keys
    written as `host`, `https://host` or `https://host/v1/`; base64 `auth` = `user:password`, or
    `username`/`password`). Helpers run as `docker-credential-<name> get` (10 s limit); identity
    tokens (`<token>` user names) are not usable here and give None.
    """
    if path is None:
        directory = os.environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
        path = Path(directory) / "config.json"
    try:
        document = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    wanted = _normalise_host(registry_host)
    helpers = document.get("credHelpers")
    if isinstance(helpers, dict):
        for key, helper in helpers.items():
            if _normalise_host(key) == wanted and isinstance(helper, str):
                return _from_helper(helper, key)
    found_auths = document.get("auths")
    auths: dict[str, Any] = found_auths if isinstance(found_auths, dict) else {}
    store = document.get("credsStore")
    if isinstance(store, str) and store:
        key = next((k for k in auths if _normalise_host(k) == wanted), registry_host)
        found = _from_helper(store, key)
        if found is not None:
            return found
    for key, entry in auths.items():
        if _normalise_host(key) != wanted or not isinstance(entry, dict):
            continue
        encoded = entry.get("auth")
        if isinstance(encoded, str) and encoded:
            try:
                username, _, password = base64.b64decode(encoded).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                continue
            return Credentials(username, password)
        if isinstance(entry.get("username"), str):
            return Credentials(entry["username"], str(entry.get("password", "")))
    return None


def _from_helper(helper: str, server: str) -> Credentials | None:
    """Ask `docker-credential-<helper> get` for `server`; None when it is missing or knows nothing."""
    try:
        result = subprocess.run(
            [f"docker-credential-{helper}", "get"],
            input=server,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    try:
        answer = json.loads(result.stdout)
    except ValueError:
        return None
    username, secret = answer.get("Username"), answer.get("Secret")
    if not isinstance(username, str) or not isinstance(secret, str) or username == "<token>":
        return None
    return Credentials(username, secret)


@dataclass(frozen=True)
class Challenge:
    """One authentication challenge: scheme (lower-cased) and parameters (names lower-cased)."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)
    token68: str | None = None

    @property
    def realm(self) -> str | None:
        """The `realm` parameter."""
        return self.params.get("realm")

    @property
    def service(self) -> str | None:
        """The `service` parameter (Docker token auth)."""
        return self.params.get("service")

    @property
    def scopes(self) -> tuple[str, ...]:
        """Space-separated scopes of the `scope` parameter."""
        return tuple(self.params.get("scope", "").split())

    @property
    def error(self) -> str | None:
        """The RFC 6750 `error` parameter (`invalid_token`, `insufficient_scope`)."""
        return self.params.get("error")


class ChallengeParseError(ValueError):
    """A `WWW-Authenticate` value that does not follow the challenge syntax."""


def parse_www_authenticate(value: str) -> list[Challenge]:
    """Parse a `WWW-Authenticate` value that may hold several comma-separated challenges."""
    challenges: list[Challenge] = []
    scanner = _Scanner(value)
    while True:
        scanner.skip(" \t,")
        if scanner.done:
            return challenges
        scheme = scanner.token()
        if not scheme:
            raise ChallengeParseError(f"expected an auth scheme at offset {scanner.pos} of {value!r}")
        params: dict[str, str] = {}
        token68: str | None = None
        while True:
            scanner.skip(" \t")
            if scanner.done:
                break
            mark = scanner.pos
            name = scanner.token()
            scanner.skip(" \t")
            if name and scanner.peek() == "=" and scanner.peek(1) != "=":
                scanner.pos += 1
                scanner.skip(" \t")
                params.setdefault(
                    name.lower(), scanner.quoted() if scanner.peek() == '"' else scanner.bare_value()
                )
                scanner.skip(" \t")
                if scanner.peek() == ",":
                    scanner.pos += 1
                    continue
                break
            if name and not params and token68 is None and scanner.peek() in ("=", ",", ""):
                token68 = name + scanner.take_while("=")
                continue
            scanner.pos = mark  # a new challenge starts here
            break
        challenges.append(Challenge(scheme.lower(), params, token68))


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    @property
    def done(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def skip(self, characters: str) -> None:
        self.take_while(characters)

    def take_while(self, characters: str) -> str:
        start = self.pos
        while not self.done and self.text[self.pos] in characters:
            self.pos += 1
        return self.text[start : self.pos]

    def token(self) -> str:
        start = self.pos
        while not self.done and self.text[self.pos] in _TOKEN_CHARS | {"/"}:
            self.pos += 1
        return self.text[start : self.pos]

    def bare_value(self) -> str:
        start = self.pos
        while not self.done and self.text[self.pos] not in ", \t":
            self.pos += 1
        return self.text[start : self.pos]

    def quoted(self) -> str:
        self.pos += 1
        chars: list[str] = []
        while not self.done:
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                chars.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            self.pos += 1
            if char == '"':
                return "".join(chars)
            chars.append(char)
        raise ChallengeParseError(f"unterminated quoted string in {self.text!r}")


def repository_scope(name: str, actions: str | tuple[str, ...] = "pull") -> str:
    """`repository:<name>:<actions>` (actions as `pull`, `pull,push`, or a tuple of actions)."""
    joined = actions if isinstance(actions, str) else ",".join(actions)
    return f"repository:{name}:{joined}"


def merge_scopes(*groups: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Union of scope strings, merging actions of the same `type:name` (`pull` + `push` -> `pull,push`)."""
    order: list[str] = []
    actions: dict[str, list[str]] = {}
    for group in groups:
        for scope in group:
            resource, _, action_list = scope.rpartition(":")
            if not resource:
                resource, action_list = scope, ""
            if resource not in actions:
                order.append(resource)
                actions[resource] = []
            for action in action_list.split(","):
                if action and action not in actions[resource]:
                    actions[resource].append(action)
    return tuple(f"{resource}:{','.join(actions[resource])}" for resource in order)
