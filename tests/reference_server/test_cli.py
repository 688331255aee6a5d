"""Command-line parsing of the reference server (no server is started here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reference_server.cli import build_parser, config_from_args, default_data_dir, main
from reference_server.config import MAX_CHUNK_MIN_LENGTH, Config


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    config = config_from_args(build_parser().parse_args([]))
    assert config.data_dir == (tmp_path / "cache" / "registry-harness" / "reference-server").resolve()
    assert (config.host, config.port, config.workers) == ("127.0.0.1", 5000, 1)
    assert config.delete_enabled
    assert not config.access_log
    assert config.referrers_page_size == 100
    assert config.upload_timeout == 3600.0
    assert config.max_manifest_bytes == 4194304
    assert config.chunk_min_length is None
    assert config.auth == "none"


def test_every_flag(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        [
            "--host",
            "0.0.0.0",
            "--port",
            "6000",
            "--data-dir",
            str(tmp_path),
            "--workers",
            "3",
            "--no-delete",
            "--log-level",
            "debug",
            "--access-log",
            "--referrers-page-size",
            "7",
            "--upload-timeout",
            "2.5",
            "--max-manifest-bytes",
            "1000",
            "--chunk-min-length",
            "5242880",
            "--fsync",
        ]
    )
    config = config_from_args(args)
    assert config == Config(
        data_dir=tmp_path.resolve(),
        host="0.0.0.0",
        port=6000,
        workers=3,
        delete_enabled=False,
        log_level="debug",
        access_log=True,
        referrers_page_size=7,
        upload_timeout=2.5,
        max_manifest_bytes=1000,
        chunk_min_length=5242880,
        fsync=True,
    )
    assert Config.from_json(config.to_json()) == config


@pytest.mark.parametrize(
    "argv",
    [
        ["--workers", "0"],
        ["--upload-timeout", "0"],
        ["--upload-timeout", "-1"],
        ["--referrers-page-size", "0"],
        ["--auth", "kerberos"],
        ["--max-manifest-bytes", "x"],
        ["--chunk-min-length", "0"],
        ["--chunk-min-length", "-5"],
        ["--chunk-min-length", "1.5"],
        ["--chunk-min-length", "5MB"],
        ["--chunk-min-length", str(MAX_CHUNK_MIN_LENGTH + 1)],
    ],
)
def test_bad_values_exit_with_usage_error(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        build_parser().parse_args(argv)
    assert excinfo.value.code == 2


@pytest.mark.parametrize("value", ["1", "4096", str(MAX_CHUNK_MIN_LENGTH)])
def test_chunk_min_length_bounds_are_inclusive(value: str) -> None:
    assert build_parser().parse_args(["--chunk-min-length", value]).chunk_min_length == int(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", f"must be between 1 and {MAX_CHUNK_MIN_LENGTH} bytes, got 0"),
        ("lots", "'lots' is not a whole number of bytes"),
        (str(MAX_CHUNK_MIN_LENGTH + 1), f"got {MAX_CHUNK_MIN_LENGTH + 1}"),
    ],
)
def test_bad_chunk_min_length_exits_2_with_a_message_and_no_traceback(value: str, message: str) -> None:
    """The real command line (a subprocess): argparse's usage error, exit 2, nothing started."""
    completed = subprocess.run(
        [sys.executable, "-m", "reference_server", "--chunk-min-length", value],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert "argument --chunk-min-length" in completed.stderr
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr
    assert "serving" not in completed.stdout


def test_chunk_min_length_reaches_worker_processes_through_the_environment(tmp_path: Path) -> None:
    argv = ["--data-dir", str(tmp_path), "--chunk-min-length", "77"]
    config = config_from_args(build_parser().parse_args(argv))
    assert Config.from_json(config.to_json()).chunk_min_length == 77
    unset = config_from_args(build_parser().parse_args(["--data-dir", str(tmp_path)]))
    assert Config.from_json(unset.to_json()).chunk_min_length is None


def test_help_describes_chunk_min_length(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--chunk-min-length BYTES" in text
    assert "OCI-Chunk-Min-Length" in text


def test_unwritable_cache_falls_back_to_a_temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    chosen = default_data_dir()
    assert chosen.is_dir()
    assert not str(chosen).startswith(str(blocker))
    chosen.rmdir()


def test_gc_subcommand_through_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "blobs").mkdir()
    assert main(["gc", "--data-dir", str(tmp_path), "--dry-run"]) == 0
    assert "would free 0 blobs" in capsys.readouterr().out
