"""What a check pushed, deleted again at its end when the registry allows it (the `cleanup` fixture).

Deletes run after the check: tags, then manifests, then blobs, newest first, only inside the run's namespace
(a repository outside it is refused as a harness error at registration). Registering the same thing twice
in one check is a no-op. A registry that cannot delete is no failure, and a cleanup DELETE's answer is never
judged: `delete_registered` returns one `CleanupRecord` per registered thing (deleted, or left with the
reason), which the fixture turns into notes of the check and adds to the run's ledger
(`conformance.cleanup_ledger`). A tag whose delete failed is looked up again (HEAD) once its repository's
manifests were deleted: it counts as gone when it no longer resolves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from conformance.cleanup_ledger import CleanupRecord, left_with_manifests_deleted, refusal
from conformance.client import RegistryClient, Transcript, inside_namespaces
from conformance.spec.errors import error_codes_of
from conformance.verdicts import HarnessError

if TYPE_CHECKING:
    from conformance.capabilities import Capabilities
    from conformance.options import RunConfig


class ClientSource(Protocol):
    """Where cleanup gets its own client from (the run's `RegistryTarget`)."""

    def new_client(self, transcript: Transcript | None = None, *, anonymous: bool = False) -> RegistryClient:
        """A client of the registry under test."""


@dataclass
class Cleanup:
    """Things a check pushed, deleted at teardown (tags, then manifests, then blobs) when allowed."""

    namespace: str
    mount_namespace: str | None
    tags: list[tuple[str, str]] = field(default_factory=list)
    manifests: list[tuple[str, str]] = field(default_factory=list)
    blobs: list[tuple[str, str]] = field(default_factory=list)

    def _register(self, into: list[tuple[str, str]], repository: str, reference: str) -> None:
        allowed = [self.namespace] + ([self.mount_namespace] if self.mount_namespace else [])
        if not inside_namespaces(repository, allowed):
            raise HarnessError(f"cleanup of {repository!r} refused: outside the run's namespace {allowed}")
        if (repository, reference) not in into:
            into.append((repository, reference))

    def tag(self, repository: str, tag: str) -> None:
        """Delete `repository:tag` at teardown."""
        self._register(self.tags, repository, tag)

    def manifest(self, repository: str, digest: str) -> None:
        """Delete manifest `digest` of `repository` at teardown."""
        self._register(self.manifests, repository, digest)

    def blob(self, repository: str, digest: str) -> None:
        """Delete blob `digest` of `repository` at teardown."""
        self._register(self.blobs, repository, digest)

    def run(
        self, target: ClientSource, config: RunConfig, capabilities: Capabilities, *, check: str = ""
    ) -> list[CleanupRecord]:
        """Delete everything registered with a client of its own (recorded nowhere); one record per thing."""
        if not (self.tags or self.manifests or self.blobs):
            return []
        with target.new_client(Transcript()) as cleaner:
            return delete_registered(self, cleaner, config, capabilities, check=check)


PLAN = (("tag_delete", "tag"), ("manifest_delete", "manifest"), ("blob_delete", "blob"))


def _not_attempted(
    config: RunConfig, capabilities: Capabilities, feature: str, kind: str
) -> tuple[str, str] | None:
    """`(cause, reason)` when deletes of `kind` are not even tried, else None."""
    if not config.enabled("push"):
        return "read-only", f"the run was read-only ({config.off_reason('push')})"
    if not config.enabled(feature):
        return "switched-off", f"deletes switched off ({config.off_reason(feature)})"
    if capabilities.supported(feature) is False:
        finding = capabilities.get(feature)
        why = finding.reason if finding is not None else "unsupported"
        return "unsupported", f"the registry showed it cannot delete {kind}s ({why})"
    return None


def _delete_one(
    client: RegistryClient, kind: str, repository: str, reference: str, check: str
) -> CleanupRecord:
    try:
        if kind == "blob":
            response = client.blob_delete(repository, reference)
        else:
            response = client.manifest_delete(repository, reference)
    except Exception as exc:  # cleanup must never turn a verdict into an error
        return CleanupRecord(check, kind, repository, reference, False, "transport-error",
                             f"the {kind} DELETE got no answer: {type(exc).__name__}: {exc}")
    status = response.status_code
    if 200 <= status < 300:
        return CleanupRecord(check, kind, repository, reference, True, status=status)
    if status == 404:
        return CleanupRecord(check, kind, repository, reference, True, reason="already gone (404)",
                             status=status)
    codes = error_codes_of(response)
    cause, reason = refusal(kind, status, codes)
    return CleanupRecord(check, kind, repository, reference, False, cause, reason, status,
                         codes[0] if codes else None)


def _tag_still_resolves(client: RegistryClient, repository: str, tag: str) -> bool:
    """HEAD the tag again; anything but a 404 (an error, no answer) counts as still there."""
    try:
        return client.manifest_head(repository, tag).status_code != 404
    except Exception:  # cleanup never raises
        return True


def delete_registered(
    cleanup: Cleanup, client: RegistryClient, config: RunConfig, capabilities: Capabilities, *, check: str
) -> list[CleanupRecord]:
    """Delete what `cleanup` holds (tags, manifests, blobs; newest first) with `client`; never raises."""
    records: dict[str, list[CleanupRecord]] = {}
    items = {"tag": cleanup.tags, "manifest": cleanup.manifests, "blob": cleanup.blobs}
    for feature, kind in PLAN:
        skipped = _not_attempted(config, capabilities, feature, kind)
        records[kind] = [
            CleanupRecord(check, kind, repository, reference, False, *skipped) if skipped is not None
            else _delete_one(client, kind, repository, reference, check)
            for repository, reference in reversed(items[kind])
        ]
    emptied = {record.repository for record in records["manifest"] if record.deleted}
    if emptied and config.enabled("push"):
        records["tag"] = [
            left_with_manifests_deleted(
                record, _tag_still_resolves(client, record.repository, record.reference))
            if not record.deleted and record.repository in emptied else record
            for record in records["tag"]
        ]
    return [record for _, kind in PLAN for record in records[kind]]
