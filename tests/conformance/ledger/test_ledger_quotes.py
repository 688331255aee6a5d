"""Every quote of the ledger is its document's own text, and every anchor one of its sections.

The texts are the pinned documents kept in `texts/` (see its README): a rule's quote must be in the text of
its document (spec.md: the v1.1.1 text for rules of 1.1, main for rules since main), its main-text sentence
in the main text, a referred sentence in its document; `...` in a quote separates fragments that must
appear in order. A quote the document does not say cannot be what a verdict rests on. Documents with no
text here (the RFCs, the harness's own positions) are listed, so a new document cannot slip past unseen.
"""

from __future__ import annotations

import pytest

from conformance.ledger import documents
from conformance.ledger.catalog import LEDGER
from conformance.ledger.model import Document, Rule, SpecVersion
from tests.conformance.ledger.spec_texts import anchors_of, quoted_in, texts_of

WITHOUT_TEXT = {documents.RFC9110, documents.RFC9112, documents.RFC6750, documents.RFC7617, documents.RFC8288,
                documents.RFC6585, documents.HARNESS}
RULES = sorted(LEDGER.values(), key=lambda rule: rule.id)


def text_for(document: Document, version: SpecVersion) -> str:
    """The normalized text of `document` as of `version` (spec.md has two; the others one)."""
    texts = texts_of(document)
    assert texts, f"no text of {document.key} in tests/conformance/ledger/texts"
    return texts[-1] if version is SpecVersion.MAIN else texts[0]


def test_every_document_has_its_text_or_is_listed_without_one() -> None:
    for document in documents.ALL:
        assert bool(texts_of(document)) != (document in WITHOUT_TEXT), document.key


@pytest.mark.parametrize("rule", [rule for rule in RULES if rule.document not in WITHOUT_TEXT],
                         ids=lambda rule: rule.id)
def test_the_quote_is_the_documents_text(rule: Rule) -> None:
    assert quoted_in(rule.quote, text_for(rule.document, rule.since)), (rule.id, rule.quote)
    if rule.main is not None:
        assert quoted_in(rule.main.quote, text_for(rule.document, SpecVersion.MAIN)), (rule.id, rule.main)
    if rule.refers_to is not None and rule.refers_to.document not in WITHOUT_TEXT:
        referred = rule.refers_to
        assert quoted_in(referred.quote, text_for(referred.document, rule.since)), (rule.id, referred.quote)


@pytest.mark.parametrize("rule", [rule for rule in RULES if rule.document not in WITHOUT_TEXT],
                         ids=lambda rule: rule.id)
def test_the_anchor_is_a_section_of_the_document(rule: Rule) -> None:
    assert rule.anchor in anchors_of(rule.document), (rule.id, rule.anchor)
    if rule.refers_to is not None and rule.refers_to.document not in WITHOUT_TEXT:
        assert rule.refers_to.anchor in anchors_of(rule.refers_to.document), (rule.id, rule.refers_to.anchor)


def test_a_changed_word_is_caught() -> None:
    rule = LEDGER["tags-order"]
    text = text_for(rule.document, rule.since)
    assert quoted_in(rule.quote, text)
    assert not quoted_in(rule.quote.replace("MUST", "SHOULD"), text)
    assert not quoted_in("If the list is not empty ... the tags MUST be in random order.", text)
