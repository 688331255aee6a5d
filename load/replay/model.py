"""What a workload model is: named parameters, each with its source and whether it was checked there.

`Param.verified` means the value was checked against the source the parameter names (which says
itself whether it is a published paper, a submission, a draft or a reader's notes); an unverified value
is this project's choice or estimate and says so. `Reported` holds a figure a source gives about real
traffic or a real registry, with its verbatim quote: the tests generate traces and measure each one.
The presets themselves live in `presets_*.py`; `models.py` names them for `--model`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any

from load.options import OptionError, parse_weighted

HARNESS = "registry-harness choice (no published value)"
DEFAULT_REQUESTS = 2000


class ModelError(ValueError):
    """An unknown preset or a bad `--set`."""


@dataclass(frozen=True)
class Param:
    """One model parameter: its value, where the value comes from, and whether it was checked there."""

    value: Any
    source: str
    says: str
    verified: bool


def _count(text: str) -> int:
    try:
        count = int(text)
    except ValueError as exc:
        raise OptionError(f"layer_counts: not a whole number of layers: {text!r}") from exc
    if count < 1:
        raise OptionError(f"layer_counts: an image has at least one layer, got {count}")
    return count


@dataclass(frozen=True)
class CountMix:
    """Layers per image with relative weights, e.g. `1:2,8:30,120:1` (`--set layer_counts=...`)."""

    counts: tuple[int, ...]
    weights: tuple[float, ...]

    @classmethod
    def parse(cls, text: str) -> CountMix:
        """Parse `COUNT[:WEIGHT],...`: every count a positive integer (weights as for `SizeMix`)."""
        try:
            counts, weights = parse_weighted(text, "layer_counts", _count)
        except OptionError as exc:
            raise ModelError(str(exc)) from exc
        return cls(counts, weights)

    def pick(self, rng: random.Random) -> int:
        """Draw one layer count according to the weights."""
        return rng.choices(self.counts, self.weights)[0]

    def mean(self) -> float:
        return sum(c * w for c, w in zip(self.counts, self.weights, strict=True)) / sum(self.weights)

    def __str__(self) -> str:
        return ",".join(f"{c}:{w:g}" for c, w in zip(self.counts, self.weights, strict=True))


@dataclass(frozen=True)
class Reported:
    """A figure a source reports about real registry traffic or content, which generated traces reproduce."""

    name: str
    value: float
    source: str
    quote: str


@dataclass(frozen=True)
class Model:
    """A named workload model (`reported`: the source's figures its traces are tested against)."""

    name: str
    description: str
    params: dict[str, Param]
    reported: tuple[Reported, ...] = ()

    def __getitem__(self, name: str) -> Any:
        return self.params[name].value

    def with_value(self, name: str, value: Any) -> Model:
        """A copy with one parameter overridden (the source then says so)."""
        if name not in self.params:
            names = ", ".join(sorted(self.params))
            raise ModelError(f"model {self.name} has no parameter {name!r} (has {names})")
        params = dict(self.params)
        params[name] = Param(value, "--set on the command line", "overridden by the user", False)
        return replace(self, params=params)

    def mean_layers(self) -> float:
        """Mean layers per image: of `layer_counts` when set, else of the uniform `layers_min..layers_max`."""
        counts = self["layer_counts"]
        if isinstance(counts, CountMix):
            return counts.mean()
        return float(self["layers_min"] + self["layers_max"]) / 2

    def expected_mix(self) -> dict[str, float]:
        """Expected share of each `METHOD route status` in a generated trace (what the tests check)."""
        layers = self.mean_layers()
        pull, missing = self["pull_share"], self["missing_share"]
        counts: dict[str, float] = {}

        def add(key: str, n: float) -> None:
            counts[key] = counts.get(key, 0.0) + n

        found = pull * (1 - missing)
        if self["head_before_get"]:
            add("HEAD manifest 200", found)
            add("HEAD manifest 404", pull * missing)
        else:
            add("GET manifest 404", pull * missing)
        add("GET manifest 200", found)
        add("GET blob 200", found * (1 + layers * (1 - self["cached_share"])))
        push = 1 - pull
        new_blobs = layers * (1 - self["existing_share"]) + 1
        if self["push_head"]:
            add("HEAD blob 404", push * new_blobs)
            add("HEAD blob 200", push * layers * self["existing_share"])
        add("POST upload 202", push * new_blobs)
        if self["chunked_push"]:
            add("PATCH upload 202", push * new_blobs)
        add("PUT upload 201", push * new_blobs)
        add("PUT manifest 201", push)
        total = sum(counts.values())
        return {key: n / total for key, n in sorted(counts.items()) if n > 0}


def param(value: Any, source: str, says: str, verified: bool) -> Param:
    """A `Param` (short for the preset tables)."""
    return Param(value, source, says, verified)

