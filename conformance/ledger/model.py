"""The normative ledger's data model: documents, RFC 2119 keywords, spec sentences and rules built on them.

A `Rule` is one normative sentence a check rests on: the document and section anchor it is in, the RFC 2119
keyword that binds the registry in it, and a short quote. Its verdict level follows from the keyword, never
from the check that uses it:

    MUST, MUST NOT, REQUIRED, SHALL, SHALL NOT     -> Level.FAIL    (the check fails)
    SHOULD, SHOULD NOT, RECOMMENDED, NOT RECOMMENDED -> Level.WARN  (a warning; fails under --registry-strict)
    MAY, OPTIONAL, or no keyword                   -> Level.ADVICE  (shown in reports, never a warning)

Three refinements, each visible in the rule itself:

- **Spec versions.** spec.md rules quote the released distribution-spec v1.1.1 (the default target,
  `--registry-spec-version 1.1`). Where the main branch words the sentence with another keyword, `main`
  holds that text and `--registry-spec-version main` applies it; a sentence that exists only on main has
  `since=SpecVersion.MAIN` and is advice for a v1.1 run.
- **refers_to.** Another document (RFC 9110, say) binds a registry only through the spec sentence that
  points to it, so such a rule quotes that spec sentence, with its keyword, and `refers_to` quotes the
  passage of the other document it points to.
- **Contested readings.** Where the text can honestly be read two ways, `position` says which reading the
  suite takes and `contested=True` makes the failing level apply only under `--registry-strict-readings`
  (by default the finding is advice).

`unchecked` marks a sentence the suite lists but does not check, with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """What a broken rule does to a check, strongest first."""

    FAIL = "fail"
    WARN = "warn"
    ADVICE = "advice"


class Keyword(StrEnum):
    """RFC 2119 keywords (and NONE for a sentence without one)."""

    MUST = "MUST"
    MUST_NOT = "MUST NOT"
    REQUIRED = "REQUIRED"
    SHALL = "SHALL"
    SHALL_NOT = "SHALL NOT"
    SHOULD = "SHOULD"
    SHOULD_NOT = "SHOULD NOT"
    RECOMMENDED = "RECOMMENDED"
    NOT_RECOMMENDED = "NOT RECOMMENDED"
    MAY = "MAY"
    OPTIONAL = "OPTIONAL"
    NONE = ""

    @property
    def level(self) -> Level:
        """The verdict level this keyword gives."""
        if self in (Keyword.MUST, Keyword.MUST_NOT, Keyword.REQUIRED, Keyword.SHALL, Keyword.SHALL_NOT):
            return Level.FAIL
        if self in (Keyword.SHOULD, Keyword.SHOULD_NOT, Keyword.RECOMMENDED, Keyword.NOT_RECOMMENDED):
            return Level.WARN
        return Level.ADVICE

    def appears_in(self, text: str, *, any_case: bool = False) -> bool:
        """True when the keyword is a whole word of `text` (upper case unless `any_case`; NONE: always)."""
        if self is Keyword.NONE:
            return True
        flags = re.IGNORECASE if any_case else 0
        return re.search(rf"(?<![A-Za-z]){re.escape(self.value)}(?![A-Za-z])", text, flags) is not None


class SpecVersion(StrEnum):
    """Which text of the distribution spec a run holds the registry to."""

    V1_1 = "1.1"
    MAIN = "main"


@dataclass(frozen=True)
class Document:
    """A document the ledger quotes: a short name for reports and the URL of the text that was read.

    `urls` maps a spec version to the pinned text; documents that do not follow the distribution spec's
    versions have one URL under `SpecVersion.V1_1`, used for every run.
    """

    key: str
    title: str
    urls: dict[SpecVersion, str]
    lowercase_keywords: bool = False
    """The document writes its requirement words in lower case ("must"); the ledger reads them as RFC 2119."""

    def url(self, anchor: str, version: SpecVersion = SpecVersion.V1_1) -> str:
        """The link to `anchor` in the text a run of `version` holds the registry to."""
        base = self.urls.get(version) or self.urls[SpecVersion.V1_1]
        return f"{base}#{anchor}" if anchor else base

    def __hash__(self) -> int:
        return hash(self.key)


@dataclass(frozen=True)
class Sentence:
    """A keyword and the words that carry it."""

    keyword: Keyword
    quote: str


@dataclass(frozen=True)
class Reference:
    """A passage of another document that a spec sentence points to (shown beside the rule's quote)."""

    document: Document
    anchor: str
    quote: str


@dataclass(frozen=True)
class Rule:
    """One normative sentence (or a closely bound pair) that checks rest on; see the module docstring."""

    id: str
    document: Document
    anchor: str
    keyword: Keyword
    quote: str
    main: Sentence | None = None
    since: SpecVersion = SpecVersion.V1_1
    refers_to: Reference | None = None
    position: str | None = None
    contested: bool = False
    unchecked: str | None = None

    def sentence(self, version: SpecVersion) -> Sentence:
        """The keyword and quote of the text a run of `version` uses."""
        if version is SpecVersion.MAIN and self.main is not None:
            return self.main
        return Sentence(self.keyword, self.quote)

    def level(self, version: SpecVersion, *, strict_readings: bool = False) -> Level:
        """The verdict level when this rule is broken in a run of `version`."""
        if self.since is SpecVersion.MAIN and version is SpecVersion.V1_1:
            return Level.ADVICE
        level = self.sentence(version).keyword.level
        if level is Level.FAIL and self.contested and not strict_readings:
            return Level.ADVICE
        return level

    def citation(self, version: SpecVersion) -> str:
        """`document#anchor KEYWORD: "quote"`, the line reports print beside a finding."""
        sentence = self.sentence(version)
        where = f"{self.document.key}#{self.anchor}" if self.anchor else self.document.key
        keyword = sentence.keyword.value or "no keyword"
        since = " (new in the spec's main branch)" if self.since is SpecVersion.MAIN else ""
        text = f'{where} {keyword}{since}: "{sentence.quote}"'
        if self.refers_to is not None:
            ref = self.refers_to
            text += f' -> {ref.document.key}#{ref.anchor}: "{ref.quote}"'
        return text

    def __hash__(self) -> int:
        return hash(self.id)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rule) and other.id == self.id
