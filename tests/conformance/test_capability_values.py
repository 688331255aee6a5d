"""A capability with forms (the referrers mechanism) carries its `value` into the table and across workers."""

from __future__ import annotations

from pathlib import Path

from conformance.capabilities import Capabilities
from conformance.reporting.compare import Run, build_matrix
from schemas.loader import schema_json


def test_value_is_in_the_row_only_when_there_is_one_and_survives_a_merge() -> None:
    table = Capabilities()
    table.record("referrers_mechanism", True, "fallback: client-maintained: ...", value="fallback")
    table.record("mount", True, "201")
    rows = {row["name"]: row for row in table.as_table()}
    assert rows["referrers_mechanism"]["value"] == "fallback" and "value" not in rows["mount"]
    other = Capabilities()
    assert other.merge(table.as_table()) == []
    assert other.get("referrers_mechanism") == table.get("referrers_mechanism")
    assert other.get("mount") == table.get("mount")
    results = schema_json("results")
    assert results is not None
    fields = results["properties"]["capabilities"]["items"]["properties"]
    assert set(rows["referrers_mechanism"]) <= set(fields)


def test_compare_shows_the_value_beside_yes_or_no() -> None:
    runs = [Run(label, Path(label), {"checks": [], "capabilities": rows}) for label, rows in (
        ("hub", [{"name": "referrers_mechanism", "supported": True, "reason": "", "value": "fallback"}]),
        ("ref", [{"name": "referrers_mechanism", "supported": True, "reason": "", "value": "api"}]))]
    matrix = build_matrix(runs)
    assert [(row.key, row.cells) for row in matrix.capabilities] == [
        ("referrers_mechanism", ("yes (fallback)", "yes (api)"))]
