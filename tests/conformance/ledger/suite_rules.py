"""What the suites declare, read without running them: every check's `rules` marks, and legacy calls.

A check's rules are the `@pytest.mark.rules(...)` marks on the function, on its module's `pytestmark`, and on
the `pytest.param(..., marks=...)` of its parametrizations. `legacy_uses` finds what the ledger replaced:
rule-less `must(...)`/`should(...)` calls and `spec`/`level` marks.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.ledger.model import Rule

ROOT = Path(__file__).resolve().parents[3]
SUITES = ROOT / "conformance" / "suites"


def _marks(value: Any) -> list[pytest.Mark]:
    marks = getattr(value, "pytestmark", [])
    return list(marks) if isinstance(marks, list) else [marks]


def _rules_of(marks: Iterable[pytest.Mark]) -> set[Rule]:
    found: set[Rule] = set()
    for mark in marks:
        if mark.name == "rules":
            found.update(arg for arg in mark.args if isinstance(arg, Rule))
        if mark.name == "parametrize":
            values = mark.args[1] if len(mark.args) > 1 else mark.kwargs.get("argvalues", [])
            for value in values:
                found.update(_rules_of(getattr(value, "marks", ())))
    return found


def suite_checks() -> Iterator[tuple[str, set[Rule], list[str]]]:
    """(`test_x.py::test_name`, its rules, ids of non-Rule `rules` arguments) for every check function."""
    for path in sorted(SUITES.glob("test_*.py")):
        module = importlib.import_module(f"conformance.suites.{path.stem}")
        module_marks = _marks(module)
        for name, function in sorted(vars(module).items()):
            if not name.startswith("test_") or not callable(function):
                continue
            marks = module_marks + _marks(function)
            bad = [repr(arg) for mark in marks if mark.name == "rules" for arg in mark.args
                   if not isinstance(arg, Rule)]
            yield f"{path.name}::{name}", _rules_of(marks), bad


LEGACY = ("must", "should", "mark.spec", "mark.level")


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        owner = func.value
        prefix = "mark." if isinstance(owner, ast.Attribute) and owner.attr == "mark" else ""
        return prefix + func.attr
    return ""


def legacy_uses(paths: Iterable[Path], root: Path = ROOT) -> list[str]:
    """`file:line: what` for every rule-less must()/should() call and spec/level mark in `paths`."""
    found = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _call_name(node) in LEGACY:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {_call_name(node)}(...)")
    return found
