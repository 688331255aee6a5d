"""Views of a results document shared by the HTML report and compare: areas, groups, counts, labels.

A check's *category* is one of the official suite's four (pull, push, content discovery, content
management; a check may have none). Its *spec area* is the suite module it lives in
(`conformance/suites/test_uploads.py` -> "uploads"): the suites are split by area of the spec.
A check's *key* (`test_uploads.py::test_name[param]`) identifies it across runs made from different
directories, which is what compare matches on.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

OUTCOMES = ("passed", "warned", "failed", "error", "unsupported", "disabled", "skipped")
CATEGORY_LABELS = {
    "pull": "pull",
    "push": "push",
    "content_discovery": "content discovery",
    "content_management": "content management",
}
NO_CATEGORY = "(no category)"
#: Outcomes shown with their HTTP transcript in the "Failures" section, worst first.
PROBLEM_OUTCOMES = ("error", "failed", "warned")


def module_file(check: dict[str, Any]) -> str:
    """The check's module file name (`test_uploads.py`), whatever directory the run was started from."""
    module = str(check.get("module") or check["nodeid"].split("::", 1)[0])
    return module.replace("\\", "/").rsplit("/", 1)[-1]


def area_of(check: dict[str, Any]) -> str:
    """The spec area of a check: its suite module without `test_` and `.py`."""
    return module_file(check).removesuffix(".py").removeprefix("test_")


def check_key(check: dict[str, Any]) -> str:
    """`<module file>::<test name with parameters>`: the same check in runs from different directories."""
    return f"{module_file(check)}::{check['name']}"


def categories_of(check: dict[str, Any]) -> list[str]:
    """The category labels of a check (NO_CATEGORY when it has none)."""
    return [CATEGORY_LABELS.get(name, name) for name in check.get("categories") or []] or [NO_CATEGORY]


@dataclass
class GroupCounts:
    """Outcome counts of one group of checks (a category, an area, or everything)."""

    name: str
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: str) -> None:
        """Count one check."""
        self.counts[outcome] += 1

    @property
    def total(self) -> int:
        """Number of checks in the group."""
        return sum(self.counts.values())

    @property
    def worst(self) -> str:
        """The group's worst counted outcome, "passed" when nothing went wrong."""
        return next((outcome for outcome in PROBLEM_OUTCOMES if self.counts[outcome]), "passed")


def _grouped(checks: list[dict[str, Any]], names_of: Any, order: list[str]) -> list[GroupCounts]:
    groups: dict[str, GroupCounts] = {}
    for check in checks:
        for name in names_of(check):
            groups.setdefault(name, GroupCounts(name)).add(check["outcome"])
    ranked = {name: index for index, name in enumerate(order)}
    return sorted(groups.values(), key=lambda group: (ranked.get(group.name, len(ranked)), group.name))


def by_category(results: dict[str, Any]) -> list[GroupCounts]:
    """Counts per category, in the official order; a check in two categories counts in both."""
    order = [*CATEGORY_LABELS.values(), NO_CATEGORY]
    return _grouped(results["checks"], categories_of, order)


def by_area(results: dict[str, Any]) -> list[GroupCounts]:
    """Counts per spec area (suite module), alphabetically."""
    return _grouped(results["checks"], lambda check: [area_of(check)], [])


def problems(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Failed, error and warned checks, worst first, then by node id."""
    rank = {outcome: index for index, outcome in enumerate(PROBLEM_OUTCOMES)}
    found = [check for check in results["checks"] if check["outcome"] in rank]
    return sorted(found, key=lambda check: (rank[check["outcome"]], check["nodeid"]))


def registry_label(results: dict[str, Any]) -> str:
    """A short name for the registry of a run: the Server header if any, else its host."""
    registry = results.get("registry") or {}
    host = registry.get("host") or "(no registry)"
    headers = results.get("server_headers") or {}
    server = next((value for name, value in headers.items() if name.lower() == "server"), None)
    if registry.get("bundled"):
        return f"bundled ({host})"
    return f"{server} ({host})" if server else str(host)
