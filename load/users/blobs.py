"""Blob scenarios: monolithic push, chunked push, pull (full and Range).

Sizes come from `--blob-sizes`; repositories from `--repos`. Every pushed blob is new (unique suffix).
The pull scenario first pushes one blob per size of the mix into each repository it uses (once per
process, counted under the `setup` scenario), then pulls them: full GETs (sha256 verified for
`--verify-share` of them) and Range GETs of `--range-size` bytes (compared to the known content).
"""

from __future__ import annotations

from locust import tag, task

from load.content import Blob
from load.users.base import OperationError, RegistryUser
from load.users.runtime import RUNTIME, run_blocking

SETUP = "setup"


class BlobPushMonolithic(RegistryUser):
    """POST + one PUT ?digest= per blob."""

    @tag("blob-push-monolithic", "blob", "push")
    @task
    def push_monolithic(self) -> None:
        """Push one new blob of a size drawn from the mix."""
        with self.operation("push blob (monolithic)"):
            blob = RUNTIME.pool.new_blob(self.settings.size_mix.pick(self.rng), run_blocking=run_blocking)
            self.push_blob_monolithic(self.settings.repository(self.rng), blob)


class BlobPushChunked(RegistryUser):
    """POST + PATCH per `--chunk-size` chunk (Content-Range) + PUT ?digest=."""

    @tag("blob-push-chunked", "blob", "push")
    @task
    def push_chunked(self) -> None:
        """Push one new blob in chunks."""
        with self.operation("push blob (chunked)"):
            blob = RUNTIME.pool.new_blob(self.settings.size_mix.pick(self.rng), run_blocking=run_blocking)
            self.push_blob_chunked(self.settings.repository(self.rng), blob, self.settings.chunk_size)


class BlobPull(RegistryUser):
    """GET blobs seeded at start: full (streamed, sampled sha256 check) and Range."""

    def seeded_blobs(self, repo: str) -> dict[int, Blob]:
        """One blob per size of the mix in `repo`, pushed once per process."""
        key = f"blobs:{self.host}:{repo}:{self.settings.size_mix}"

        def seed() -> dict[int, Blob]:
            blobs = {}
            for size in self.settings.size_mix.sizes:
                blob = RUNTIME.pool.new_blob(size, run_blocking=run_blocking)
                self.push_blob_monolithic(repo, blob, scenario=SETUP)
                blobs[size] = blob
            return blobs

        try:
            return RUNTIME.seeded(key, seed)
        except OperationError:
            RUNTIME.forget_seed(key)
            raise

    @tag("blob-pull", "blob", "pull")
    @task(3)
    def pull_full(self) -> None:
        """Pull one whole blob."""
        with self.operation("pull blob"):
            repo = self.settings.repository(self.rng)
            blob = self.seeded_blobs(repo)[self.settings.size_mix.pick(self.rng)]
            verify = self.rng.random() < self.settings.verify_share
            self.pull_blob(repo, blob.digest, blob.size, verify)

    @tag("blob-pull-range", "blob", "pull", "range")
    @task(1)
    def pull_range_task(self) -> None:
        """Pull `--range-size` bytes from a random offset of one blob."""
        with self.operation("pull blob range"):
            repo = self.settings.repository(self.rng)
            blob = self.seeded_blobs(repo)[self.settings.size_mix.pick(self.rng)]
            if blob.size == 0:
                return
            length = min(self.settings.range_size, blob.size)
            start = self.rng.randrange(0, blob.size - length + 1)
            verify = self.rng.random() < self.settings.verify_share
            self.pull_range(repo, blob, start, length, verify)
