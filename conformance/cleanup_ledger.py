"""The run-wide cleanup ledger: what each check registered for deletion, what was deleted, what was left, why.

Cleanup is no verdict: a cleanup DELETE's answer is never judged (the delete checks do that), and content
left behind never fails a check. It is never hidden either: every registered tag, manifest and blob
becomes one `CleanupRecord`, and `CleanupLedger.summary(registry_url)` is results.json's `cleanup` block:

    registered, deleted, left   {tag, manifest, blob, total}: counts per kind (registered = deleted + left)
    repositories                [{repository, left: [{kind, reference, check, cause, reason, status,
                                  error_code}]}]: every repository with leftovers, sorted
    hint                        how to remove what was left (registry-specific by URL host), or null

A record that was not deleted carries its `cause` and a human `reason`:

    switched-off     deletes switched off by the user (--no-delete, OCI_API_*_DELETE=false, ...)
    read-only        the run was read-only (--registry-read-only / --no-push)
    unsupported      a delete check had shown the registry cannot delete that kind (capability table)
    refused          the registry answered the DELETE with an error: status and OCI error code
                     (400/405: deletes disabled, 401/403: denied by policy, other: refused)
    transport-error  no complete HTTP answer to the DELETE
    tag-left         the tag's own delete failed (one of the above) though the repository's manifests were
                     deleted, and the tag still resolves
    kept             deliberately not deleted (the referrers probe of an xdist worker on a shared registry)

A 404 to a DELETE counts as deleted ("already gone"); so does a tag whose delete failed but which no longer
resolves once its manifests were deleted. Each pytest-xdist worker keeps its own ledger and sends
`as_payload()` to the controller, which `merge`s them (`conformance.session`). While a check runs, the
ledger of its run is `active_ledger()` (set by `RunState`), for cleanups outside the fixture (property
examples).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlsplit

KINDS = ("tag", "manifest", "blob")
CAUSES = ("switched-off", "read-only", "unsupported", "refused", "transport-error", "tag-left", "kept")

GHCR_HINT = (
    "ghcr.io: delete the package versions in the GitHub UI (package settings), or through the GitHub REST "
    "API: list the versions with GET /user/packages/container/{package_name}/versions (an organization's: "
    "/orgs/{org}/packages/container/{package_name}/versions), then DELETE "
    "/user/packages/container/{package_name}/versions/{package_version_id} (or /orgs/{org}/...); the "
    "package name is the repository path after the owner, URL-encoded; the token needs read:packages and "
    "delete:packages (https://docs.github.com/rest/packages/packages)"
)
DOCKER_HUB_HINT = (
    "Docker Hub: delete the tags, or the whole repository (Settings > Delete repository), in the Docker Hub "
    "web UI or through the Docker Hub API; the registry API does not delete there"
)
DISTRIBUTION_HINT = (
    "enable deletes (for distribution: storage.delete.enabled: true, for the bundled reference server: "
    "start it without --no-delete), delete the references listed here (DELETE /v2/<name>/manifests/<digest>, "
    "DELETE /v2/<name>/blobs/<digest>), then garbage-collect (distribution: registry garbage-collect "
    "<config>; the reference server: python -m reference_server gc --data-dir DIR)"
)
GENERIC_HINT = (
    "delete the references listed here with the registry's own tools (UI, API or retention policy), or "
    "enable deletes through the registry API and re-run; then garbage-collect if the registry needs it"
)
SWITCHED_OFF_HINT = "deletes were switched off for this run; re-run without the switch or delete by hand: "
DOCKER_HUB_HOSTS = frozenset({"docker.io", "registry-1.docker.io", "index.docker.io",
                              "registry.hub.docker.com"})


@dataclass(frozen=True)
class CleanupRecord:
    """One registered thing and what became of it at the end of its check."""

    check: str
    kind: str
    repository: str
    reference: str
    deleted: bool
    cause: str | None = None
    reason: str | None = None
    status: int | None = None
    error_code: str | None = None

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form (worker payload)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CleanupRecord:
        """The record `as_json` produced."""
        return cls(**data)

    def left_json(self) -> dict[str, Any]:
        """The entry of a leftover in results.json's `repositories[].left`."""
        return {"kind": self.kind, "reference": self.reference, "check": self.check, "cause": self.cause,
                "reason": self.reason, "status": self.status, "error_code": self.error_code}


def refusal(kind: str, status: int, codes: list[str]) -> tuple[str, str]:
    """`(cause, reason)` of a DELETE answered with an error status (never 2xx or 404)."""
    code = f" {codes[0]}" if codes else ""
    if status in (400, 405):
        why = "deletes disabled or unsupported"
    elif status in (401, 403):
        why = "denied by the registry's policy"
    else:
        why = "refused"
    return "refused", f"the registry refused the {kind} DELETE: {status}{code} ({why})"


def left_with_manifests_deleted(record: CleanupRecord, still_resolves: bool) -> CleanupRecord:
    """A tag whose delete failed, after its repository's manifests were deleted: gone, or left (tag-left)."""
    if not still_resolves:
        return replace(record, deleted=True, cause=None,
                       reason=f"removed with its manifest (the tag delete was not done: {record.reason})")
    return replace(record, cause="tag-left",
                   reason=f"{record.reason}; the repository's manifests were deleted, the tag still resolves")


def check_notes(records: Iterable[CleanupRecord]) -> list[str]:
    """One note for the check per kind and reason of what it left behind."""
    grouped = Counter((record.kind, record.reason) for record in records if not record.deleted)
    ordered = sorted(grouped.items(), key=lambda item: (KINDS.index(item[0][0]), str(item[0][1])))
    return [f"cleanup: {count} {kind}(s) left in the registry ({reason})"
            for (kind, reason), count in ordered]


def removal_hint(registry_url: str | None, left: list[CleanupRecord]) -> str | None:
    """How to remove what was left, registry-specific where the URL's host is known; None when nothing was."""
    if not left:
        return None
    host = (urlsplit(registry_url).hostname or "") if registry_url else ""
    if host == "ghcr.io":
        hint = GHCR_HINT
    elif host in DOCKER_HUB_HOSTS:
        hint = DOCKER_HUB_HINT
    elif any(record.cause in ("refused", "unsupported", "tag-left") for record in left) \
            or registry_url is None or host in ("127.0.0.1", "localhost", "::1"):
        hint = DISTRIBUTION_HINT
    else:
        hint = GENERIC_HINT
    if all(record.cause in ("switched-off", "read-only") for record in left):
        return SWITCHED_OFF_HINT + hint
    return hint


class CleanupLedger:
    """Every cleanup record of a run (one per process; the xdist controller merges the workers')."""

    def __init__(self) -> None:
        self.records: list[CleanupRecord] = []

    def add(self, records: Iterable[CleanupRecord]) -> None:
        """Record what a check's cleanup did."""
        self.records.extend(records)

    def as_payload(self) -> list[dict[str, Any]]:
        """What an xdist worker sends to the controller."""
        return [record.as_json() for record in self.records]

    def merge(self, payload: Iterable[dict[str, Any]]) -> None:
        """Add a worker's `as_payload()`."""
        self.add(CleanupRecord.from_json(item) for item in payload)

    def left(self) -> list[CleanupRecord]:
        """The records of what was left in the registry."""
        return [record for record in self.records if not record.deleted]

    def summary(self, registry_url: str | None) -> dict[str, Any]:
        """results.json's `cleanup` block (see the module docstring)."""
        left = self.left()
        by_repository: dict[str, list[CleanupRecord]] = {}
        for record in sorted(left, key=lambda r: (r.repository, KINDS.index(r.kind), r.reference, r.check)):
            by_repository.setdefault(record.repository, []).append(record)
        return {
            "registered": _counts(self.records),
            "deleted": _counts(record for record in self.records if record.deleted),
            "left": _counts(left),
            "repositories": [{"repository": name, "left": [record.left_json() for record in records]}
                             for name, records in by_repository.items()],
            "hint": removal_hint(registry_url, left),
        }


def _counts(records: Iterable[CleanupRecord]) -> dict[str, int]:
    counter = Counter(record.kind for record in records)
    counts = {kind: counter.get(kind, 0) for kind in KINDS}
    counts["total"] = sum(counts.values())
    return counts


def terminal_line(block: dict[str, Any] | None) -> str | None:
    """The terminal summary's line about leftovers, or None when nothing was left."""
    if not block or not block["left"]["total"]:
        return None
    return (f"cleanup: {block['left']['total']} left in {len(block['repositories'])} repositories "
            "(see results.json cleanup)")


_active: ContextVar[tuple[CleanupLedger, str] | None] = ContextVar("conformance_cleanup_ledger", default=None)


def active_ledger() -> CleanupLedger | None:
    """The ledger of the run whose check is running now, or None outside a check."""
    active = _active.get()
    return None if active is None else active[0]


def active_check() -> str | None:
    """The node id of the check running now (as the ledger knows it), or None outside a check."""
    active = _active.get()
    return None if active is None else active[1]


@contextmanager
def ledger_active(ledger: CleanupLedger, check: str) -> Iterator[None]:
    """Make `ledger` the active one while the check `check` (a node id) runs."""
    token = _active.set((ledger, check))
    try:
        yield
    finally:
        _active.reset(token)
