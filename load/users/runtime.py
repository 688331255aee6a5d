"""Per-process state the scenarios share: validated settings, the content pool, seeded data, the ledger.

`RUNTIME.configure(options)` runs at test start in every process (on workers the master's options have
arrived by then). The content pool is built on first use. `run_blocking` moves CPU-heavy work (hashing
large spans) into gevent's real-thread pool so the event loop (and the worker heartbeat) never stalls.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import gevent
import gevent.lock

from load.content import ContentPool
from load.options import LoadSettings, settings_from

T = TypeVar("T")


def run_blocking(fn: Callable[[], T]) -> T:
    """Run `fn` in a real OS thread and wait for it without blocking other greenlets."""
    result: T = gevent.get_hub().threadpool.apply(fn)
    return result


class Runtime:
    """Settings, pool, seeded-data registry and ledger of this process."""

    def __init__(self) -> None:
        self._settings: LoadSettings | None = None
        self._pool: ContentPool | None = None
        self._seeds: dict[str, Any] = {}
        self._seed_locks: dict[str, gevent.lock.Semaphore] = {}
        self._ledger_lock = threading.Lock()

    def configure(self, options: Any) -> LoadSettings:
        """(Re)read settings from Locust's parsed options; keeps the pool if its size did not change."""
        settings = settings_from(options)
        if self._pool is not None and self._pool.size != settings.pool_size:
            self._pool = None
        if self._settings is not None and self._settings != settings:
            self._seeds.clear()
        self._settings = settings
        return settings

    @property
    def settings(self) -> LoadSettings:
        """The current settings (defaults if the test has not started through Locust)."""
        if self._settings is None:
            self._settings = settings_from(object())
        return self._settings

    @property
    def pool(self) -> ContentPool:
        """The content pool, built on first use."""
        if self._pool is None:
            size = self.settings.pool_size
            # ~0.3 s per 64 MiB of PRNG output: build it in a real thread, the loop keeps serving heartbeats
            self._pool = run_blocking(lambda: ContentPool(size))
        return self._pool

    def seeded(self, key: str, make: Callable[[], T]) -> T:
        """Return the value for `key`, calling `make` once per process (other greenlets wait for it)."""
        if key in self._seeds:
            value: T = self._seeds[key]
            return value
        lock = self._seed_locks.setdefault(key, gevent.lock.Semaphore())
        with lock:
            if key not in self._seeds:
                self._seeds[key] = make()
        value = self._seeds[key]
        return value

    def forget_seed(self, key: str) -> None:
        """Drop a seeded value (its push failed half-way), so the next user seeds again."""
        self._seeds.pop(key, None)

    def record_pushed(self, kind: str, repository: str, digest: str, size: int) -> None:
        """Append one acknowledged push to the ledger file, if `--ledger` is set."""
        path: Path | None = self.settings.ledger
        if path is None:
            return
        entry = {"kind": kind, "repository": repository, "digest": digest, "size": size, "pid": os.getpid()}
        line = json.dumps(entry) + "\n"
        with self._ledger_lock, path.open("a", encoding="utf-8") as handle:
            handle.write(line)


RUNTIME = Runtime()
