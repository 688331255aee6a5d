"""`load` and its locust-free modules never import locust or gevent (Locust monkey-patches on import)."""

from __future__ import annotations

import subprocess
import sys

from tests.load.locust_runs import REPO_ROOT

LOCUST_FREE = ["load", "load.options", "load.content", "load.metrics", "load.thresholds", "load.summary",
               "load.auth", "load.users.tokens", "load.target", "load.serve", "load.dashboard",
               "load.compare_clients", "load.generator_health", "load.users.image_content", "load.bench_rig"]


def test_locust_free_modules_do_not_import_locust_or_gevent() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {LOCUST_FREE!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent')))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
                               timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"
