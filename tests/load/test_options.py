"""Option parsing of the load package: sizes, size mixes, validation messages."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from load.options import OptionError, SizeMix, format_size, parse_size, settings_from


@pytest.mark.parametrize(("text", "expected"), [
    ("4096", 4096), ("1KiB", 1024), ("512k", 512 * 1024), ("10MiB", 10 * 1024**2), ("1MB", 1_000_000),
    ("1.5GiB", 1536 * 1024**2), ("100 MiB", 100 * 1024**2),
])
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "MiB", "10XB", "-1MiB", "ten"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(OptionError, match="not a size"):
        parse_size(text)


def test_size_mix_parses_weights_and_draws_them() -> None:
    mix = SizeMix.parse("1MiB:20,10MiB:70,100MiB:10")
    assert mix.sizes == (1024**2, 10 * 1024**2, 100 * 1024**2)
    assert mix.weights == (20, 70, 10)
    assert str(mix) == "1MiB:20,10MiB:70,100MiB:10"
    rng = random.Random(1)
    draws = [mix.pick(rng) for _ in range(5000)]
    share = draws.count(10 * 1024**2) / len(draws)
    assert 0.65 < share < 0.75
    assert SizeMix.parse("4KiB").weights == (1.0,)


@pytest.mark.parametrize("text", ["", "1MiB:0", "1MiB:x", "1MiB:-3"])
def test_size_mix_rejects(text: str) -> None:
    with pytest.raises(OptionError, match="--blob-sizes"):
        SizeMix.parse(text)


def test_format_size_round_trips() -> None:
    for size in (1, 1000, 1024, 3 * 1024**2, 2 * 1024**3):
        assert parse_size(format_size(size)) == size


def test_settings_defaults_and_validation() -> None:
    settings = settings_from(SimpleNamespace())
    assert settings.size_mix.sizes == (1024**2, 10 * 1024**2, 100 * 1024**2)
    assert settings.repos == 1 and settings.shape == "none" and settings.thresholds is None
    assert settings.repository(random.Random()) == "load/repo"
    many = settings_from(SimpleNamespace(repos="4", repo_prefix="ci/team"))
    assert {many.repository(random.Random(i)) for i in range(100)} == {f"ci/team/repo-{i}" for i in range(4)}
    with pytest.raises(OptionError, match="--verify-share"):
        settings_from(SimpleNamespace(verify_share="1.5"))
    with pytest.raises(OptionError, match="--layers"):
        settings_from(SimpleNamespace(layers="0"))
    with pytest.raises(OptionError, match="--repo-prefix"):
        settings_from(SimpleNamespace(repo_prefix="Bad Name"))
    with pytest.raises(OptionError, match="--shape"):
        settings_from(SimpleNamespace(shape="sawtooth"))
    assert (settings.layer_concurrency, settings.platform, settings.think_time) == (3, "linux/amd64", 0.0)
    with pytest.raises(OptionError, match="--layer-concurrency"):
        settings_from(SimpleNamespace(layer_concurrency="0"))
    with pytest.raises(OptionError, match="--platform"):
        settings_from(SimpleNamespace(platform="amd64"))
    with pytest.raises(OptionError, match="--think-time"):
        settings_from(SimpleNamespace(think_time="-1"))
    assert settings_from(SimpleNamespace(platform="linux/arm64/v8")).platform == "linux/arm64/v8"
