"""The auth rules (conformance/ledger/rules/auth.py) are consistent: ids, keywords as their documents
write them (distribution's token documents use lower-case keywords), levels, positions and unchecked reasons.

That every quote and anchor is the document's own text is checked for all rules alike, against the pinned
texts, by tests/conformance/ledger/test_ledger_quotes.py.
"""

from __future__ import annotations

import pytest

from conformance.ledger import documents
from conformance.ledger.catalog import LEDGER
from conformance.ledger.model import Keyword, Level, Rule, SpecVersion
from conformance.ledger.rules import auth

DISTRIBUTION_FILES = {documents.TOKEN_AUTH, documents.TOKEN_SCOPE, documents.TOKEN_JWT}
RULES = sorted((value for value in vars(auth).values() if isinstance(value, Rule)), key=lambda rule: rule.id)


def test_every_auth_rule_is_in_the_ledger_under_its_own_id() -> None:
    assert len(RULES) >= 30
    for rule in RULES:
        assert LEDGER[rule.id] is rule


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_the_keyword_is_in_the_quote_as_the_document_writes_it(rule: Rule) -> None:
    if rule.keyword is Keyword.NONE:
        return
    lower_case_document = rule.document in DISTRIBUTION_FILES
    quote = rule.quote.upper() if lower_case_document else rule.quote
    assert rule.keyword.appears_in(quote), (rule.id, rule.keyword, rule.quote)


def test_levels_follow_the_positions_taken() -> None:
    v11 = SpecVersion.V1_1
    assert auth.CHALLENGE_ON_401.level(v11) is Level.FAIL  # HTTP itself, in a v1.1 run too
    assert auth.SCOPE_ENFORCED.level(v11) is Level.FAIL
    assert auth.TOKEN_VERIFIED.level(v11) is Level.FAIL
    assert auth.BEARER_CHALLENGE_ON_REFUSAL.level(v11) is Level.ADVICE
    assert auth.BEARER_CHALLENGE_ON_REFUSAL.level(v11, strict_readings=True) is Level.FAIL
    assert auth.TOKEN_SERVICE_401.level(v11) is Level.WARN
    for advice in (auth.ACCESS_POLICY, auth.REFUSAL_STATUS, auth.BASIC_VALIDATES, auth.SCOPE_CHALLENGE,
                   auth.TOKEN_REALM, auth.CODE_UNAUTHORIZED, auth.CODE_DENIED):
        assert advice.level(v11) is Level.ADVICE and advice.level(SpecVersion.MAIN) is Level.ADVICE


def test_contested_and_unchecked_rules_say_why() -> None:
    for rule in RULES:
        if rule.contested:
            assert rule.position, rule.id
        if rule.unchecked is not None:
            assert len(rule.unchecked) > 40, rule.id
    assert {rule.id for rule in RULES if rule.unchecked} == {
        "bearer-insufficient-scope-403", "bearer-params-once", "token-partial-grant", "token-opaque",
        "token-no-callback", "token-challenge",
    }
