"""Servers with auth for the auth tests: users alice (org acme) and bob, random passwords, bcrypt files.

Test modules wrap `running_auth_server` in their own fixtures (a second conftest.py would clash in mypy).
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from conformance.registries import RegistryProcess, start_reference_server


@dataclass
class AuthServer:
    """A running server and the passwords of its users."""

    process: RegistryProcess
    passwords: dict[str, str]
    workdir: Path

    @property
    def url(self) -> str:
        return self.process.url

    def auth(self, user: str) -> tuple[str, str]:
        return user, self.passwords[user]


def write_auth_files(directory: Path, passwords: dict[str, str]) -> tuple[Path, Path]:
    users = directory / "users.htpasswd"
    users.write_text(
        "".join(
            f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(5)).decode()}\n"
            for user, password in passwords.items()
        )
    )
    access = directory / "access.yml"
    access.write_text("organizations:\n  acme: [alice]\npublic:\n  - alice/preset-public\n")
    return users, access


def start_auth_server(mode: str, *extra: str) -> AuthServer:
    workdir = Path(tempfile.mkdtemp(prefix="auth-test-"))
    passwords = {"alice": secrets.token_urlsafe(10), "bob": secrets.token_urlsafe(10)}
    users, access = write_auth_files(workdir, passwords)
    process = start_reference_server(
        extra_args=["--auth", mode, "--users-file", str(users), "--access-file", str(access), *extra]
    )
    return AuthServer(process, passwords, workdir)


@contextmanager
def running_auth_server(mode: str, *extra: str) -> Iterator[AuthServer]:
    server = start_auth_server(mode, *extra)
    try:
        yield server
    finally:
        server.process.stop()
