"""Headless Chromium over the DevTools protocol, for the report pages' browser tests.

`open_page(path)` starts Debian's `/usr/bin/chromium` (offline flags, fresh profile, no sandbox),
connects to the page target with `websocket-client`, loads `file://<path>` and collects every console
message of level error/warning, every uncaught exception and every failed network request. The
`Page` object evaluates JavaScript and takes screenshots. Nothing is fetched from the network.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--remote-debugging-port=0", "--remote-allow-origins=*", "--window-size=1280,1600",
)


def available() -> bool:
    """True when Chromium is installed."""
    return Path(CHROMIUM).is_file()


@dataclass
class Page:
    """One page target: send commands, collect events."""

    socket: websocket.WebSocket
    problems: list[str] = field(default_factory=list)
    next_id: int = 0

    def _event(self, message: dict[str, Any]) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            self.problems.append(f"Uncaught exception: {text}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
            values = " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params["args"])
            self.problems.append(f"console.{params['type']}: {values}")
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            entry = params["entry"]
            where = entry.get("url", "")
            self.problems.append(f"log {entry['level']} ({entry.get('source')}): {entry['text']} {where}")
        elif method == "Network.loadingFailed":
            self.problems.append(f"request failed: {params.get('errorText')}")
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(("file:", "data:")):
                self.problems.append(f"network request to {url}")

    def send(self, method: str, timeout: float = 20.0, **params: Any) -> dict[str, Any]:
        """Send one command and return its result (events arriving meanwhile are collected)."""
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self._event(message)
        raise TimeoutError(f"{method}: no answer within {timeout} s")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def settle(self, seconds: float = 0.5) -> None:
        """Collect events for a moment (late console errors)."""
        self.socket.settimeout(seconds)
        try:
            while True:
                self._event(json.loads(self.socket.recv()))
        except websocket.WebSocketTimeoutException:
            pass
        finally:
            self.socket.settimeout(20)

    def screenshot(self, path: Path) -> Path:
        """Save a full-page PNG screenshot."""
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


def _endpoint(profile: Path, process: subprocess.Popen[bytes], timeout: float = 20.0) -> int:
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_file.is_file():
            lines = port_file.read_text().split()
            if lines:
                return int(lines[0])
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with {process.returncode}")
        time.sleep(0.1)
    raise TimeoutError("chromium did not open its DevTools port")


@contextmanager
def open_page(path: Path) -> Iterator[Page]:
    """Load `path` in a fresh headless Chromium and yield the page (events enabled before loading)."""
    profile = Path(tempfile.mkdtemp(prefix="rh-chromium-"))
    process = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port = _endpoint(profile, process)
        import httpx  # noqa: PLC0415  (only the browser tests need it here)

        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page_target = next(target for target in targets if target["type"] == "page")
        socket = websocket.create_connection(page_target["webSocketDebuggerUrl"], timeout=20,
                                             suppress_origin=True)
        page = Page(socket)
        for domain in ("Runtime", "Log", "Network", "Page"):
            page.send(f"{domain}.enable")
        page.send("Page.navigate", url=path.resolve().as_uri())
        deadline = time.monotonic() + 20
        while page.evaluate("document.readyState") != "complete":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{path} did not finish loading")
            time.sleep(0.1)
        page.settle()
        try:
            yield page
        finally:
            socket.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)
