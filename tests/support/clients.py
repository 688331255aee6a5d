"""Running real registry clients (skopeo, podman, buildah) from tests, with timeouts and readable failures.

Every call has a timeout, and a failing command raises `ToolError` carrying its argv and full output,
so a test failure shows what the client saw. Tests that need a client which is not installed are
skipped with the install hint; `.ci/run` installs all of them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

import pytest

BLOB_INFO_CACHE = Path("/var/lib/containers/cache/blob-info-cache-v1.boltdb")
DEFAULT_TIMEOUT = 120.0


class ToolError(AssertionError):
    """A client command failed; the message has the command line and its output."""


def require_tools(*names: str) -> None:
    """Skip the calling test when one of the client binaries is missing (apt-get install <name>)."""
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        pytest.skip(f"unsupported: {', '.join(missing)} not installed (apt-get install {' '.join(missing)})")


def run_tool(argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT, check: bool = True) -> str:
    """Run a client command and return stdout + stderr; raise `ToolError` when it fails and `check`."""
    try:
        completed = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"{' '.join(argv)} did not finish within {timeout:.0f} s") from exc
    output = completed.stdout + completed.stderr
    if check and completed.returncode != 0:
        raise ToolError(f"{' '.join(argv)} exited with {completed.returncode}:\n{output[-6000:]}")
    return output


def skopeo(*args: str, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Run `skopeo <args>` (plain-HTTP registries need the `--*tls-verify=false` flags in `args`)."""
    return run_tool(["skopeo", *args], timeout=timeout)


def skopeo_stdout(*args: str, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """Run `skopeo <args>` and return only its stdout, as bytes (for `inspect --raw`)."""
    completed = subprocess.run(
        ["skopeo", *args], capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False
    )
    if completed.returncode != 0:
        raise ToolError(f"skopeo {' '.join(args)} exited with {completed.returncode}:\n"
                        f"{completed.stderr.decode(errors='replace')[-6000:]}")
    return completed.stdout


def podman(*args: str, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Run `podman <args>`."""
    return run_tool(["podman", *args], timeout=timeout)


def buildah(*args: str, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Run `buildah <args>`."""
    return run_tool(["buildah", *args], timeout=timeout)


def forget_blob_locations() -> None:
    """Remove containers/image's blob-info cache so podman/buildah really upload instead of mounting."""
    BLOB_INFO_CACHE.unlink(missing_ok=True)


_DEBUG_REQUEST = re.compile(r'msg="(GET|HEAD|POST|PUT|PATCH|DELETE) (http[^" ]+)"')


def debug_requests(output: str) -> list[tuple[str, urllib.parse.SplitResult]]:
    """The requests a client logged at debug level (`msg="POST http://..."`), parsed."""
    return [(method, urllib.parse.urlsplit(url)) for method, url in _DEBUG_REQUEST.findall(output)]
