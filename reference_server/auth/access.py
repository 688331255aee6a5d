"""The access model, like ghcr.io: namespaces belong to users or organisations, repositories are private.

Repositories stay private to their namespace's owners until made public.

- A repository ``OWNER/IMAGE[/MORE...]`` belongs to the namespace ``OWNER`` (its first component). ``OWNER``
  is a user (the user name, lower-cased) or an organisation listed in the access file.
- Owners (the user, or every member of the organisation) get ``pull``, ``push`` and ``delete``. So a user
  may push only under their own namespace or an organisation they belong to; the first push creates the
  repository, private to its owners.
- A public repository adds ``pull`` for everyone, anonymous clients included.
- ``registry:catalog:*`` is granted to every authenticated user (the catalog lists names only).
- The token service grants the intersection of what is asked and what is allowed here.

The access file (``--access-file``, YAML or JSON; optional)::

    organizations:          # organisation -> member user names
      acme: [alice, bob]
    public:                 # repositories public from the start
      - alice/hello-world

Visibility set by owners at run time (``PUT /admin/repositories/<name>/visibility``) is kept in
``DATA_DIR/auth/visibility.json`` (shared by workers, written atomically under a lock) and overrides the
access file's ``public`` list.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from reference_server.auth.scopes import CATALOG, REGISTRY, REPOSITORY, ResourceScope

OWNER_ACTIONS = ("pull", "push", "delete")
VISIBILITIES = ("public", "private")


class AccessFileError(ValueError):
    """The access file is malformed; the message says where."""


def load_access_file(path: Path | None) -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """Organisations (name -> members) and the initially public repositories of an access file."""
    if path is None:
        return {}, frozenset()
    try:
        document: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise AccessFileError(f"cannot read access file {path}: {exc}") from None
    if not isinstance(document, dict) or set(document) - {"organizations", "public"}:
        raise AccessFileError(f"access file {path}: expected a mapping with 'organizations' and/or 'public'")
    raw_orgs = document.get("organizations") or {}
    if not isinstance(raw_orgs, dict) or not all(
        isinstance(members, list) and all(isinstance(member, str) for member in members)
        for members in raw_orgs.values()
    ):
        raise AccessFileError(f"access file {path}: 'organizations' must map names to lists of user names")
    public = document.get("public") or []
    if not isinstance(public, list) or not all(isinstance(name, str) for name in public):
        raise AccessFileError(f"access file {path}: 'public' must be a list of repository names")
    organisations = {str(org).lower(): frozenset(members) for org, members in raw_orgs.items()}
    return organisations, frozenset(public)


class VisibilityStore:
    """Repository visibility chosen by owners, in one JSON file under the data directory."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "visibility.json"
        self._lock_path = directory / "visibility.lock"
        self._mtime: int | None = None
        self._state: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        """`public`, `private`, or None when no owner has chosen."""
        self._refresh()
        return self._state.get(name)

    def set(self, name: str, visibility: str) -> None:
        """Record `visibility` for `name` (read-modify-write under an exclusive lock)."""
        with self._locked():
            self._mtime = None
            self._refresh()
            state = dict(self._state)
            state[name] = visibility
            fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".visibility-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(state, handle, sort_keys=True)
            os.replace(temp, self.path)
            self._state, self._mtime = state, None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self._lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _refresh(self) -> None:
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            self._state, self._mtime = {}, None
            return
        if mtime == self._mtime:
            return
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # a writer is replacing it; keep the last good state
        if isinstance(state, dict):
            self._state = {str(k): str(v) for k, v in state.items() if v in VISIBILITIES}
            self._mtime = mtime


class AccessModel:
    """Decides which actions a user (None = anonymous) has on a resource."""

    def __init__(
        self,
        organisations: dict[str, frozenset[str]],
        initially_public: frozenset[str],
        visibility: VisibilityStore,
    ) -> None:
        self.organisations = organisations
        self.initially_public = initially_public
        self.visibility = visibility

    @staticmethod
    def namespace(name: str) -> str:
        """The namespace (first component) a repository belongs to."""
        return name.split("/", 1)[0]

    def owns(self, user: str | None, name: str) -> bool:
        """True when `user` may write to repository `name` (own namespace or a member organisation)."""
        if user is None:
            return False
        namespace = self.namespace(name)
        return namespace == user.lower() or user in self.organisations.get(namespace, frozenset())

    def is_public(self, name: str) -> bool:
        """True when anyone may pull `name`."""
        chosen = self.visibility.get(name)
        return chosen == "public" if chosen is not None else name in self.initially_public

    def allowed(self, user: str | None, scope: ResourceScope) -> tuple[str, ...]:
        """Every action `user` may perform on the resource of `scope`."""
        if scope.type == REPOSITORY:
            if self.owns(user, scope.name):
                return OWNER_ACTIONS
            return ("pull",) if self.is_public(scope.name) else ()
        if scope.type == REGISTRY and scope.name == CATALOG and user is not None:
            return ("*",)
        return ()

    def grant(self, user: str | None, requested: ResourceScope) -> ResourceScope:
        """The intersection of the requested and the allowed actions (possibly empty)."""
        allowed = self.allowed(user, requested)
        actions = tuple(action for action in requested.actions if action in allowed)
        return ResourceScope(requested.type, requested.name, actions)
