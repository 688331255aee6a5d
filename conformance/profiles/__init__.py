"""Registry profiles: what is publicly documented about a hosted or well-known registry, as data.

One TOML file per profile lies beside this module (`ghcr.toml`, `dockerhub.toml`, ...). `load_profile(name)`
reads one with `tomllib` and validates it into a `Profile`; `PROFILE_NAMES` lists the shipped ones.
`conformance.profiles.apply` turns a profile into DEFAULTS of a run (any explicit option or variable wins).

A profile file may hold, each as a table with `value`, `source` (an https URL of the registry's own public
documentation) and `says` (what that page says, in our words):

    name, title                  the profile's name (the file's stem) and a human title
    [url]                        the registry URL, only when the registry is one public host
    [namespace]                  the namespace shape; `{username}` is OCI_USERNAME, lowercased
    [switches.<switch>]          a switch that defaults differently (bool `value`, plus a short `reason`)
    [auth]                       how the registry authenticates (informative)
    [expectations]               an expectations file (a path relative to conformance/expectations/)
    [[notes]]                    known limits and facts the harness cannot set but reports
    [unset]                      what the profile deliberately leaves unset, key -> why (no documented fact)

Nothing without a `source` and `says` is accepted: a default nobody can look up is a default invented.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from conformance.spec.grammar import NAME_RE
from conformance.switches import SWITCHES_BY_NAME

PROFILES_DIR = Path(__file__).resolve().parent
EXPECTATIONS_DIR = PROFILES_DIR.parent / "expectations"
PROFILE_NAMES: tuple[str, ...] = tuple(sorted(path.stem for path in PROFILES_DIR.glob("*.toml")))
"""The shipped profiles (one TOML file each in this folder)."""

SETTING_KEYS = frozenset({"value", "source", "says"})
TOP_KEYS = frozenset({"name", "title", "url", "namespace", "switches", "auth", "expectations", "notes",
                      "unset"})
NAMESPACE_FIELDS = frozenset({"username"})
_URL_RE = re.compile(r"^https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(/\S*)?$")
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")


class ProfileError(ValueError):
    """A profile file that does not follow the format (a bug of the shipped data, or of a user's file)."""


@dataclass(frozen=True)
class Setting:
    """One documented default: its value, the documentation page it rests on and what that page says."""

    key: str
    value: Any
    source: str
    says: str
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        """The setting for results.json."""
        data: dict[str, Any] = {"setting": self.key, "value": self.value, "source": self.source,
                                "says": self.says}
        if self.reason:
            data["reason"] = self.reason
        return data


@dataclass(frozen=True)
class Profile:
    """A validated registry profile (see the module docstring for the file format)."""

    name: str
    title: str
    path: Path
    url: Setting | None = None
    namespace: Setting | None = None
    switches: tuple[Setting, ...] = ()
    auth: Setting | None = None
    expectations: Setting | None = None
    notes: tuple[Setting, ...] = ()
    unset: Mapping[str, str] = field(default_factory=dict)

    def settings(self) -> tuple[Setting, ...]:
        """Every setting with a source, in file order of kinds (url, namespace, switches, auth, ...)."""
        single = (self.url, self.namespace, *self.switches, self.auth, self.expectations)
        return tuple(setting for setting in single if setting is not None) + self.notes

    def namespace_for(self, username: str) -> str:
        """The namespace the profile's template gives for `username` (lowercased, as registries require)."""
        if self.namespace is None:
            raise ProfileError(f"profile {self.name!r} has no namespace template")
        return str(self.namespace.value).format(username=username.lower())


def _setting(name: str, key: str, raw: object, *, extra: frozenset[str] = frozenset()) -> Setting:
    if not isinstance(raw, dict):
        raise ProfileError(f"profile {name!r}: [{key}] must be a table with value, source and says")
    missing = SETTING_KEYS - raw.keys()
    unknown = raw.keys() - SETTING_KEYS - extra
    if missing or unknown:
        raise ProfileError(f"profile {name!r}: [{key}] needs exactly value, source, says"
                           f"{' and ' + ', '.join(sorted(extra)) if extra else ''} "
                           f"(missing {sorted(missing)}, unknown {sorted(unknown)})")
    source, says = raw["source"], raw["says"]
    if not isinstance(source, str) or not _URL_RE.match(source):
        raise ProfileError(f"profile {name!r}: [{key}] source {source!r} is not an https URL")
    if not isinstance(says, str) or len(says.strip()) < 10:
        raise ProfileError(f"profile {name!r}: [{key}] says must state what the source says")
    reason = raw.get("reason", "")
    if not isinstance(reason, str):
        raise ProfileError(f"profile {name!r}: [{key}] reason must be a string")
    return Setting(key, raw["value"], source, says.strip(), reason.strip())


def _check_url(name: str, setting: Setting) -> None:
    value = setting.value
    if not isinstance(value, str) or not re.fullmatch(r"https://[a-z0-9.-]+(:[0-9]+)?", value):
        raise ProfileError(f"profile {name!r}: url {value!r} must be https://host[:port] without a path")


def _check_namespace(name: str, setting: Setting) -> None:
    template = setting.value
    if not isinstance(template, str):
        raise ProfileError(f"profile {name!r}: namespace must be a string template")
    fields = set(_PLACEHOLDER_RE.findall(template))
    if not fields <= NAMESPACE_FIELDS:
        raise ProfileError(f"profile {name!r}: namespace {template!r} may only use {{username}}")
    sample = template.format(username="someone")
    if not NAME_RE.match(sample):
        raise ProfileError(f"profile {name!r}: namespace {template!r} does not give a valid repository name")


def _switches(name: str, raw: object) -> tuple[Setting, ...]:
    if not isinstance(raw, dict):
        raise ProfileError(f"profile {name!r}: [switches] must be a table of switch tables")
    settings = []
    for switch_name, table in raw.items():
        if switch_name not in SWITCHES_BY_NAME:
            raise ProfileError(f"profile {name!r}: unknown switch {switch_name!r}; known: "
                               f"{', '.join(SWITCHES_BY_NAME)}")
        setting = _setting(name, f"switches.{switch_name}", table, extra=frozenset({"reason"}))
        if not isinstance(setting.value, bool) or not setting.reason:
            raise ProfileError(f"profile {name!r}: switches.{switch_name} needs a boolean value and a reason")
        settings.append(setting)
    return tuple(settings)


def parse_profile(name: str, data: Mapping[str, Any], path: Path) -> Profile:
    """Validate the parsed TOML `data` of the profile `name`; raise ProfileError on anything off."""
    unknown = data.keys() - TOP_KEYS
    if unknown:
        raise ProfileError(f"profile {name!r}: unknown keys {sorted(unknown)}; allowed: {sorted(TOP_KEYS)}")
    if data.get("name") != name:
        raise ProfileError(f"profile file {path.name} must say name = {name!r}, not {data.get('name')!r}")
    title = data.get("title")
    if not isinstance(title, str) or not title:
        raise ProfileError(f"profile {name!r}: title must be a non-empty string")
    single: dict[str, Setting | None] = {}
    for key in ("url", "namespace", "auth", "expectations"):
        single[key] = _setting(name, key, data[key]) if key in data else None
    if single["url"] is not None:
        _check_url(name, single["url"])
    if single["namespace"] is not None:
        _check_namespace(name, single["namespace"])
    if single["auth"] is not None and not isinstance(single["auth"].value, str):
        raise ProfileError(f"profile {name!r}: auth value must be a string")
    if single["expectations"] is not None:
        value = single["expectations"].value
        if not isinstance(value, str) or not (EXPECTATIONS_DIR / value).is_file():
            raise ProfileError(f"profile {name!r}: expectations {value!r} is not a file in "
                               f"{EXPECTATIONS_DIR}")
    raw_notes = data.get("notes", [])
    if not isinstance(raw_notes, list):
        raise ProfileError(f"profile {name!r}: notes must be an array of tables ([[notes]])")
    notes = tuple(_setting(name, f"notes[{index}]", note) for index, note in enumerate(raw_notes))
    if any(not isinstance(note.value, str) for note in notes):
        raise ProfileError(f"profile {name!r}: every note value must be a string")
    unset = data.get("unset", {})
    if not isinstance(unset, dict) or not all(isinstance(why, str) and why for why in unset.values()):
        raise ProfileError(f"profile {name!r}: [unset] must map a setting to why it is left unset")
    switches = _switches(name, data.get("switches", {}))
    return Profile(name, title, path, single["url"], single["namespace"], switches, single["auth"],
                   single["expectations"], notes, dict(unset))


def load_profile_file(path: Path) -> Profile:
    """Read and validate one profile file (its stem is the profile's name)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"profile file {path}: {exc}") from exc
    return parse_profile(path.stem, data, path)


@cache
def load_profile(name: str) -> Profile:
    """The shipped profile `name`; KeyError (naming the known ones) when there is none."""
    if name not in PROFILE_NAMES:
        raise KeyError(f"unknown registry profile {name!r}; known: {', '.join(PROFILE_NAMES)}")
    return load_profile_file(PROFILES_DIR / f"{name}.toml")
