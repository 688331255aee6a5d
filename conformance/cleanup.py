"""What a check pushed, deleted again at its end when the registry allows it (the `cleanup` fixture).

Deletes run after the check: tags, then manifests, then blobs, newest first, only inside the run's namespace
(a repository outside it is refused as a harness error at registration). A registry that cannot delete is
no failure: what was left behind becomes a note on the check and one note per kind for the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from conformance.client import RegistryClient, Transcript
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

    def _check_inside(self, repository: str) -> None:
        allowed = [self.namespace] + ([self.mount_namespace] if self.mount_namespace else [])
        if not any(repository == ns or repository.startswith(ns + "/") for ns in allowed):
            raise HarnessError(f"cleanup of {repository!r} refused: outside the run's namespace {allowed}")

    def tag(self, repository: str, tag: str) -> None:
        """Delete `repository:tag` at teardown."""
        self._check_inside(repository)
        self.tags.append((repository, tag))

    def manifest(self, repository: str, digest: str) -> None:
        """Delete manifest `digest` of `repository` at teardown."""
        self._check_inside(repository)
        self.manifests.append((repository, digest))

    def blob(self, repository: str, digest: str) -> None:
        """Delete blob `digest` of `repository` at teardown."""
        self._check_inside(repository)
        self.blobs.append((repository, digest))

    def run(
        self, target: ClientSource, config: RunConfig, capabilities: Capabilities
    ) -> list[tuple[str, str]]:
        """Delete everything registered (tags, manifests, blobs; newest first).

        Returns `(note, run_note)` pairs for what was left behind: the note goes to the check, the
        run note (one per kind of problem) to the run's report.
        """
        problems: list[tuple[str, str]] = []
        if not config.enabled("push"):
            return problems
        plan = [
            ("tag_delete", "tag", list(reversed(self.tags))),
            ("manifest_delete", "manifest", list(reversed(self.manifests))),
            ("blob_delete", "blob", list(reversed(self.blobs))),
        ]
        with target.new_client(Transcript()) as cleaner:
            for feature, kind, items in plan:
                if not items:
                    continue
                if not config.enabled(feature) or capabilities.supported(feature) is False:
                    why = config.off_reason(feature) if not config.enabled(feature) else "unsupported"
                    problems.append((
                        f"cleanup skipped: {len(items)} {kind}(s) left in the registry ({why})",
                        f"cleanup: {kind} deletes off ({why}); content was left in the registry",
                    ))
                    continue
                for repository, reference in items:
                    try:
                        if kind == "blob":
                            response = cleaner.blob_delete(repository, reference)
                        else:
                            response = cleaner.manifest_delete(repository, reference)
                    except Exception as exc:  # cleanup must never turn a verdict into an error
                        problems.append((
                            f"cleanup: DELETE of {kind} {repository}@{reference} failed: {exc}",
                            f"cleanup: some {kind} deletes failed; content was left in the registry",
                        ))
                        continue
                    if response.status_code not in (202, 404):
                        problems.append((
                            f"cleanup: DELETE of {kind} {repository}@{reference} answered "
                            f"{response.status_code}: registry cannot delete",
                            f"cleanup: the registry cannot delete {kind}s (DELETE answered "
                            f"{response.status_code}); content was left in the registry",
                        ))
        return problems
