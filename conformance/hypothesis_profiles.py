"""Hypothesis profiles of the property and stateful checks, and where their example database lives.

Profiles (`settings.register_profile`):

    registry-default    fast: the whole property + stateful set in ~20-30 s against the bundled server
    registry-thorough   many more examples and longer state-machine runs (minutes)

Choose one with Hypothesis' own option, `pytest conformance --hypothesis-profile registry-thorough`, or
with `REGISTRY_HARNESS_HYPOTHESIS_PROFILE=registry-thorough`. Checks take their settings from
`check_settings()`: the chosen registry-* profile, else registry-default (a profile that is not one of
ours, e.g. Hypothesis' "default", does not change how many requests a check sends).

Every profile: `deadline=None` (network calls vary in duration, a deadline would flag a slow registry as
flaky), `print_blob=True` (the failure report says how to replay the example), one bug reported per
check (the minimal one), no `explain` phase, no health check suppressed
(checks use only session-scoped fixtures, so `function_scoped_fixture` never fires), and an example
database under `reports/hypothesis/` of the invocation directory (git-ignored; override with
`REGISTRY_HARNESS_HYPOTHESIS_DB`, or set it to `none` for no database).

`register_profiles(config)` must run before Hypothesis' own `pytest_configure` loads a profile named on
the command line. This module is also a tiny pytest plugin doing exactly that (a `tryfirst`
`pytest_configure`): list it in the conformance plugin's `pytest_plugins`, or pass
`-p conformance.hypothesis_profiles`. Calling `register_profiles` again is harmless.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, Verbosity, settings
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase

DEFAULT = "registry-default"
THOROUGH = "registry-thorough"
PROFILES = (DEFAULT, THOROUGH)
PROFILE_ENV = "REGISTRY_HARNESS_HYPOTHESIS_PROFILE"
DATABASE_ENV = "REGISTRY_HARNESS_HYPOTHESIS_DB"
DATABASE_DIR = Path("reports") / "hypothesis"

PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)
"""Every phase but `explain` (which re-runs examples many times: too many requests for a registry)."""

_PROFILE_SETTINGS: dict[str, dict[str, Any]] = {
    DEFAULT: {"max_examples": 24, "stateful_step_count": 12},
    THOROUGH: {"max_examples": 200, "stateful_step_count": 40},
}


def example_database(base: Path | None = None) -> ExampleDatabase | None:
    """The example database: `$REGISTRY_HARNESS_HYPOTHESIS_DB`, else `<base or cwd>/reports/hypothesis`."""
    chosen = os.environ.get(DATABASE_ENV)
    if chosen is not None and chosen.strip().lower() in ("", "none", "off"):
        return None
    path = Path(chosen) if chosen else (base or Path.cwd()) / DATABASE_DIR
    return DirectoryBasedExampleDatabase(str(path))


def register_profiles(config: Any = None) -> None:
    """Register the registry-* profiles (database under the invocation directory when `config` is given)."""
    base = None
    if config is not None:
        invocation = getattr(config, "invocation_params", None)
        base = Path(invocation.dir) if invocation is not None else None
    database = example_database(base)
    for name, values in _PROFILE_SETTINGS.items():
        settings.register_profile(
            name,
            # Hypothesis' built-in profile as the parent, never whatever happens to be loaded or active
            # when this runs (a test's own @settings would otherwise leak in, e.g. suppressed health checks).
            parent=settings.get_profile("default"),
            deadline=None,
            print_blob=True,
            database=database,
            verbosity=Verbosity.normal,
            phases=PHASES,
            report_multiple_bugs=False,
            **values,
        )


def chosen_profile() -> str:
    """The registry-* profile in force: the env variable, else the loaded profile if ours, else default."""
    from_env = os.environ.get(PROFILE_ENV)
    if from_env:
        if from_env not in PROFILES:
            raise ValueError(f"{PROFILE_ENV}={from_env!r}: known profiles are {', '.join(PROFILES)}")
        return from_env
    loaded = settings.get_current_profile_name()
    return loaded if loaded in PROFILES else DEFAULT


def check_settings(scale: float = 1.0, **overrides: Any) -> settings:
    """Settings for a property or stateful check: the chosen profile, `max_examples` times `scale`.

    `scale` lets an expensive check (many requests per example) run fewer examples than a cheap one
    while keeping the ratio between profiles; `overrides` set any other setting.
    """
    try:
        profile = settings.get_profile(chosen_profile())
    except Exception:  # registered by the plugin normally; a bare import still works
        register_profiles()
        profile = settings.get_profile(chosen_profile())
    overrides.setdefault("max_examples", max(1, round(profile.max_examples * scale)))
    return settings(profile, **overrides)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """As a pytest plugin: register the profiles before Hypothesis loads the one named on the command line."""
    register_profiles(config)
