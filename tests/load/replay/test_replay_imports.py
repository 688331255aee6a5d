"""The replay's import rules: only `locust_user` imports locust/gevent, and it never pulls in httpx."""

from __future__ import annotations

import subprocess
import sys

from tests.load.locust_runs import REPO_ROOT

LOCUST_FREE = ["load.replay", "load.replay.records", "load.replay.formats", "load.replay.plan",
               "load.replay.synthetic", "load.replay.exchange", "load.replay.stats", "load.replay.report",
               "load.replay.share", "load.replay.model", "load.replay.models", "load.replay.presets_zb",
               "load.replay.presets_ibm", "load.replay.presets_dockerhub", "load.replay.generate",
               "load.replay.engine",
               "load.replay.__main__"]


def imported(modules: list[str], prefixes: tuple[str, ...]) -> str:
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {prefixes!r}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_replay_modules_do_not_import_locust_or_gevent() -> None:
    assert imported(LOCUST_FREE, ("locust", "gevent")) == "[]"


def test_the_locust_scenario_does_not_import_httpx() -> None:
    # httpx cannot be imported once gevent patched the process (see load/auth.py)
    assert imported(["load.replay.locust_user"], ("httpx", "httpcore")) == "[]"
