"""The auth rules (conformance/ledger/rules/auth.py) are consistent and quote their documents exactly.

Quotes of distribution's token documents and of spec.md are looked up in the texts that were read: the
distribution mirror (`git show <commit>:docs/content/spec/auth/*.md`, the commit documents.py pins) and
/work/team/spec/spec-v1.1.1.md. Rendered text is compared: HTML tags and emphasis markers removed,
whitespace collapsed, as a reader sees it. Where a text is not on this machine the quote test is skipped
(unsupported); the consistency tests always run. RFC quotes are checked for their keyword only.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

from conformance.ledger import documents
from conformance.ledger.catalog import LEDGER
from conformance.ledger.model import Keyword, Level, Rule, SpecVersion
from conformance.ledger.rules import auth

DISTRIBUTION_MIRROR = Path("/work/.mirror/distribution+distribution/repo")
DISTRIBUTION_COMMIT = "0d6b721dc3ceacb5d678c25b718b2f40a507c2d8"
SPEC_TEXT = Path("/work/team/spec/spec-v1.1.1.md")
DISTRIBUTION_FILES = {
    documents.TOKEN_AUTH: "docs/content/spec/auth/token.md",
    documents.TOKEN_SCOPE: "docs/content/spec/auth/scope.md",
    documents.TOKEN_JWT: "docs/content/spec/auth/jwt.md",
}
RULES = sorted((value for value in vars(auth).values() if isinstance(value, Rule)), key=lambda rule: rule.id)


def rendered(markdown: str) -> str:
    """What a reader sees: no HTML tags, no `**bold**`/`*em*` markers, table pipes kept, one space."""
    text = re.sub(r"<[^>]+>", "", markdown)
    text = re.sub(r"\*\*(\S[^*]*?)\*\*", r"\1", text)
    text = re.sub(r"(?<![\w*])\*(\w[^*]*?)\*(?![\w*])", r"\1", text)
    return re.sub(r"\s+", " ", text)


@cache
def source_markdown(document_key: str) -> str | None:
    """The markdown of a document, or None where it is not on this machine."""
    for document, path in DISTRIBUTION_FILES.items():
        if document.key == document_key and DISTRIBUTION_MIRROR.exists():
            shown = subprocess.run(
                ["git", "-C", str(DISTRIBUTION_MIRROR), "show", f"{DISTRIBUTION_COMMIT}:{path}"],
                capture_output=True, text=True, check=False,
            )
            return shown.stdout if shown.returncode == 0 else None
    if document_key == documents.SPEC.key and SPEC_TEXT.exists():
        return SPEC_TEXT.read_text()
    return None


def source_text(document_key: str) -> str | None:
    """The rendered text of a document, or None."""
    markdown = source_markdown(document_key)
    return None if markdown is None else rendered(markdown)


def github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the document's headings (lower case, punctuation dropped, - for spaces)."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", markdown, flags=re.MULTILINE)
    return {re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-") for heading in headings}


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


@pytest.mark.parametrize("rule", [rule for rule in RULES if rule.document.key in
                                  {documents.SPEC.key, *(d.key for d in DISTRIBUTION_FILES)}],
                         ids=lambda rule: rule.id)
def test_the_quote_is_the_documents_text(rule: Rule) -> None:
    text = source_text(rule.document.key)
    if text is None:
        pytest.skip(f"unsupported: the text of {rule.document.key} is not on this machine")
    assert re.sub(r"\s+", " ", rule.quote) in text, rule.id


def test_the_anchors_are_sections_of_the_documents_read() -> None:
    for rule in RULES:
        if rule.document not in DISTRIBUTION_FILES and rule.document is not documents.SPEC:
            continue
        markdown = source_markdown(rule.document.key)
        if markdown is None:
            pytest.skip(f"unsupported: the text of {rule.document.key} is not on this machine")
        assert rule.anchor in github_anchors(markdown), (rule.id, rule.anchor)


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
        "token-no-callback",
    }
