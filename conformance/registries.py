"""Registry processes the harness starts on loopback: the bundled reference server and Debian's distribution.

The conformance plugin, the harness's own tests and the load tools all need a registry to talk to. This
module owns starting one as a child process, waiting until `GET /v2/` answers 200, and stopping it.
It never imports `reference_server`: the bundled server is started as `python -m reference_server`,
so the checker and the registry it checks stay separate programs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

DISTRIBUTION_BINARY = "docker-registry"
PEERS_ENV = "REGISTRY_HARNESS_PEERS"
"""Folder of prebuilt peer programs; default: `../shared/peers/bin` beside the repository."""
DISTRIBUTION_3 = "distribution-v3.1.1"
OFFICIAL_SUITE = "oci-conformance"


def peers_folder() -> Path:
    """Where prebuilt peers live: $REGISTRY_HARNESS_PEERS, else `<repository>/../shared/peers/bin`."""
    configured = os.environ.get(PEERS_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "shared" / "peers" / "bin"


def peer_binary(name: str) -> Path | None:
    """The executable peer `name` (e.g. `distribution-v3.1.1`, `oci-conformance`), or None when absent."""
    path = peers_folder() / name
    return path if path.is_file() and os.access(path, os.X_OK) else None


class RegistryStartError(RuntimeError):
    """A registry process did not become ready; the message carries its output."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_ready(url: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float) -> None:
    """Poll `GET {url}/v2/` until it answers 200 (or 401 when auth is on); raise with the log otherwise."""
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RegistryStartError(
                f"registry process exited with {process.returncode} before it was ready:\n{_tail(log_path)}"
            )
        try:
            response = httpx.get(f"{url}/v2/", timeout=2.0)
            if response.status_code in (200, 401):
                return
            last_error = f"GET /v2/ answered {response.status_code}"
        except httpx.HTTPError as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        time.sleep(0.05)
    raise RegistryStartError(
        f"registry at {url} not ready after {timeout:.0f} s ({last_error}):\n{_tail(log_path)}"
    )


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class RegistryProcess:
    """A registry child process on loopback: its base URL, data directory and log file."""

    url: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    _owned_dirs: list[Path] = field(default_factory=list)

    @property
    def host(self) -> str:
        """`host:port` of the registry, as the OCI_REGISTRY variable spells it."""
        return self.url.split("://", 1)[1]

    def kill(self) -> None:
        """Stop the process at once with SIGKILL (crash tests use this); data stays on disk."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 s) and remove directories it owns."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        for directory in self._owned_dirs:
            shutil.rmtree(directory, ignore_errors=True)

    def __enter__(self) -> RegistryProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _spawn(argv: Sequence[str], log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    log = log_path.open("ab")
    try:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
    finally:
        log.close()


def start_reference_server(
    *,
    data_dir: Path | None = None,
    port: int | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = 30.0,
) -> RegistryProcess:
    """Start the bundled reference server (`python -m reference_server`) on 127.0.0.1 and wait for it.

    `data_dir` defaults to a fresh temporary directory that `stop()` removes. `extra_args` are passed
    through (`--workers 2`, `--no-delete`, `--auth token`, ...).
    """
    owned: list[Path] = []
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="registry-harness-ref-"))
        owned.append(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"{data_dir.name}.log"
    port = port or free_port()
    argv = [
        sys.executable, "-m", "reference_server",
        "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir), *extra_args,
    ]
    process = _spawn(argv, log_path)
    url = f"http://127.0.0.1:{port}"
    registry = RegistryProcess(url, data_dir, log_path, process, owned)
    owned.append(log_path)
    try:
        wait_until_ready(url, process, log_path, timeout)
    except BaseException:
        registry.stop()
        raise
    return registry


def distribution_available(binary: str = DISTRIBUTION_BINARY) -> bool:
    """True when `binary` (default Debian's `docker-registry`, CNCF distribution 2.8.2) can be run."""
    return shutil.which(binary) is not None


def distribution_config(root: Path, port: int, auth_yaml: str = "", *, delete: bool = True) -> str:
    """The YAML config for distribution on 127.0.0.1:`port`, storing under `root` (deletes per `delete`)."""
    config = (
        "version: 0.1\n"
        "log: {level: error, accesslog: {disabled: true}}\n"
        "storage:\n"
        f"  filesystem: {{rootdirectory: {root}}}\n"
        f"  delete: {{enabled: {'true' if delete else 'false'}}}\n"
        "  maintenance: {uploadpurging: {enabled: false}}\n"
        "http:\n"
        f"  addr: 127.0.0.1:{port}\n"
    )
    return config + auth_yaml


def start_distribution(
    *, auth_yaml: str = "", timeout: float = 30.0, binary: str = DISTRIBUTION_BINARY, delete: bool = True
) -> RegistryProcess:
    """Start distribution on a free loopback port with a temporary root and wait for it.

    `binary` is Debian's `docker-registry` (2.8.2) by default, or the path of another build with the same
    config format (`peer_binary(DISTRIBUTION_3)`: 3.1.1). `auth_yaml` is appended to the config verbatim
    (an `auth:` section for basic or token auth). `delete=False` leaves storage.delete off (deletes then
    answer 405 UNSUPPORTED).
    """
    if not distribution_available(binary):
        raise RegistryStartError(f"{binary} is not installed (apt-get install docker-registry, or see "
                                 "../shared/peers/README.md for 3.1.1)")
    workdir = Path(tempfile.mkdtemp(prefix="registry-harness-distribution-"))
    data_dir = workdir / "data"
    data_dir.mkdir()
    port = free_port()
    config_path = workdir / "config.yml"
    config_path.write_text(distribution_config(data_dir, port, auth_yaml, delete=delete))
    log_path = workdir / "registry.log"
    process = _spawn([binary, "serve", str(config_path)], log_path)
    registry = RegistryProcess(f"http://127.0.0.1:{port}", data_dir, log_path, process, [workdir])
    try:
        wait_until_ready(registry.url, process, log_path, timeout)
    except BaseException:
        registry.stop()
        raise
    return registry

