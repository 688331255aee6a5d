"""The users file: htpasswd lines with bcrypt hashes, as ``htpasswd -Bbn USER PASSWORD`` writes them.

Format: one ``user:$2y$...`` (or ``$2a$``/``$2b$``) line per user; blank lines and ``#`` comments are
ignored; any other hash scheme is refused at start (the file is read once per worker, and again when its
modification time changes). Successful checks are remembered in memory under a SHA-256 of
``user:password`` for the life of the process (bcrypt costs milliseconds per check; Basic mode checks every
request), so a password change takes effect as soon as the file changes.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import bcrypt

log = logging.getLogger("reference_server.auth")

BCRYPT_PREFIXES = ("$2y$", "$2a$", "$2b$")


class UsersFileError(ValueError):
    """The users file cannot be used; the message says which line and why (never the hash)."""


def parse_users(text: str, source: str = "users file") -> dict[str, bytes]:
    """Map user name -> bcrypt hash from htpasswd text."""
    users: dict[str, bytes] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, hashed = line.partition(":")
        if not sep or not user:
            raise UsersFileError(f"{source} line {number}: expected 'user:bcrypt-hash'")
        if not hashed.startswith(BCRYPT_PREFIXES):
            raise UsersFileError(
                f"{source} line {number}: user {user!r} has no bcrypt hash (create it with htpasswd -B)"
            )
        users[user] = hashed.encode("ascii", errors="replace")
    return users


class UsersFile:
    """Checks user names and passwords against a users file (re-read when it changes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime: int | None = None
        self._users: dict[str, bytes] = {}
        self._verified: set[bytes] = set()
        self._load()

    def _load(self) -> None:
        try:
            stat = os.stat(self.path)
            if stat.st_mtime_ns == self._mtime:
                return
            users = parse_users(self.path.read_text(encoding="utf-8"), str(self.path))
        except OSError as exc:
            raise UsersFileError(f"cannot read users file {self.path}: {exc.strerror}") from None
        self._users, self._mtime = users, stat.st_mtime_ns
        self._verified = set()

    def __contains__(self, user: str) -> bool:
        return user in self._users

    def check(self, user: str, password: str) -> bool:
        """True when `user` exists and `password` matches its bcrypt hash."""
        try:
            self._load()
        except UsersFileError as exc:  # keep serving with the users read before
            log.warning("users file not reloaded: %s", exc)
        hashed = self._users.get(user)
        if hashed is None:
            return False
        key = hashlib.sha256(f"{user}\0{password}".encode()).digest() + hashed
        if key in self._verified:
            return True
        try:
            ok = bcrypt.checkpw(password.encode("utf-8"), hashed)
        except ValueError:
            return False
        if ok:
            self._verified.add(key)
        return ok
