"""CI thresholds: read a TOML file, check a run summary against it, name every breach in one line.

File format (every key optional):

    max_fail_ratio = 0.01            # failed / all HTTP requests (a rate-limited, then retried one is
                                     # counted once, by its last attempt)
    max_rate_limited_ratio = 0.1     # 429 and 503-with-Retry-After answers / all HTTP answers
    max_digest_mismatches = 0        # pulled bytes that did not hash to the digest asked for
    [max_p95_ms]                     # per stats row: "TYPE name" or just "name" (any type)
    "OP push blob (monolithic)" = 3000
    "TTFB blob GET" = 200
    [min_mb_s]                       # per scenario (User class name), or "total"
    BlobPushMonolithic = { up = 100 }
    BlobPull = { down = 200 }

A row or scenario named in the file but absent from the run is a breach too (it cannot have met the
threshold). Checking is pure: `check(summary, thresholds)` returns the breach lines.
This module never imports locust.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BREACH_EXIT_CODE = 3
CONFIG_ERROR_EXIT_CODE = 2
_TOP_KEYS = {"max_fail_ratio", "max_rate_limited_ratio", "max_digest_mismatches", "max_p95_ms", "min_mb_s"}


class ThresholdConfigError(ValueError):
    """The thresholds file cannot be read or has unknown keys; the message says which."""


@dataclass(frozen=True)
class Thresholds:
    """Parsed thresholds; None / empty means 'not checked'."""

    max_fail_ratio: float | None = None
    max_rate_limited_ratio: float | None = None
    max_digest_mismatches: int | None = None
    max_p95_ms: dict[str, float] = field(default_factory=dict)
    min_mb_s: dict[str, dict[str, float]] = field(default_factory=dict)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ThresholdConfigError(f"{where}: expected a number, got {value!r}")
    return float(value)


def parse(document: dict[str, Any], source: str = "thresholds") -> Thresholds:
    """Validate a decoded TOML document."""
    unknown = set(document) - _TOP_KEYS
    if unknown:
        raise ThresholdConfigError(f"{source}: unknown keys {sorted(unknown)} (known: {sorted(_TOP_KEYS)})")
    p95 = document.get("max_p95_ms", {})
    if not isinstance(p95, dict):
        raise ThresholdConfigError(f"{source}: [max_p95_ms] must be a table")
    mbs = document.get("min_mb_s", {})
    if not isinstance(mbs, dict):
        raise ThresholdConfigError(f"{source}: [min_mb_s] must be a table")
    min_mb_s: dict[str, dict[str, float]] = {}
    for scenario, limits in mbs.items():
        if not isinstance(limits, dict) or not limits or set(limits) - {"up", "down"}:
            raise ThresholdConfigError(f"{source}: min_mb_s.{scenario} must be a table with up and/or down")
        min_mb_s[scenario] = {k: _number(v, f"min_mb_s.{scenario}.{k}") for k, v in limits.items()}
    mismatches = document.get("max_digest_mismatches")
    return Thresholds(
        max_fail_ratio=None if "max_fail_ratio" not in document
        else _number(document["max_fail_ratio"], "max_fail_ratio"),
        max_rate_limited_ratio=None if "max_rate_limited_ratio" not in document
        else _number(document["max_rate_limited_ratio"], "max_rate_limited_ratio"),
        max_digest_mismatches=None if mismatches is None
        else int(_number(mismatches, "max_digest_mismatches")),
        max_p95_ms={name: _number(v, f"max_p95_ms.{name}") for name, v in p95.items()},
        min_mb_s=min_mb_s,
    )


def load(path: Path) -> Thresholds:
    """Read and validate a thresholds TOML file."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThresholdConfigError(f"cannot read thresholds file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ThresholdConfigError(f"thresholds file {path} is not valid TOML: {exc}") from exc
    return parse(document, str(path))


def _rows_matching(summary: dict[str, Any], key: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = summary.get("requests", [])
    exact = [row for row in rows if f"{row['type']} {row['name']}" == key]
    return exact or [row for row in rows if row["name"] == key]


def check(summary: dict[str, Any], thresholds: Thresholds) -> list[str]:
    """Every breach of `thresholds` by the run `summary`, one human-readable line each."""
    breaches: list[str] = []
    http = summary.get("http", {})
    if thresholds.max_fail_ratio is not None and http.get("fail_ratio", 0.0) > thresholds.max_fail_ratio:
        breaches.append(
            f"fail ratio {http['fail_ratio']:.4f} > max {thresholds.max_fail_ratio:g} "
            f"({http.get('failures', 0)} of {http.get('requests', 0)} HTTP requests failed)"
        )
    limited = summary.get("rate_limited", {})
    ratio = float(limited.get("ratio", 0.0))
    if thresholds.max_rate_limited_ratio is not None and ratio > thresholds.max_rate_limited_ratio:
        breaches.append(
            f"rate-limited ratio {ratio:.4f} > max {thresholds.max_rate_limited_ratio:g} "
            f"({limited.get('total', 0)} answers were 429 or 503 with Retry-After)"
        )
    mismatches = int(summary.get("digest_mismatches", 0))
    if thresholds.max_digest_mismatches is not None and mismatches > thresholds.max_digest_mismatches:
        breaches.append(f"digest mismatches {mismatches} > max {thresholds.max_digest_mismatches}")
    for key, limit in sorted(thresholds.max_p95_ms.items()):
        rows = _rows_matching(summary, key)
        if not rows:
            breaches.append(f"p95 of {key!r}: no samples in this run (limit {limit:g} ms)")
        for row in rows:
            if row["count"] and row["p95_ms"] > limit:
                label = f"{row['type']} {row['name']}"
                breaches.append(f"p95 of {label!r} {row['p95_ms']:g} ms > max {limit:g} ms")
    scenarios = summary.get("scenarios", {})
    for scenario, limits in sorted(thresholds.min_mb_s.items()):
        figures = summary.get("total", {}) if scenario == "total" else scenarios.get(scenario)
        for direction, limit in sorted(limits.items()):
            if figures is None:
                breaches.append(f"MB/s {direction} of {scenario}: scenario not in this run (min {limit:g})")
                continue
            value = float(figures.get(f"mb_s_{direction}", 0.0))
            if value < limit:
                breaches.append(f"MB/s {direction} of {scenario} {value:.1f} < min {limit:g}")
    return breaches
