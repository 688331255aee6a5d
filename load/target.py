"""The registry a load run talks to: the given `--host`, or a bundled one started for the run.

With no `--host` (and no host on a User class), the master or local process starts the bundled
reference server (or, with `--target distribution`, Debian's distribution 2.8.2) on 127.0.0.1 through
`python -m load.serve` (a separate process: see its docstring), points `environment.host` at it and
stops it when Locust quits. Workers get the host from the master with the spawn message. A given host
must be an http(s) URL on loopback: load traffic stays on this machine.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import subprocess
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)


class TargetError(ValueError):
    """The target host is not acceptable or the bundled registry did not start; the message says why."""


def check_host(url: str) -> None:
    """Refuse anything but an http(s) URL on a loopback address (or localhost)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(f"--host must be an http(s) URL like http://127.0.0.1:5000, got {url!r}")
    if parts.hostname == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise TargetError(f"--host {url!r} is not on loopback: load runs only target this machine")


@dataclass
class BundledRegistry:
    """A registry started for this run by `python -m load.serve`."""

    url: str
    data_dir: str
    process: subprocess.Popen[str]

    def stop(self) -> None:
        """Close the launcher's stdin (it stops the registry) and wait for it."""
        if self.process.poll() is None:
            if self.process.stdin is not None:
                self.process.stdin.close()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                self.process.wait(timeout=10)


def start_bundled(kind: str) -> BundledRegistry:
    """Start the bundled reference server or distribution and wait for its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "load.serve", kind], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # load.serve waits at most ~30 s for the registry, then answers
    try:
        announced = json.loads(line)
    except ValueError:
        announced = {"error": f"launcher exited with {process.poll()} and printed {line!r}"}
    if "url" not in announced:
        process.kill()
        raise TargetError(f"could not start the bundled {kind} registry: {announced.get('error')}")
    registry = BundledRegistry(announced["url"], announced["data_dir"], process)
    logger.info("started %s registry for this run at %s (data in %s)", kind, registry.url, registry.data_dir)
    return registry


def resolve(environment: Any, kind: str) -> BundledRegistry | None:
    """Make sure `environment.host` is set; return the registry started for it (None for a given host)."""
    classes_with_host = {cls.host for cls in environment.user_classes if getattr(cls, "host", None)}
    host = environment.host or (classes_with_host.pop() if len(classes_with_host) == 1 else None)
    if host:
        check_host(host)
        environment.host = host.rstrip("/")
        return None
    registry = start_bundled(kind)
    environment.host = registry.url
    return registry
