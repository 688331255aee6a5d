"""The load run's own command-line options (Locust custom arguments, each also settable from the environment).

`add_arguments(parser)` is called from Locust's `init_command_line_parser` event; `settings_from(options)`
turns the parsed namespace into a typed, validated `LoadSettings`. Size and size-mix parsing live here too.
This module never imports locust: the parser is handed in.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

UNITS = {
    "": 1, "b": 1,
    "k": 1024, "kib": 1024, "kb": 1000,
    "m": 1024**2, "mib": 1024**2, "mb": 1000**2,
    "g": 1024**3, "gib": 1024**3, "gb": 1000**3,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
SHAPES = ("none", "step", "spike", "soak")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_NAME = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
DEFAULT_SIZE_MIX = "1MiB:20,10MiB:70,100MiB:10"
_PLATFORM = re.compile(r"[a-z0-9_]+/[a-z0-9_]+(?:/[a-z0-9_]+)?")


class OptionError(ValueError):
    """An option value that cannot be used; the message names the option."""


def parse_size(text: str) -> int:
    """Parse `10MiB`, `1MB`, `512k`, `4096` into bytes (binary units for KiB/MiB/GiB and k/m/g)."""
    match = _SIZE.match(text)
    if not match or match.group(2).lower() not in UNITS:
        raise OptionError(f"not a size: {text!r} (use e.g. 512KiB, 10MiB, 1GB)")
    return int(float(match.group(1)) * UNITS[match.group(2).lower()])


def format_size(size: int) -> str:
    """Render bytes the way a size mix spells them (`10MiB`, `512KiB`, `100B`)."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{size}B"


def _size(flag: str, text: str) -> int:
    try:
        return parse_size(text)
    except OptionError as exc:
        raise OptionError(f"{flag}: {exc}") from exc


def parse_weighted(text: str, flag: str,
                   value: Callable[[str], int]) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Values and weights of `VALUE[:WEIGHT],...`: a missing weight is 1, none negative, one positive.

    `value` parses one value and raises OptionError for a bad one; every message names `flag`.
    """
    values: list[int] = []
    weights: list[float] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        value_text, _, weight_text = item.partition(":")
        try:
            weight = float(weight_text) if weight_text else 1.0
        except ValueError as exc:
            raise OptionError(f"{flag}: bad weight in {item!r}") from exc
        if weight < 0:
            raise OptionError(f"{flag}: negative weight in {item!r}")
        values.append(value(value_text))
        weights.append(weight)
    if not values or sum(weights) <= 0:
        raise OptionError(f"{flag}: nothing with a positive weight in {text!r}")
    return tuple(values), tuple(weights)


@dataclass(frozen=True)
class SizeMix:
    """Blob sizes with relative weights, e.g. `1MiB:20,10MiB:70,100MiB:10`."""

    sizes: tuple[int, ...]
    weights: tuple[float, ...]

    @classmethod
    def parse(cls, text: str) -> SizeMix:
        """Parse `SIZE[:WEIGHT],...`; a missing weight is 1."""
        sizes, weights = parse_weighted(text, "--blob-sizes", lambda size: _size("--blob-sizes", size))
        return cls(sizes, weights)

    def pick(self, rng: random.Random) -> int:
        """Draw one size according to the weights."""
        return rng.choices(self.sizes, self.weights)[0]

    def __str__(self) -> str:
        return ",".join(f"{format_size(s)}:{w:g}" for s, w in zip(self.sizes, self.weights, strict=True))


@dataclass(frozen=True)
class LoadSettings:
    """Everything the scenarios read from the command line, validated."""

    size_mix: SizeMix
    layers: int
    repos: int
    repo_prefix: str
    chunk_size: int
    range_size: int
    verify_share: float
    pull_images: int
    layer_concurrency: int
    platform: str
    think_time: float
    request_timeout: float
    rate_limit_budget: float
    pool_size: int
    shape: str
    shape_users: int
    shape_seconds: float
    step_count: int
    thresholds: Path | None
    run_dir: str
    ledger: Path | None
    bearer_token: str
    docker_config: str
    target: str

    def repository(self, rng: random.Random) -> str:
        """A repository name for one operation: one fixed repository, or one of `repos`."""
        if self.repos <= 1:
            return f"{self.repo_prefix}/repo"
        return f"{self.repo_prefix}/repo-{rng.randrange(self.repos)}"


# (flag, env var, default, help); every flag is a string on the command line and parsed by settings_from.
ARGUMENTS: tuple[tuple[str, str, str, str], ...] = (
    ("--blob-sizes", "LOAD_BLOB_SIZES", DEFAULT_SIZE_MIX, "blob size mix SIZE:WEIGHT,... (zb's 20/70/10)"),
    ("--layers", "LOAD_LAYERS", "3", "layers per image for image push/pull scenarios"),
    ("--repos", "LOAD_REPOS", "1", "spread operations over N repositories (1 = all in one)"),
    ("--repo-prefix", "LOAD_REPO_PREFIX", "load", "repository namespace for everything the run pushes"),
    ("--chunk-size", "LOAD_CHUNK_SIZE", "5MiB", "PATCH chunk size for chunked pushes"),
    ("--range-size", "LOAD_RANGE_SIZE", "1MiB", "bytes asked for by Range GETs"),
    ("--verify-share", "LOAD_VERIFY_SHARE", "0.1", "share (0..1) of pulled blobs whose sha256 is verified"),
    ("--pull-images", "LOAD_PULL_IMAGES", "3", "images (sharing a base layer) in the image-pull set"),
    ("--layer-concurrency", "LOAD_LAYER_CONCURRENCY", "3",
     "concurrent layer downloads per image pull (containerd's max_concurrent_downloads is 3)"),
    ("--platform", "LOAD_PLATFORM", "linux/amd64", "platform an image pull picks from an index (os/arch)"),
    ("--think-time", "LOAD_THINK_TIME", "0", "seconds each user waits between two tasks (0 = back to back)"),
    ("--request-timeout", "LOAD_REQUEST_TIMEOUT", "120", "seconds before any single request times out"),
    ("--rate-limit-budget", "LOAD_RATE_LIMIT_BUDGET", "60",
     "seconds one request may wait in all for 429 / 503-with-Retry-After retries before it gives up"),
    ("--pool-size", "LOAD_POOL_SIZE", "64MiB", "size of the random content pool per process"),
    ("--shape", "LOAD_SHAPE", "none", "load shape: none (use -u/-r/-t), step, spike, soak"),
    ("--shape-users", "LOAD_SHAPE_USERS", "20", "peak users of the load shape"),
    ("--shape-seconds", "LOAD_SHAPE_SECONDS", "60", "total length of the load shape in seconds"),
    ("--step-count", "LOAD_STEP_COUNT", "5", "number of steps of the step shape"),
    ("--thresholds", "LOAD_THRESHOLDS", "", "TOML file with CI thresholds (exit 3 on a breach)"),
    ("--run-dir", "LOAD_RUN_DIR", "", "where headless runs write reports (default reports/load/<utc>)"),
    ("--ledger", "LOAD_LEDGER", "", "append one JSON line per pushed blob (digest, size, repo) to this file"),
    ("--bearer-token", "OCI_TOKEN", "", "send this Bearer token (hook for token auth)"),
    ("--docker-config", "DOCKER_CONFIG", "", "docker config.json (or its folder) to take credentials from"),
    ("--target", "LOAD_TARGET", "reference", "registry to start when no --host: reference or distribution"),
)


def add_arguments(parser: Any) -> None:
    """Register the load options on Locust's (configargparse) parser, in their own group."""
    group = parser.add_argument_group("registry-harness load", "options of the registry load scenarios")
    for flag, env_var, default, help_text in ARGUMENTS:
        extra: dict[str, Any] = {}
        if flag == "--shape":
            extra["choices"] = list(SHAPES)
        if flag == "--target":
            extra["choices"] = ["reference", "distribution"]
        group.add_argument(flag, type=str, default=default, env_var=env_var,
                           help=f"{help_text} [env {env_var}, default {default!r}]", **extra)


def _number(options: Any, name: str, kind: type[int] | type[float], minimum: float) -> Any:
    raw: Any = getattr(options, name, None)
    flag = "--" + name.replace("_", "-")
    try:
        value = kind(raw)
    except (TypeError, ValueError) as exc:
        raise OptionError(f"{flag}: not a number: {raw!r}") from exc
    if value < minimum:
        raise OptionError(f"{flag}: must be >= {minimum}, got {value}")
    return value


def _default(name: str) -> str:
    for flag, _, default, _ in ARGUMENTS:
        if flag == "--" + name.replace("_", "-"):
            return default
    raise KeyError(name)


def settings_from(options: Any) -> LoadSettings:
    """Validate the parsed options (missing attributes take their defaults) into `LoadSettings`."""

    def text(name: str) -> str:
        value = getattr(options, name, None)
        return _default(name) if value is None else str(value)

    class _Filled:
        def __getattr__(self, name: str) -> str:
            return text(name)

    filled = _Filled()
    verify_share = _number(filled, "verify_share", float, 0.0)
    if verify_share > 1:
        raise OptionError(f"--verify-share: must be between 0 and 1, got {verify_share}")
    shape = text("shape")
    if shape not in SHAPES:
        raise OptionError(f"--shape: one of {', '.join(SHAPES)}, got {shape!r}")
    chunk_size = _size("--chunk-size", text("chunk_size"))
    if chunk_size <= 0:
        raise OptionError("--chunk-size: must be > 0")
    prefix = text("repo_prefix").strip("/")
    if not _NAME.fullmatch(prefix):
        raise OptionError(f"--repo-prefix: not a valid repository name component: {prefix!r}")
    thresholds = text("thresholds")
    ledger = text("ledger")
    platform = text("platform").strip()
    if not _PLATFORM.fullmatch(platform):
        raise OptionError(f"--platform: not os/arch[/variant]: {platform!r} (e.g. linux/amd64)")
    return LoadSettings(
        size_mix=SizeMix.parse(text("blob_sizes")),
        layers=_number(filled, "layers", int, 1),
        repos=_number(filled, "repos", int, 1),
        repo_prefix=prefix,
        chunk_size=chunk_size,
        range_size=max(1, _size("--range-size", text("range_size"))),
        verify_share=verify_share,
        pull_images=_number(filled, "pull_images", int, 1),
        layer_concurrency=_number(filled, "layer_concurrency", int, 1),
        platform=platform,
        think_time=_number(filled, "think_time", float, 0.0),
        request_timeout=_number(filled, "request_timeout", float, 0.1),
        rate_limit_budget=_number(filled, "rate_limit_budget", float, 0.0),
        pool_size=max(1024 * 1024, _size("--pool-size", text("pool_size"))),
        shape=shape,
        shape_users=_number(filled, "shape_users", int, 1),
        shape_seconds=_number(filled, "shape_seconds", float, 1.0),
        step_count=_number(filled, "step_count", int, 1),
        thresholds=Path(thresholds) if thresholds else None,
        run_dir=text("run_dir"),
        ledger=Path(ledger) if ledger else None,
        bearer_token=text("bearer_token"),
        docker_config=text("docker_config"),
        target=text("target"),
    )
