"""Docker token-auth scopes: parsing ``type:name:actions`` and the scope a registry request needs.

Grammar (distribution ``docs/spec/auth/scope.md``):
``resourcescope := type ":" name ":" action ("," action)*``;
``type`` is ``[a-z0-9]+`` with an optional deprecated ``(class)`` suffix, which is dropped here; ``name`` may
carry one ``host:port/`` prefix, so the type ends at the first ``:`` and the actions start after the last.
Known scopes: ``repository:<name>:pull,push,delete`` and ``registry:catalog:*``.

`needed_scope` maps a request (a `routes.Match` and the method) to the one resource scope it needs:

    /v2/                       nothing (any authenticated identity, anonymous tokens included)
    /v2/_catalog               registry:catalog:*
    GET/HEAD manifest, blob, tags, referrers      repository:<name>:pull
    PUT manifest, POST uploads, any upload-session request   repository:<name>:pull,push
    DELETE manifest or blob    repository:<name>:delete
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reference_server.routes import Match, Route

REPOSITORY = "repository"
REGISTRY = "registry"
CATALOG = "catalog"
ACTIONS = ("pull", "push", "delete")
_TYPE_RE = re.compile(r"([a-z0-9]+)(?:\([a-z0-9]+\))?")
_ACTION_RE = re.compile(r"[a-z]*|\*")


@dataclass(frozen=True)
class ResourceScope:
    """One resource and the actions asked for (or granted) on it."""

    type: str
    name: str
    actions: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.type}:{self.name}:{','.join(self.actions)}"

    def claim(self) -> dict[str, object]:
        """The JWT ``access`` entry for this scope."""
        return {"type": self.type, "name": self.name, "actions": list(self.actions)}


def parse_scope(text: str) -> ResourceScope | None:
    """Parse one resource scope; None when it does not follow the grammar."""
    kind, sep, rest = text.partition(":")
    name, sep2, action_list = rest.rpartition(":")
    type_match = _TYPE_RE.fullmatch(kind)
    if not sep or not sep2 or not name or type_match is None:
        return None
    actions: list[str] = []
    for action in action_list.split(","):
        if not _ACTION_RE.fullmatch(action):
            return None
        if action and action not in actions:
            actions.append(action)
    return ResourceScope(type_match.group(1), name, tuple(actions))


def parse_scopes(values: list[str]) -> list[ResourceScope]:
    """Every well-formed scope of `values` (each may hold several, space-separated); others dropped."""
    found: list[ResourceScope] = []
    for value in values:
        for part in value.split():
            scope = parse_scope(part)
            if scope is not None:
                found.append(scope)
    return found


_PULL: tuple[str, ...] = ("pull",)
_PUSH: tuple[str, ...] = ("pull", "push")
_DELETE: tuple[str, ...] = ("delete",)


def needed_scope(route: Match, method: str) -> ResourceScope | None:
    """The scope a request needs; None for `/v2/` (authentication alone suffices)."""
    if route.route is Route.BASE:
        return None
    if route.route is Route.CATALOG:
        return ResourceScope(REGISTRY, CATALOG, ("*",))
    if route.route in (Route.UPLOADS, Route.UPLOAD):
        actions = _PUSH
    elif method in ("GET", "HEAD"):
        actions = _PULL
    elif method == "DELETE":
        actions = _DELETE
    else:
        actions = _PUSH
    return ResourceScope(REPOSITORY, route.name, actions)
