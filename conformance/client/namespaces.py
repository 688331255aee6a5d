"""What "inside the run's namespace" means, and the guard that keeps the client's writes there.

A run writes only under its namespace (`--registry-namespace`, default `conformance/<run id>`) and the mount
namespace (`--registry-mount-namespace`); on a hosted registry everything else belongs to somebody.

- `inside_namespaces(repository, namespaces)` is the one definition: the repository is a namespace itself
  or lies below one (`<ns>/...`), both as written and with its `.` and `..` components resolved (a
  registry that resolves them must not be led out: `<ns>/../x` is outside, `<ns>/a/../x` inside).
  Cleanup (`conformance.cleanup`) uses it for what it deletes, the guard for every write.
- `repository_of(url)` is the repository a distribution API URL names (`/v2/<name>/blobs/...`,
  `/manifests/...`, `/tags/list`, `/referrers/...`), read from the path as sent (dot segments resolved,
  percent-escapes decoded), or None.
- `WriteScope(namespaces).check(method, url, registry)` raises `WriteOutsideNamespace` for a POST, PUT,
  PATCH or DELETE to the registry's origin whose path names a repository outside them, before anything
  is sent. Reads (GET, HEAD) go anywhere: read-only checks read named public images. A write URL that
  names no repository (an opaque upload `Location`, another origin such as a storage redirect) was
  handed out by the registry in answer to a guarded request, so it passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from conformance.client.errors import WriteOutsideNamespace
from conformance.client.urls import same_origin

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REPOSITORY_PATH_RE = re.compile(
    r"/v2/(?P<name>.+)/(?:blobs/uploads/[^?]*|blobs/[^/?]+|manifests/[^/?]+|tags/list|referrers/[^/?]+)(?:\?.*)?$"
)
"""A distribution API path and the repository name in it (names contain slashes: parsed from the right)."""


def _resolved(repository: str) -> str | None:
    """`repository` with `.` and `..` components resolved (None when `..` climbs above the root)."""
    parts: list[str] = []
    for part in repository.split("/"):
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def inside_namespaces(repository: str, namespaces: Iterable[str]) -> bool:
    """Whether `repository` is one of `namespaces` or lies below one, as written and dot segments resolved."""
    resolved = _resolved(repository)
    return resolved is not None and any(
        all(name == namespace or name.startswith(namespace + "/") for name in (repository, resolved))
        for namespace in namespaces
    )


def repository_of(url: str) -> str | None:
    """The repository a registry API URL (or path) names, as the registry will read it; None for others."""
    path = httpx.URL(url).path if "://" in url else httpx.URL("http://x" + url).path
    match = REPOSITORY_PATH_RE.search(path)
    return None if match is None else match["name"]


@dataclass(frozen=True)
class WriteScope:
    """The namespaces a client may write to (see the module docstring)."""

    namespaces: tuple[str, ...]

    @classmethod
    def of(cls, *namespaces: str | None) -> WriteScope:
        """A scope of the namespaces given (None entries left out, slashes at the ends stripped)."""
        return cls(tuple(namespace.strip("/") for namespace in namespaces if namespace))

    def check(self, method: str, url: str, registry: str) -> None:
        """Raise `WriteOutsideNamespace` when `method url` writes to a repository outside the scope."""
        if method.upper() not in WRITE_METHODS or not same_origin(url, registry):
            return
        repository = repository_of(url)
        if repository is not None and not inside_namespaces(repository, self.namespaces):
            raise WriteOutsideNamespace(
                f"{method} {url}: refused by the harness, nothing sent: repository {repository!r} is "
                f"outside the run's namespaces {list(self.namespaces)} (--registry-namespace, "
                "--registry-mount-namespace)"
            )
