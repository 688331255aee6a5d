"""The reference server's app served by uvicorn in a thread of the test process, on 127.0.0.1.

Served as the CLI serves it (uvloop, `cli.HTTP_PROTOCOL`: uvicorn's httptools protocol with the body
hand-over), so tests can patch module attributes of the running server or observe its helpers while
talking real HTTP to it over loopback.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import uvicorn

from conformance.registries import free_port
from reference_server.app import RegistryApp
from reference_server.cli import HTTP_PROTOCOL
from reference_server.config import Config


class InProcessServer:
    """RegistryApp served by uvicorn in a thread of this process; `config_values` go to `Config`."""

    def __init__(self, data_dir: Path, *, http: str = HTTP_PROTOCOL, **config_values: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        config = uvicorn.Config(
            RegistryApp(Config(data_dir=data_dir, **config_values)),
            host="127.0.0.1",
            port=self.port,
            loop="uvloop",
            http=http,
            lifespan="off",
            log_level="warning",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="in-process-registry", daemon=True)

    def start(self) -> None:
        """Start serving; RuntimeError if the server is not up within 10 s."""
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                return
            if not self.thread.is_alive():
                break
            threading.Event().wait(0.02)
        raise RuntimeError("in-process server did not start")

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for its thread."""
        self.server.should_exit = True
        self.thread.join(30)
