"""The ledger is consistent with itself and with the suites (issue 12: "a test checks its consistency").

- every rule: a unique kebab-case id, a quote that carries the rule's keyword (for each spec text), a
  position where its reading is contested, a spec.md home for main-only sentences;
- every check declares at least one rule; every rule is declared by a check unless it is marked unchecked
  (with the reason), and no unchecked rule is declared;
- no rule-less verdict (`must`/`should` with a `ref` string, `spec`/`level` marks) remains in conformance/;
- the level a rule gives follows from its keyword alone (MUST -> fail, SHOULD -> warn, none -> advice).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.ledger.catalog import HOMES, LEDGER
from conformance.ledger.documents import SPEC
from conformance.ledger.model import Keyword, Level, SpecVersion
from tests.conformance.ledger.suite_rules import ROOT, legacy_uses, suite_checks

ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CHECKS = list(suite_checks())


@pytest.mark.parametrize("rule_id", sorted(LEDGER))
def test_each_rule_is_well_formed(rule_id: str) -> None:
    rule = LEDGER[rule_id]
    assert ID.match(rule.id), rule.id
    assert rule.quote.strip() and rule.document is not None
    for version in SpecVersion:
        sentence = rule.sentence(version)
        any_case = rule.document.lowercase_keywords
        assert sentence.keyword.appears_in(sentence.quote, any_case=any_case), (rule.id, version, sentence)
    if rule.contested:
        assert rule.position, f"{rule.id}: a contested reading needs its position written down"
        assert rule.keyword.level is Level.FAIL, f"{rule.id}: only a MUST can be contested (else: advice)"
    if rule.since is SpecVersion.MAIN or rule.main is not None:
        assert rule.document is SPEC, f"{rule.id}: only spec.md has a main-branch text"
    if rule.document is SPEC:
        assert rule.anchor, f"{rule.id}: a spec.md rule needs its section anchor"
    if rule.unchecked is not None:
        assert rule.unchecked.strip(), f"{rule.id}: say why it is not checked"


def test_levels_follow_keywords_alone() -> None:
    expected = {Keyword.MUST: Level.FAIL, Keyword.MUST_NOT: Level.FAIL, Keyword.SHOULD: Level.WARN,
                Keyword.SHOULD_NOT: Level.WARN, Keyword.MAY: Level.ADVICE, Keyword.NONE: Level.ADVICE}
    for rule in LEDGER.values():
        for version in SpecVersion:
            level = rule.level(version)
            if rule.since is SpecVersion.MAIN and version is SpecVersion.V1_1:
                assert level is Level.ADVICE, rule.id
            elif rule.contested:
                assert level is Level.ADVICE and rule.level(version, strict_readings=True) is Level.FAIL
            else:
                assert level is expected.get(rule.sentence(version).keyword, level), rule.id


def test_every_check_declares_its_rules() -> None:
    assert len(CHECKS) > 100, "the scan sees the suites (125 check functions in December 2026)"
    undeclared = [check for check, rules, _ in CHECKS if not rules]
    assert undeclared == [], f"checks without @pytest.mark.rules(...): {undeclared}"
    not_rules = {check: bad for check, _, bad in CHECKS if bad}
    assert not_rules == {}, "rules(...) takes Rule constants from conformance.ledger.rules"


def test_every_checked_rule_has_a_check_and_no_unchecked_one_does() -> None:
    declared = {rule.id for _, rules, _ in CHECKS for rule in rules}
    orphans = sorted(rule_id for rule_id, rule in LEDGER.items() if rule.unchecked is None
                     and rule_id not in declared)
    listed = ", ".join(f"{rule_id} ({HOMES[rule_id]})" for rule_id in orphans)
    assert orphans == [], f"rules no check declares (write the check, or mark them unchecked): {listed}"
    claimed = sorted(rule_id for rule_id in declared if LEDGER[rule_id].unchecked is not None)
    assert claimed == [], f"rules marked unchecked but declared by a check: {claimed}"


def test_no_rule_less_verdict_is_left() -> None:
    paths = list((ROOT / "conformance").rglob("*.py"))
    assert legacy_uses(paths) == []


def test_the_legacy_scan_sees_what_it_looks_for(tmp_path: Path) -> None:
    module = tmp_path / "legacy.py"
    module.write_text("import pytest\n@pytest.mark.spec('end-2')\ndef t():\n    must(True, 'x', ref='e')\n"
                      "    judge(rule, True, 'x')\n")
    assert legacy_uses([module], tmp_path) == ["legacy.py:2: mark.spec(...)", "legacy.py:4: must(...)"]
