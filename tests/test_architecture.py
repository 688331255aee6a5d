"""The architecture rules that code review alone would let slip: who imports whom, the fixed top level,
and a clean bill from ruff and mypy (strict) over the whole tree."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.import_graph import cycles, import_graph

ROOT = Path(__file__).resolve().parents[1]

# package -> top-level packages it must never import
FORBIDDEN: dict[str, set[str]] = {
    "reference_server": {"conformance", "load", "locust", "gevent"},
    "conformance": {"reference_server", "load", "locust", "gevent"},
    "schemas": {"reference_server", "conformance", "load", "locust", "gevent"},
}
TOP_LEVEL = {
    "pyproject.toml", "conformance", "load", "schemas", "reference_server", "reports", "README.md",
    "ARCHITECTURE.md", "tests", ".ci", ".gitignore",
    # GitHub requires a composite action's metadata at the repository root (issue 7).
    "action.yml",
}


def imported_top_levels(path: Path) -> set[str]:
    """Top-level package names that `path` imports (absolute imports only; relative ones stay inside)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_never_imports_the_other_side(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_top_levels(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_rule_checker_sees_a_violation(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("import os\nfrom conformance.client import RegistryClient\nfrom . import sibling\n")
    assert imported_top_levels(module) == {"os", "conformance"}


def test_no_module_imports_itself_through_others() -> None:
    assert cycles(import_graph(ROOT)) == []


def test_the_cycle_finder_sees_a_circle(tmp_path: Path) -> None:
    package = tmp_path / "conformance"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from conformance import b\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import conformance.a\n"
    )
    (package / "c.py").write_text("from conformance.a import thing\n")
    assert cycles(import_graph(tmp_path, ("conformance",))) == [["conformance.a", "conformance.b"]]


def test_top_level_is_fixed() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False, timeout=60
    )
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    entries = {line.split("/", 1)[0] for line in tracked.stdout.splitlines() if line}
    assert entries <= TOP_LEVEL, sorted(entries - TOP_LEVEL)


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "."], ["mypy"]],
    ids=["ruff", "mypy-strict"],
)
def test_linters_are_clean(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed (pip install -e '.[test]')")
    completed = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False, timeout=900
    )
    assert completed.returncode == 0, completed.stdout[-8000:] + completed.stderr[-2000:]
