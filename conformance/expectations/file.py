"""The expectations file: checks a registry is expected not to pass, read from TOML or YAML.

    [registry]
    name = "CNCF distribution 3.1.1"
    spec_version = "1.1"                         # optional: the spec text the file was written against

    [[expect]]
    check = "test_tags.py::test_tag_list_pages_with_n"   # a check id; `*` matches any run of characters
    outcome = "failed"                           # failed | warned | unsupported
    reason = "tags/list ignores n"               # required
    link = "https://github.com/distribution/distribution/issues/3232"   # optional
    rule = "tags-list-n"                         # optional: the ledger rule the registry breaks

A check id is the check's pytest node id relative to the suites folder (`test_<area>.py::name[params]`);
an id also matches node ids that end with `/<id>`, so files work for suites kept elsewhere. An entry may use
`*` (and only `*`) as a wildcard; every check matches at most one entry (the first), and an entry that
matches no check of a run is reported as stale. The YAML form is the same data: a `registry` mapping and an
`expect` list.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

EXPECTABLE = ("failed", "warned", "unsupported")
SUITES_PREFIX = "conformance/suites/"


class ExpectationsError(ValueError):
    """The expectations file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Expectation:
    """One entry: the check(s) it names, the outcome expected, and why."""

    check: str
    outcome: str
    reason: str
    link: str | None = None
    rule: str | None = None

    def pattern(self) -> re.Pattern[str]:
        """The entry's check id as a regular expression (`*` is the only wildcard)."""
        return re.compile("".join(".*" if part == "*" else re.escape(part)
                                  for part in re.split(r"(\*)", self.check)))

    def matches(self, check_id: str) -> bool:
        """True when this entry names the check `check_id` (its id relative to the suites folder)."""
        return self.pattern().fullmatch(check_id) is not None


@dataclass(frozen=True)
class ExpectationsFile:
    """A loaded expectations file."""

    path: Path
    registry: Mapping[str, Any]
    entries: tuple[Expectation, ...]

    def find(self, check_id: str) -> Expectation | None:
        """The first entry naming `check_id`, or None (the check is expected to pass)."""
        return next((entry for entry in self.entries if entry.matches(check_id)), None)

    def stale(self, check_ids: Iterable[str]) -> list[Expectation]:
        """Entries that name none of `check_ids` (the checks of a run)."""
        ids = list(check_ids)
        return [entry for entry in self.entries if not any(entry.matches(check_id) for check_id in ids)]


def check_id(nodeid: str) -> str:
    """The id a check has in expectation files: its node id relative to the suites folder."""
    return nodeid.split(SUITES_PREFIX, 1)[1] if SUITES_PREFIX in nodeid else nodeid


def load_expectations(path: Path) -> ExpectationsFile:
    """Read and validate an expectations file (`.toml`, `.yaml` or `.yml`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ExpectationsError(f"{path}: cannot read the expectations file: {exc}") from None
    try:
        if path.suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            raise ExpectationsError(f"{path}: an expectations file must end in .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ExpectationsError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None
    return parse_expectations(path, data)


def parse_expectations(path: Path, data: Any) -> ExpectationsFile:
    """Validate the parsed document `data` of the file at `path`."""
    if not isinstance(data, dict):
        raise ExpectationsError(f"{path}: the top level must be a table/mapping with an `expect` list")
    unknown = set(data) - {"registry", "expect"}
    if unknown:
        raise ExpectationsError(f"{path}: unknown top-level key(s) {sorted(unknown)} "
                                "(known: registry, expect)")
    registry = data.get("registry", {})
    if not isinstance(registry, dict):
        raise ExpectationsError(f"{path}: `registry` must be a table/mapping")
    raw_entries = data.get("expect", [])
    if not isinstance(raw_entries, list):
        raise ExpectationsError(f"{path}: `expect` must be a list of entries")
    entries = tuple(_entry(path, number, raw) for number, raw in enumerate(raw_entries, start=1))
    seen: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        if entry.check in seen:
            raise ExpectationsError(f"{path}: entry {number} repeats check {entry.check!r} "
                                    f"(first given in entry {seen[entry.check]})")
        seen[entry.check] = number
    return ExpectationsFile(path, registry, entries)


def _entry(path: Path, number: int, raw: Any) -> Expectation:
    where = f"{path}: entry {number}"
    if not isinstance(raw, dict):
        raise ExpectationsError(f"{where} must be a table/mapping")
    unknown = set(raw) - {"check", "outcome", "reason", "link", "rule"}
    if unknown:
        raise ExpectationsError(f"{where}: unknown key(s) {sorted(unknown)}")
    for key in ("check", "outcome", "reason"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ExpectationsError(f"{where}: `{key}` is required and must be a non-empty string")
    if raw["outcome"] not in EXPECTABLE:
        raise ExpectationsError(f"{where}: outcome {raw['outcome']!r} must be one of {', '.join(EXPECTABLE)}")
    for key in ("link", "rule"):
        if key in raw and not isinstance(raw[key], str):
            raise ExpectationsError(f"{where}: `{key}` must be a string")
    return Expectation(raw["check"].strip(), raw["outcome"], raw["reason"].strip(), raw.get("link"),
                       raw.get("rule"))
