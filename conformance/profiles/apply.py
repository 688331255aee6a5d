"""`--registry-profile NAME` (env REGISTRY_HARNESS_PROFILE): a profile's settings as defaults of a run.

`add_profile_option()` registers the option in the conformance group; `apply_profile()` takes the
`RunConfig` that `conformance.options.resolve_config` built and fills in what the profile documents, but
ONLY where the run's value is still the harness default: a command-line option or an OCI_* variable
always wins (`sources` then keeps "cli" / the variable). A value taken from the profile gets the source
`--registry-profile NAME` (a switch: `--registry-profile NAME: <reason>`, which `off_reason` shows).

`AppliedProfile.as_json()` is results.json's `config.profile`: the profile's name, title, how it was
selected, every setting with its value, whether it was applied or overridden (and by what), its source URL
and what that page says, the notes (known limits) and what the profile leaves unset and why.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.options import GROUP, RunConfig
from conformance.profiles import EXPECTATIONS_DIR, PROFILE_NAMES, Profile, Setting, load_profile
from conformance.spec.grammar import NAME_RE

PROFILE_ENV = "REGISTRY_HARNESS_PROFILE"


def add_profile_option(parser: pytest.Parser) -> None:
    """Register --registry-profile in the "registry-harness conformance" group."""
    group = parser.getgroup("registry-harness", GROUP)
    group.addoption("--registry-profile", metavar="NAME", default=None,
                    help=f"defaults documented for a known registry: {', '.join(PROFILE_NAMES)} (explicit "
                         f"options and OCI_* variables win; env: {PROFILE_ENV}; see conformance/profiles/)")


@dataclass
class AppliedProfile:
    """A profile as applied to one run: each setting, and whether the run took it or overrode it."""

    profile: Profile
    selected_by: str
    entries: list[dict[str, Any]] = field(default_factory=list)

    def record(self, setting: Setting, value: Any, overridden_by: str | None) -> None:
        """Note `setting` (with the `value` it gave) as applied, or as overridden by `overridden_by`."""
        entry = setting.as_json() | {"value": value, "applied": overridden_by is None,
                                     "overridden_by": overridden_by}
        self.entries.append(entry)

    @property
    def label(self) -> str:
        """The source recorded for a value taken from this profile."""
        return f"--registry-profile {self.profile.name}"

    def as_json(self) -> dict[str, Any]:
        """results.json's `config.profile` block."""
        return {
            "name": self.profile.name,
            "title": self.profile.title,
            "selected_by": self.selected_by,
            "file": f"conformance/profiles/{self.profile.path.name}",
            "settings": self.entries,
            "notes": [note.as_json() for note in self.profile.notes],
            "unset": dict(self.profile.unset),
        }

    def header_lines(self) -> list[str]:
        """The terminal header lines: what the profile set, what was overridden, its notes."""
        applied = [f"{entry['setting']}={_shown(entry['value'])}" for entry in self.entries
                   if entry["applied"]]
        overridden = [f"{entry['setting']} (by {entry['overridden_by']})" for entry in self.entries
                      if not entry["applied"]]
        line = (f"profile {self.profile.name} ({self.profile.title}): "
                f"{', '.join(applied) or 'no setting applied'}")
        if overridden:
            line += f"; overridden: {', '.join(overridden)}"
        return [line, *(f"profile note: {note.value}" for note in self.profile.notes)]


PROFILE_KEY = pytest.StashKey[AppliedProfile | None]()
"""Where the plugin keeps the applied profile of a session (None: no profile)."""


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _overriding(sources: Mapping[str, str], name: str) -> str | None:
    source = sources.get(name, "default")
    return None if source == "default" else source


def selected_profile(config: pytest.Config, env: Mapping[str, str]) -> tuple[Profile, str] | None:
    """The profile the run names (command line, else REGISTRY_HARNESS_PROFILE), or None.

    An unknown name is a usage error (exit 4) naming the known profiles.
    """
    name, selected_by = config.getoption("registry_profile"), "cli"
    if not name:
        name, selected_by = env.get(PROFILE_ENV), PROFILE_ENV
    if not name:
        return None
    try:
        return load_profile(name), selected_by
    except KeyError:
        flag = "--registry-profile" if selected_by == "cli" else PROFILE_ENV
        raise pytest.UsageError(f"{flag} {name!r} is not a known registry profile; known: "
                                f"{', '.join(PROFILE_NAMES)}") from None


def apply_profile(
    run_config: RunConfig, config: pytest.Config, env: Mapping[str, str] | None = None
) -> tuple[RunConfig, AppliedProfile | None]:
    """`run_config` with the selected profile's settings where the run kept the harness default."""
    env = os.environ if env is None else env
    selected = selected_profile(config, env)
    if selected is None:
        return run_config, None
    profile, selected_by = selected
    applied = AppliedProfile(profile, selected_by)
    sources = dict(run_config.sources)
    changes: dict[str, Any] = {}
    if profile.url is not None:
        overridden = _overriding(sources, "url")
        applied.record(profile.url, profile.url.value if overridden is None else run_config.url, overridden)
        if overridden is None:
            changes["url"], sources["url"] = profile.url.value, applied.label
    if profile.namespace is not None:
        overridden = _overriding(sources, "namespace")
        if overridden is None:
            namespace = _profile_namespace(profile, env)
            changes["namespace"], sources["namespace"] = namespace, applied.label
            changes["read_only_data"] = dataclasses.replace(run_config.read_only_data, repository=namespace)
        applied.record(profile.namespace, changes.get("namespace", run_config.namespace), overridden)
    switches = dict(run_config.switches)
    for setting in profile.switches:
        name = setting.key.removeprefix("switches.")
        overridden = _overriding(sources, name)
        applied.record(setting, setting.value if overridden is None else switches[name], overridden)
        if overridden is None:
            switches[name], sources[name] = setting.value, f"{applied.label}: {setting.reason}"
    if profile.expectations is not None:
        overridden = "--registry-expectations" if run_config.expectations is not None else None
        applied.record(profile.expectations, str(profile.expectations.value), overridden)
        if overridden is None:
            changes["expectations"] = EXPECTATIONS_DIR / str(profile.expectations.value)
            sources["expectations"] = applied.label
    if profile.auth is not None:
        applied.record(profile.auth, profile.auth.value, None)
    return dataclasses.replace(run_config, switches=switches, sources=sources, **changes), applied


def _profile_namespace(profile: Profile, env: Mapping[str, str]) -> str:
    username = env.get("OCI_USERNAME", "")
    if not username:
        raise pytest.UsageError(f"--registry-profile {profile.name} derives the namespace from OCI_USERNAME "
                                f"({profile.namespace.value if profile.namespace else ''}): set OCI_USERNAME "
                                "(with OCI_PASSWORD) or give --registry-namespace")
    namespace = profile.namespace_for(username)
    if not NAME_RE.match(namespace):
        raise pytest.UsageError(f"--registry-profile {profile.name}: OCI_USERNAME {username!r} gives the "
                                f"namespace {namespace!r}, which is not a valid repository name; give "
                                "--registry-namespace")
    return namespace


def profile_json(applied: AppliedProfile | None) -> dict[str, Any] | None:
    """results.json's `config.profile`: the applied profile, or None."""
    return applied.as_json() if applied is not None else None

