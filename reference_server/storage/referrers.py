"""Referrers index: per subject digest, the descriptors of the repository's manifests that name it."""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

from reference_server.grammar import Digest, RepositoryName
from reference_server.storage.layout import Layout


class ReferrerStore:
    """One small JSON descriptor file per (subject, referrer) pair; listing is sorted by referrer digest."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    def add(
        self, name: RepositoryName, subject: Digest, referrer: Digest, descriptor: dict[str, Any]
    ) -> None:
        """Record that manifest `referrer` (described by `descriptor`) has `subject`."""
        self.layout.write_atomic(
            self.layout.referrer(name, subject, referrer), json.dumps(descriptor).encode()
        )

    def remove(self, name: RepositoryName, subject: Digest, referrer: Digest) -> None:
        """Forget `referrer` (its manifest was deleted)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.layout.referrer(name, subject, referrer))

    def list(self, name: RepositoryName, subject: Digest) -> list[dict[str, Any]]:
        """Descriptors of all referrers of `subject` in `name`, ordered by digest."""
        directory = self.layout.referrers_dir(name, subject)
        try:
            entries = sorted(os.listdir(directory))
        except FileNotFoundError:
            return []
        descriptors: list[dict[str, Any]] = []
        for entry in entries:
            with (
                contextlib.suppress(FileNotFoundError, ValueError),
                open(f"{directory}/{entry}", "rb") as handle,
            ):
                descriptors.append(json.loads(handle.read()))
        descriptors.sort(key=lambda descriptor: str(descriptor.get("digest", "")))
        return descriptors
