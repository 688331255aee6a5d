"""The gate's configuration: `gate.default.toml` (package data) merged with the user's `--config` file.

`load_config(path)` returns a validated, frozen `GateConfig`; anything unknown or mistyped raises
`GateConfigError` naming the key, so a typo can never switch a gate off. The load thresholds table is
kept as a plain dict and written out for Locust's `--thresholds` (`thresholds_toml`): the load package
validates it itself.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from conformance.switches import CATEGORIES

DEFAULT_NAME = "gate.default.toml"


class GateConfigError(ValueError):
    """The gate configuration cannot be used; the message names the file and key."""


@dataclass(frozen=True)
class ConformanceGate:
    """What the conformance step runs and tolerates."""

    enabled: bool
    categories: tuple[str, ...]
    modules: tuple[str, ...]
    select: str
    strict: bool
    max_failed: int
    max_errors: int
    pytest_args: tuple[str, ...]
    timeout_seconds: float
    expectations: str = ""
    expectations_strict: bool = False


@dataclass(frozen=True)
class LoadGate:
    """The headless load profile and its thresholds (the load package's format)."""

    enabled: bool
    scenarios: tuple[str, ...]
    users: int
    spawn_rate: float
    run_time: str
    blob_sizes: str
    locust_args: tuple[str, ...]
    timeout_seconds: float
    thresholds: dict[str, Any]


@dataclass(frozen=True)
class BaselineGate:
    """How a run is compared with a baseline load summary."""

    tolerance: float
    p95_slack_ms: float
    p95_row_types: tuple[str, ...]


@dataclass(frozen=True)
class GateConfig:
    """The whole configuration and where it came from."""

    source: str
    conformance: ConformanceGate
    load: LoadGate
    baseline: BaselineGate
    document: dict[str, Any]


def default_text() -> str:
    """The shipped default configuration file, commented."""
    return resources.files("conformance.reporting").joinpath(DEFAULT_NAME).read_text(encoding="utf-8")


def default_document() -> dict[str, Any]:
    """The shipped default configuration, decoded."""
    return tomllib.loads(default_text())


def merge(base: dict[str, Any], override: dict[str, Any], where: str = "") -> dict[str, Any]:
    """`override` over `base`, table by table; a key `base` does not have is an error."""
    merged = dict(base)
    for key, value in override.items():
        path = f"{where}{key}"
        if key not in base:
            if where == "load.thresholds.":  # the load package's own format: it validates its keys
                merged[key] = value
                continue
            raise GateConfigError(f"unknown key {path!r} (known here: {', '.join(sorted(base))})")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise GateConfigError(f"{path} must be a table")
            nested = path.startswith("load.thresholds.")  # the load package's tables: replaced whole
            merged[key] = value if nested else merge(base[key], value, path + ".")
        else:
            merged[key] = value
    return merged


def _typed(table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = table[key]
    if isinstance(value, bool) and kind is not bool:
        raise GateConfigError(f"{where}.{key}: expected {kind}, got {value!r}")
    if not isinstance(value, kind):
        raise GateConfigError(f"{where}.{key}: expected {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def _strings(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    values = _typed(table, key, list, where)
    if not all(isinstance(value, str) for value in values):
        raise GateConfigError(f"{where}.{key}: expected a list of strings, got {values!r}")
    return tuple(values)


def _number(table: dict[str, Any], key: str, where: str, minimum: float = 0) -> float:
    value = float(_typed(table, key, (int, float), where))
    if value < minimum:
        raise GateConfigError(f"{where}.{key}: must be >= {minimum:g}, got {value:g}")
    return value


def parse(document: dict[str, Any], source: str) -> GateConfig:
    """Validate a merged configuration document."""
    try:
        conformance, load, baseline = document["conformance"], document["load"], document["baseline"]
        categories = _strings(conformance, "categories", "conformance")
        unknown = sorted(set(categories) - set(CATEGORIES))
        if unknown:
            raise GateConfigError(f"conformance.categories: unknown {unknown} "
                                  f"(known: {', '.join(CATEGORIES)})")
        modules = _strings(conformance, "modules", "conformance")
        bad = [module for module in modules if "/" in module or not module.endswith(".py")]
        if bad:
            raise GateConfigError(f"conformance.modules: file names like 'test_tags.py' expected, got {bad}")
        gate = ConformanceGate(
            enabled=_typed(conformance, "enabled", bool, "conformance"),
            categories=categories,
            modules=modules,
            select=_typed(conformance, "select", str, "conformance"),
            strict=_typed(conformance, "strict", bool, "conformance"),
            max_failed=int(_number(conformance, "max_failed", "conformance")),
            max_errors=int(_number(conformance, "max_errors", "conformance")),
            pytest_args=_strings(conformance, "pytest_args", "conformance"),
            timeout_seconds=_number(conformance, "timeout_seconds", "conformance", 1),
            expectations=_typed(conformance, "expectations", str, "conformance"),
            expectations_strict=_typed(conformance, "expectations_strict", bool, "conformance"),
        )
        load_gate = LoadGate(
            enabled=_typed(load, "enabled", bool, "load"),
            scenarios=_strings(load, "scenarios", "load"),
            users=int(_number(load, "users", "load", 1)),
            spawn_rate=_number(load, "spawn_rate", "load", 0.001),
            run_time=_typed(load, "run_time", str, "load"),
            blob_sizes=_typed(load, "blob_sizes", str, "load"),
            locust_args=_strings(load, "locust_args", "load"),
            timeout_seconds=_number(load, "timeout_seconds", "load", 1),
            thresholds=_typed(load, "thresholds", dict, "load"),
        )
        baseline_gate = BaselineGate(
            tolerance=_number(baseline, "tolerance", "baseline"),
            p95_slack_ms=_number(baseline, "p95_slack_ms", "baseline"),
            p95_row_types=_strings(baseline, "p95_row_types", "baseline"),
        )
    except GateConfigError as exc:
        raise GateConfigError(f"{source}: {exc}") from None
    if load_gate.enabled and not load_gate.scenarios:
        raise GateConfigError(f"{source}: load.scenarios is empty (set load.enabled = false to skip load)")
    return GateConfig(source, gate, load_gate, baseline_gate, document)


def load_config(path: Path | None) -> GateConfig:
    """The default configuration, with `path` (when given) merged over it."""
    document = default_document()
    if path is None:
        return parse(document, f"(default {DEFAULT_NAME})")
    try:
        override = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GateConfigError(f"cannot read gate config {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise GateConfigError(f"gate config {path} is not valid TOML: {exc}") from exc
    try:
        merged = merge(document, override)
    except GateConfigError as exc:
        raise GateConfigError(f"{path}: {exc}") from None
    return parse(merged, str(path))


def _toml_value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v, where)}" for k, v in value.items()) + " }"
    raise GateConfigError(f"load.thresholds{where}: cannot use {value!r}")


def thresholds_toml(thresholds: dict[str, Any]) -> str:
    """The thresholds table as a TOML file for Locust's --thresholds (scalars first, then tables)."""
    lines = [f"{json.dumps(key)} = {_toml_value(value, '.' + key)}"
             for key, value in thresholds.items() if not isinstance(value, dict)]
    for key, value in thresholds.items():
        if isinstance(value, dict):
            lines.append(f"[{json.dumps(key)}]")
            lines += [f"{json.dumps(name)} = {_toml_value(item, f'.{key}.{name}')}"
                      for name, item in value.items()]
    return "\n".join(lines) + "\n"
