"""POSITIONS.md agrees with the ledger: it states every contested rule, with the ledger's own position."""

from __future__ import annotations

import re
from pathlib import Path

from conformance.ledger.catalog import LEDGER

LEDGER_DIR = Path(__file__).resolve().parents[3] / "conformance" / "ledger"
POSITIONS = LEDGER_DIR / "POSITIONS.md"
HEADING = re.compile(r"^#### `([a-z0-9-]+)`", re.MULTILINE)


def test_positions_state_every_contested_rule_with_its_position() -> None:
    text = POSITIONS.read_text(encoding="utf-8")
    listed = set(HEADING.findall(text))
    contested = {rule.id for rule in LEDGER.values() if rule.contested}
    assert contested <= listed, f"contested rules missing from {POSITIONS.name}: {sorted(contested - listed)}"
    assert listed <= contested, f"listed as contested but not contested: {sorted(listed - contested)}"
    for rule_id in contested:
        position = LEDGER[rule_id].position
        assert position and position in text, f"{rule_id}: {POSITIONS.name} does not hold its position"
