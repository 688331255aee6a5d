"""Gate configuration: default, merging, refusal of unknown keys, thresholds accepted by the load package."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from conformance.reporting.gate_config import GateConfigError, load_config, thresholds_toml
from load import thresholds as load_thresholds


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gate.toml"
    path.write_text(text)
    return path


def test_default_config_gates_every_category_with_load_thresholds() -> None:
    config = load_config(None)
    assert config.conformance.categories == ("pull", "push", "content_discovery", "content_management")
    assert config.conformance.modules == () and config.conformance.max_failed == 0
    assert config.load.enabled and config.load.scenarios
    parsed = load_thresholds.parse(tomllib.loads(thresholds_toml(config.load.thresholds)))
    assert parsed.max_fail_ratio == 0.0 and parsed.min_mb_s == {"total": {"up": 1.0, "down": 1.0}}


def test_user_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = write(tmp_path, '[conformance]\nmodules = ["test_ping.py"]\n[load]\nrun_time = "5s"\n'
                           '[load.thresholds.max_p95_ms]\n"OP push blob (monolithic)" = 2000\n')
    config = load_config(path)
    assert config.conformance.modules == ("test_ping.py",)
    assert config.conformance.categories == load_config(None).conformance.categories
    assert config.load.run_time == "5s" and config.load.users == load_config(None).load.users
    parsed = load_thresholds.parse(tomllib.loads(thresholds_toml(config.load.thresholds)))
    assert parsed.max_p95_ms == {"OP push blob (monolithic)": 2000.0}
    assert parsed.min_mb_s == {"total": {"up": 1.0, "down": 1.0}}


@pytest.mark.parametrize(("text", "message"), [
    ("[conformance]\nmax_failures = 3\n", "unknown key 'conformance.max_failures'"),
    ("[conformnce]\n", "unknown key 'conformnce'"),
    ('[conformance]\ncategories = ["pulls"]\n', "conformance.categories: unknown ['pulls']"),
    ('[conformance]\nmodules = ["suites/test_ping.py"]\n', "file names like 'test_tags.py'"),
    ("[load]\nusers = 0\n", "load.users: must be >= 1"),
    ("[load]\nenabled = 1\n", "load.enabled: expected bool"),
    ("[baseline]\ntolerance = true\n", "baseline.tolerance: expected"),
    ("[load]\nscenarios = []\n", "load.scenarios is empty"),
    ("[load\n", "is not valid TOML"),
])
def test_bad_config_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(GateConfigError) as caught:
        load_config(write(tmp_path, text))
    assert message in str(caught.value)
    assert str(tmp_path / "gate.toml") in str(caught.value)
