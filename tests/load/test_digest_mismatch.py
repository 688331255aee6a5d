"""A registry that corrupts blobs on the way out: every pull is a counted digest mismatch and a failure.

The corrupting registry is a small stdlib HTTP server on 127.0.0.1 written for this test: it stores
pushed blobs faithfully and serves them with the first byte flipped (Range answers too).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from tests.load.locust_runs import run_locust

BLOB = re.compile(r"^/v2/(?P<name>.+)/blobs/(?P<digest>sha256:[0-9a-f]{64})$")
UPLOAD = re.compile(r"^/v2/(?P<name>.+)/blobs/uploads/(?P<id>[0-9a-f]*)$")


class CorruptingRegistry(BaseHTTPRequestHandler):
    """Accepts monolithic uploads; serves every blob with its first byte flipped."""

    protocol_version = "HTTP/1.1"
    blobs: ClassVar[dict[str, bytes]] = {}

    def log_message(self, format: str, *args: object) -> None:
        return

    def answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_POST(self) -> None:
        match = UPLOAD.match(self.path)
        if not match:
            self.answer(404)
            return
        self.answer(202, headers={"Location": f"/v2/{match['name']}/blobs/uploads/{uuid.uuid4().hex}"})

    def do_PUT(self) -> None:
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        digest = query.removeprefix("digest=")
        if not UPLOAD.match(path) or not digest:
            self.answer(400)
            return
        self.blobs[digest] = body
        self.answer(201, headers={"Location": f"{path}", "Docker-Content-Digest": digest})

    def do_GET(self) -> None:
        if self.path == "/v2/":
            self.answer(200, b"{}")
            return
        match = BLOB.match(self.path)
        if not match or match["digest"] not in self.blobs:
            self.answer(404)
            return
        data = self.blobs[match["digest"]]
        ranged = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
        if ranged:
            start, end = int(ranged[1]), int(ranged[2])
            part = bytearray(data[start : end + 1])
            part[0] ^= 0xFF
            self.answer(206, bytes(part), {"Content-Range": f"bytes {start}-{end}/{len(data)}"})
            return
        body = bytearray(data)
        body[0] ^= 0xFF
        self.answer(200, bytes(body))

    def do_HEAD(self) -> None:
        self.do_GET()


@pytest.fixture
def corrupting_registry() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), CorruptingRegistry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_corrupted_pulls_are_failures_and_counted(tmp_path: Path, corrupting_registry: str) -> None:
    thresholds = tmp_path / "t.toml"
    thresholds.write_text("max_digest_mismatches = 0\n")
    run = run_locust(tmp_path, "--host", corrupting_registry, "-u", "2", "-r", "2", "-t", "2s",
                     "--blob-sizes", "64KiB:1", "--verify-share", "1", "--range-size", "1KiB",
                     "--thresholds", str(thresholds), "BlobPull")
    assert run.returncode == 3, run.output
    summary = run.summary
    rows = {(row["type"], row["name"]): row for row in summary["requests"]}
    full, ranged = rows[("OP", "pull blob")], rows[("OP", "pull blob range")]
    assert full["count"] > 0 and full["failures"] == full["count"]
    assert ranged["count"] > 0 and ranged["failures"] == ranged["count"]
    assert rows[("XFER", "blob GET")]["failures"] == full["count"]
    assert summary["digest_mismatches"] == full["count"] + ranged["count"]
    assert any(line.startswith("THRESHOLD BREACH: digest mismatches") for line in run.stdout.splitlines())
