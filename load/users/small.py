"""Small requests at the highest rate one Locust process can send: `BlobHead` (HEAD of one small blob).

A FastHttpUser (geventhttpclient: the least client CPU per request). Each process pushes one 4 KiB blob
once (the `setup` scenario), then every task is one HEAD of it that must answer 200 with the blob's
Content-Length. One HEAD is one operation, so a successful HEAD adds no `OP` row (it would double the
client's cost per request); a wrong Content-Length is a failed `OP blob HEAD` row. `python -m load.bench_rig`
divides these HEADs by the CPU the Locust process used: the rig's small requests per second per core.
"""

from __future__ import annotations

import time

from locust import tag, task

from load.content import Blob
from load.metrics import COUNTERS
from load.users.base import FastRegistryUser, OperationError
from load.users.runtime import RUNTIME, run_blocking

SETUP = "setup"
HEAD_BLOB_SIZE = 4096
HEAD_NAME = "/v2/[repo]/blobs/[digest]"


class BlobHead(FastRegistryUser):
    """HEAD one small seeded blob as fast as the process can."""

    def seeded_blob(self, repo: str) -> Blob:
        """The small blob in `repo`, pushed once per process."""
        key = f"head:{self.host}:{repo}"

        def seed() -> Blob:
            blob = RUNTIME.pool.new_blob(HEAD_BLOB_SIZE, run_blocking=run_blocking)
            self.push_blob_monolithic(repo, blob, scenario=SETUP)
            return blob

        try:
            return RUNTIME.seeded(key, seed)
        except OperationError:
            RUNTIME.forget_seed(key)
            raise

    @tag("blob-head", "small")
    @task
    def head(self) -> None:
        """One HEAD of the small blob; 200 with the right Content-Length, else a failed row."""
        repo = f"{self.settings.repo_prefix}/head"
        started = time.perf_counter()
        try:
            blob = self.seeded_blob(repo)
            response = self.call("HEAD", f"/v2/{repo}/blobs/{blob.digest}", HEAD_NAME, (200,))
        except OperationError:
            return
        if response.headers.get("Content-Length") != str(blob.size):
            COUNTERS.add_error("WRONG_CONTENT_LENGTH")
            length = response.headers.get("Content-Length")
            problem = f"HEAD answered Content-Length {length!r}, not {blob.size}"
            self.row("OP", "blob HEAD", started, OperationError(problem))
            return
        COUNTERS.add_op(self.scenario)
