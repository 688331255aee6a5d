"""Run a bundled registry for a load run in its own process: `python -m load.serve reference|distribution`.

Locust monkey-patches gevent into its process, after which httpx (used by `conformance.registries`)
cannot be imported; so the locustfile starts this small program instead. It starts the registry,
prints one JSON line `{"url": ..., "data_dir": ..., "log": ...}`, and stops the registry when its
stdin closes (the Locust process quit or died) or on SIGTERM/SIGINT. Never imports locust.
"""

from __future__ import annotations

import json
import signal
import sys
from types import FrameType

from conformance.registries import RegistryStartError, start_distribution, start_reference_server


def main(argv: list[str] | None = None) -> int:
    """Start the registry named in argv[0], announce it, wait for stdin EOF, stop it."""
    args = sys.argv[1:] if argv is None else argv
    kind = args[0] if args else "reference"
    if kind not in ("reference", "distribution"):
        sys.stderr.write(f"usage: python -m load.serve [reference|distribution] (got {kind!r})\n")
        return 2
    try:
        registry = start_distribution() if kind == "distribution" else start_reference_server()
    except RegistryStartError as exc:
        print(json.dumps({"error": str(exc)}), flush=True)
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        registry.stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        print(json.dumps({"url": registry.url, "data_dir": str(registry.data_dir),
                          "log": str(registry.log_path)}), flush=True)
        sys.stdin.read()
    finally:
        registry.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
