"""The normative ledger: the spec sentences checks rest on, and the verdict level each one gives.

- `model`: `Rule`, `Keyword`, `Level`, `SpecVersion`, `Document` (how a keyword becomes a verdict level);
- `documents`: the documents quoted, pinned to the commits read;
- `rules/`: the rules, one module per area (checks import the constants);
- `catalog`: `LEDGER`, every rule by id.

`AUDIT.md` beside this file records, for each failure and warning the suite gave on distribution 2.8.2
and 3.1.1, the verdict, the sentence and why; `POSITIONS.md` the readings taken where the text is open.
"""

from conformance.ledger.model import Document, Keyword, Level, Reference, Rule, Sentence, SpecVersion

__all__ = ["Document", "Keyword", "Level", "Reference", "Rule", "Sentence", "SpecVersion"]
