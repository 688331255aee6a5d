"""The hostile-input target: a reference server deep inside a sandbox of canary files, and its guards.

The server runs with its data directory deep inside a sandbox full of canary files; after every test
(the autouse `nothing_escapes` fixture) the sandbox (minus the data directory and the server log) must be
unchanged, no repository named `pwned` may exist anywhere, the server must have logged no traceback and
must still answer `GET /v2/`. `Target.raw` sends exact bytes over a raw socket, for requests that httpx
would normalise or refuse (`..` segments, wrong `Content-Length`, invalid UTF-8). Test modules import the
fixtures `sandbox`, `target` (module-scoped: one server per module) and the autouse
`nothing_escapes` by their `*_fixture` names.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path

import httpx
import pytest

from conformance.registries import RegistryProcess, start_reference_server
from tests.support.fs_snapshot import differences, snapshot
from tests.support.hostile_cases import (
    REFUSAL_CODES,
)
from tests.support.raw_http import RawResponse, build_request, exchange
from tests.support.registry_http import (
    Answer,
    assert_oci_error,
    error_codes,
    push_image,
)

REPO = "hostile/base"


class Target:
    """The running server plus the image every test may rely on."""

    def __init__(self, registry: RegistryProcess, manifest: bytes, blobs: dict[str, bytes]) -> None:
        self.registry = registry
        self.url = registry.url
        self.address = ("127.0.0.1", int(registry.url.rsplit(":", 1)[1]))
        self.manifest = manifest
        self.blobs = blobs
        self.client = httpx.Client(timeout=30)

    def raw(self, method: str, target: bytes | str, headers: list[tuple[str, str]] | None = None,
            body: bytes = b"", **options: object) -> RawResponse:
        """Send exact bytes; `content_length=` overrides the declared length, `half_close=` ends our side."""
        half_close = bool(options.pop("half_close", False))
        request = build_request(method, target, self.registry.host, headers, body, **options)  # type: ignore[arg-type]
        return exchange(self.address, request, half_close=half_close)

    def blob_status(self, digest: str) -> int:
        return self.client.head(f"{self.url}/v2/{REPO}/blobs/{digest}").status_code


@pytest.fixture(scope="module", name="sandbox")
def sandbox_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sandbox")
    for relative in ("canary.txt", "outer/canary.txt", "outer/inner/canary.txt", "pwned-not/keep.txt"):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(f"canary {relative}\n")
    return root


@pytest.fixture(scope="module", name="target")
def target_fixture(sandbox: Path) -> Iterator[Target]:
    data_dir = sandbox / "outer" / "inner" / "data"
    with start_reference_server(data_dir=data_dir) as registry, httpx.Client(timeout=30) as client:
        manifest, blobs = push_image(client, registry.url, REPO, "base", b"hostile")
        served = Target(registry, manifest, blobs)
        try:
            yield served
        finally:
            served.client.close()


@pytest.fixture(autouse=True, name="nothing_escapes")
def nothing_escapes_fixture(target: Target, sandbox: Path) -> Iterator[None]:
    data_dir = target.registry.data_dir
    excluded = (data_dir, data_dir.parent / f"{data_dir.name}.log")
    before = snapshot(sandbox, excluded)
    log_offset = target.registry.log_path.stat().st_size
    yield
    with target.registry.log_path.open("rb") as log:
        log.seek(log_offset)
        new_log = log.read().decode(errors="replace")
    assert "Traceback" not in new_log, f"the server logged an unhandled error:\n{new_log[-3000:]}"
    assert differences(before, snapshot(sandbox, excluded)) == []
    leaked = [path for path in data_dir.rglob("*") if "pwned" in path.name]
    assert not leaked, f"a rejected name reached the data directory: {leaked}"
    assert not list(Path("/tmp").glob("pwned*")) and not list(Path("/").glob("pwned*"))
    assert target.registry.process.poll() is None, "the server died"
    assert target.client.get(f"{target.url}/v2/").status_code == 200


def check(answer: Answer, statuses: AbstractSet[int], codes: AbstractSet[str]) -> None:
    assert_oci_error(answer, statuses, codes)


def refused_by_http_layer(response: RawResponse, method: str, target: str | bytes) -> None:
    """Malformed HTTP: a 4xx (with a correct code if it carries an envelope) or a closed connection."""
    answer = response.answer(method, target)
    assert response.status == 0 or 400 <= response.status < 500, f"expected a refusal: {answer}"
    assert set(error_codes(response.body)) <= REFUSAL_CODES, str(answer)
