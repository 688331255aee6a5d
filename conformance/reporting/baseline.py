"""Regression gating of a load run against a baseline: a previous run's load summary.json.

`load_baseline(path)` accepts the summary.json itself, a load run folder, or a gate run folder
(`<gate>/load/summary.json`). `compare(current, baseline, gate)` returns one `Comparison` per figure:

- MB/s up and down of every scenario of the baseline (the seeding pseudo-scenario `setup` excepted)
  and of the total: it may fall by at most `tolerance` (0.25 = 25 %) of the baseline;
- p95 of every stats row whose type is in `p95_row_types` (OP by default): it may rise by at most
  `tolerance` of the baseline plus `p95_slack_ms`.

A figure the baseline has but the current run lacks is a regression too. Zero baseline figures are not
compared (nothing to regress from).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.reporting.gate_config import BaselineGate

IGNORED_SCENARIOS = ("setup",)


@dataclass(frozen=True)
class Comparison:
    """One figure: its baseline and current value, the limit, and whether it regressed."""

    figure: str
    baseline: float
    current: float | None
    limit: float
    higher_is_better: bool

    @property
    def regressed(self) -> bool:
        """True when the current value is missing or beyond the limit."""
        if self.current is None:
            return True
        return self.current < self.limit if self.higher_is_better else self.current > self.limit

    def describe(self) -> str:
        """One line for the reasons list."""
        if self.current is None:
            return f"{self.figure}: missing in this run (baseline {self.baseline:g})"
        sign = "<" if self.higher_is_better else ">"
        word = "min" if self.higher_is_better else "max"
        return (f"{self.figure} {self.current:g} {sign} {word} {self.limit:.4g} "
                f"(baseline {self.baseline:g})")


def load_baseline(path: Path) -> dict[str, Any]:
    """The baseline load summary named by `path` (file, load run folder or gate run folder)."""
    for candidate in (path, path / "summary.json", path / "load" / "summary.json"):
        if candidate.is_file():
            document: dict[str, Any] = json.loads(candidate.read_text(encoding="utf-8"))
            if not isinstance(document, dict) or "scenarios" not in document or "requests" not in document:
                raise ValueError(f"{candidate} is not a load run summary (no scenarios/requests)")
            return document
    raise FileNotFoundError(f"{path}: no load summary.json there (nor in {path}/load/)")


def _mb_s(current: dict[str, Any] | None, baseline: dict[str, Any], name: str,
          gate: BaselineGate) -> list[Comparison]:
    found = []
    for direction in ("up", "down"):
        base = float(baseline.get(f"mb_s_{direction}", 0.0))
        if base <= 0:
            continue
        value = None if current is None else float(current.get(f"mb_s_{direction}", 0.0))
        limit = base * (1 - gate.tolerance)
        found.append(Comparison(f"MB/s {direction} of {name}", base, value, limit, True))
    return found


def compare(current: dict[str, Any], baseline: dict[str, Any], gate: BaselineGate) -> list[Comparison]:
    """Every compared figure of `current` against `baseline`."""
    found: list[Comparison] = []
    scenarios = current.get("scenarios", {})
    for name, figures in sorted(baseline.get("scenarios", {}).items()):
        if name not in IGNORED_SCENARIOS:
            found += _mb_s(scenarios.get(name), figures, name, gate)
    found += _mb_s(current.get("total"), baseline.get("total", {}), "total", gate)
    rows = {(row["type"], row["name"]): row for row in current.get("requests", [])}
    for row in baseline.get("requests", []):
        if row["type"] not in gate.p95_row_types or not row.get("count") or not row.get("p95_ms"):
            continue
        now = rows.get((row["type"], row["name"]))
        value = float(now["p95_ms"]) if now and now.get("count") else None
        base = float(row["p95_ms"])
        limit = base * (1 + gate.tolerance) + gate.p95_slack_ms
        found.append(Comparison(f"p95 ms of '{row['type']} {row['name']}'", base, value, limit, False))
    return found
