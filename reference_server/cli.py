"""Command line: ``python -m reference_server [serve options]`` and ``python -m reference_server gc ...``.

Serve options: ``--host`` (127.0.0.1), ``--port`` (5000), ``--data-dir`` (default
``~/.cache/registry-harness/reference-server``, else a temporary directory; printed at start),
``--workers N``, ``--no-delete``, ``--log-level``, ``--access-log``, ``--referrers-page-size N`` (100),
``--upload-timeout SECONDS`` (3600), ``--chunk-min-length BYTES`` (none: no minimum advertised),
``--max-manifest-bytes N`` (4194304), ``--fsync``,
``--auth none|basic|token`` with ``--users-file``, ``--access-file``, ``--token-*`` (see
``reference_server/auth/cli.py``). Ready means ``GET /v2/`` answers 200 (401 with auth on).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import uvicorn

from reference_server import gc
from reference_server.auth import cli as auth_cli
from reference_server.config import CONFIG_ENV, DEFAULT_MAX_MANIFEST_BYTES, MAX_CHUNK_MIN_LENGTH, Config

HTTP_PROTOCOL = "reference_server.http_protocol:RegistryHttpProtocol"  # uvicorn's httptools + body hand-over
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def default_data_dir() -> Path:
    """The user's cache directory for the server, or a fresh temporary directory when that is not writable."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    candidate = cache / "registry-harness" / "reference-server"
    try:
        candidate.mkdir(parents=True, exist_ok=True)
        if os.access(candidate, os.W_OK):
            return candidate
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="reference-server-"))


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def _chunk_min_length(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of bytes") from None
    if not 1 <= value <= MAX_CHUNK_MIN_LENGTH:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_CHUNK_MIN_LENGTH} bytes, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Argument parser of the serve command."""
    parser = argparse.ArgumentParser(
        prog="python -m reference_server",
        description="Strict, fast OCI Distribution 1.1 registry (filesystem storage). "
        "Also: 'python -m reference_server gc --data-dir DIR [--dry-run]'.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--data-dir", type=Path, default=None, help="storage directory (default: user cache)")
    parser.add_argument(
        "--workers", type=_positive, default=1, help="worker processes (state is all on disk)"
    )
    parser.add_argument("--no-delete", action="store_true", help="answer every delete with 405 UNSUPPORTED")
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="warning")
    parser.add_argument("--access-log", action="store_true", help="log every request (off by default)")
    parser.add_argument("--referrers-page-size", type=_positive, default=100)
    parser.add_argument(
        "--upload-timeout",
        type=_positive_seconds,
        default=3600.0,
        help="seconds after which an idle upload session expires",
    )
    parser.add_argument(
        "--chunk-min-length",
        type=_chunk_min_length,
        default=None,
        metavar="BYTES",
        help="advertise OCI-Chunk-Min-Length: BYTES on the POST that opens an upload session and enforce it: "
        "a shorter chunk is accepted as the last one, after it the session takes no more data (416) and "
        f"only a closing PUT without a body (1..{MAX_CHUNK_MIN_LENGTH}; default: no minimum)",
    )
    parser.add_argument("--max-manifest-bytes", type=_positive, default=DEFAULT_MAX_MANIFEST_BYTES)
    parser.add_argument(
        "--fsync",
        action="store_true",
        help="fsync content before publishing it (only matters for power loss, not crashes)",
    )
    auth_cli.add_arguments(parser)
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    """The server configuration an argument namespace describes."""
    data_dir = (args.data_dir or default_data_dir()).resolve()
    return Config(
        data_dir=data_dir,
        host=args.host,
        port=args.port,
        workers=args.workers,
        delete_enabled=not args.no_delete,
        log_level=args.log_level,
        access_log=args.access_log,
        referrers_page_size=args.referrers_page_size,
        upload_timeout=args.upload_timeout,
        chunk_min_length=args.chunk_min_length,
        max_manifest_bytes=args.max_manifest_bytes,
        fsync=args.fsync,
        **auth_cli.config_values(args),
    )


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and serve (blocks until stopped) or run garbage collection; return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "gc":
        return gc.main(argv[1:])
    args = build_parser().parse_args(argv)
    config = config_from_args(args)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        auth_line = auth_cli.prepare(config)
    except ValueError as exc:
        print(f"reference_server: {exc}", file=sys.stderr)
        return 2
    os.environ[CONFIG_ENV] = config.to_json()

    print(
        f"reference_server: serving http://{config.host}:{config.port}/v2/ "
        f"data-dir={config.data_dir} workers={config.workers}",
        flush=True,
    )
    if auth_line:
        print(auth_line, flush=True)
    uvicorn.run(
        "reference_server.app:create_app",
        factory=True,
        host=config.host,
        port=config.port,
        workers=config.workers,
        loop="uvloop",
        http=HTTP_PROTOCOL,
        lifespan="off",
        access_log=config.access_log,
        log_level=config.log_level,
        server_header=False,
    )
    return 0
