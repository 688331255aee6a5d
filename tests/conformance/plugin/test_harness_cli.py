"""The `registry-harness` command (conformance.cli): usage errors, `run` and `serve`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conformance import cli


def test_no_command_prints_usage_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "usage: registry-harness" in capsys.readouterr().err


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["gate-keeper"]) == 2
    err = capsys.readouterr().err
    assert "registry-harness: unknown command 'gate-keeper' (choose from run, serve" in err


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "run" in out and "serve" in out


def test_run_passes_arguments_to_pytest_on_the_suites() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--collect-only", "-q", "-p", "no:cacheprovider"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "test_ping.py::test_api_version_check_answers_200" in completed.stdout
    assert Path(__file__).resolve().parents[3] / "conformance" / "suites" == cli.SUITES_DIR


def test_run_returns_pytests_exit_code() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--no-such-pytest-option"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert completed.returncode == pytest.ExitCode.USAGE_ERROR
    assert "unrecognized arguments: --no-such-pytest-option" in completed.stderr


def test_serve_execs_the_reference_server() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "serve", "--help"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("usage: python -m reference_server")
