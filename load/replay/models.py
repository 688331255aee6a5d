"""Workload model presets for `--model`: names, `--set` overrides, and the listing with every source.

The presets (each module says what of it was verified against its source; details in load/README.md,
"Trace replay"):

- `zb-mixed` (`presets_zb.py`): two of zot's `zb` tests combined;
- `fast18-shape` and `ibm-dal-2017` (`presets_ibm.py`): the IBM Cloud registry traces of FAST '18,
  the first with this project's unverified numbers, the second with the figures Bolt (IEEE CLOUD 2019)
  reports for one day of them;
- `dockerhub-2019` (`presets_dockerhub.py`): Docker Hub's layer and image sizes, layer counts and pull
  skew as Zhao et al. measured them in 2017.

Override any parameter with `--set name=value` (numbers; `layer_sizes` as `SIZE:WEIGHT,...`,
`layer_counts` as `COUNT:WEIGHT,...`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from load.options import OptionError, SizeMix
from load.replay.model import CountMix, Model, ModelError
from load.replay.presets_dockerhub import DOCKERHUB
from load.replay.presets_ibm import FAST18_SHAPE, IBM_DAL
from load.replay.presets_zb import ZB_MIXED

PRESETS = {model.name: model for model in (ZB_MIXED, FAST18_SHAPE, IBM_DAL, DOCKERHUB)}


MIXES: dict[str, Callable[[str], Any]] = {"layer_sizes": SizeMix.parse, "layer_counts": CountMix.parse}


def _parse(key: str, current: Any, text: str) -> Any:
    mix = MIXES.get(key)  # a mix parameter may hold None (unused), so it is known by name, not by value
    if mix is not None:
        try:
            return mix(text)
        except OptionError as exc:
            raise ModelError(str(exc)) from exc
    if isinstance(current, bool):
        if text.lower() not in ("true", "false", "1", "0"):
            raise ModelError(f"not a boolean: {text!r}")
        return text.lower() in ("true", "1")
    try:
        return int(text) if isinstance(current, int) else float(text)
    except ValueError as exc:
        raise ModelError(f"not a number: {text!r}") from exc


def preset(name: str, sets: list[str] | tuple[str, ...] = ()) -> Model:
    """The preset `name` with `key=value` overrides applied."""
    model = PRESETS.get(name)
    if model is None:
        raise ModelError(f"unknown model {name!r}; presets: {', '.join(sorted(PRESETS))}")
    for item in sets:
        key, sep, text = item.partition("=")
        if not sep:
            raise ModelError(f"--set wants KEY=VALUE, got {item!r}")
        if key not in model.params:
            raise ModelError(f"model {name} has no parameter {key!r}")
        model = model.with_value(key, _parse(key, model.params[key].value, text))
    return model


def describe_all() -> str:
    """Every preset with each parameter's value, source and whether it was verified."""
    lines = []
    for model in PRESETS.values():
        lines.append(f"{model.name}: {model.description}")
        for name, param in model.params.items():
            mark = "verified" if param.verified else "NOT verified"
            lines.append(f"  {name} = {param.value}  [{mark}] {param.says} -- {param.source}")
        for figure in model.reported:
            lines.append(f"  reported {figure.name} = {figure.value:g}: '{figure.quote}' -- {figure.source}")
    return "\n".join(lines)
