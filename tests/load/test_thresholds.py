"""Threshold files: parsing, validation errors, and one line per breach."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from load.thresholds import ThresholdConfigError, check, load, parse


def summary(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "http": {"requests": 100, "failures": 2, "fail_ratio": 0.02},
        "digest_mismatches": 0,
        "requests": [
            {"type": "OP", "name": "push blob (monolithic)", "count": 10, "p95_ms": 900.0},
            {"type": "TTFB", "name": "blob GET", "count": 40, "p95_ms": 12.0},
        ],
        "scenarios": {"BlobPushMonolithic": {"mb_s_up": 150.0, "mb_s_down": 0.0}},
        "total": {"mb_s_up": 150.0, "mb_s_down": 0.0},
    }
    base.update(overrides)
    return base


def test_no_breach_when_everything_is_within_limits(tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text(
        "max_fail_ratio = 0.05\nmax_digest_mismatches = 0\n"
        '[max_p95_ms]\n"OP push blob (monolithic)" = 1000\n"blob GET" = 50\n'
        "[min_mb_s]\nBlobPushMonolithic = { up = 100 }\ntotal = { up = 100 }\n"
    )
    assert check(summary(), load(path)) == []


def test_each_breach_is_named_on_its_own_line() -> None:
    thresholds = parse({
        "max_fail_ratio": 0.01, "max_digest_mismatches": 0,
        "max_p95_ms": {"OP push blob (monolithic)": 500, "OP pull image": 100},
        "min_mb_s": {"BlobPushMonolithic": {"up": 200}, "BlobPull": {"down": 1}},
    })
    breaches = check(summary(digest_mismatches=3), thresholds)
    assert len(breaches) == 6
    text = "\n".join(breaches)
    assert "fail ratio 0.0200 > max 0.01" in text
    assert "digest mismatches 3 > max 0" in text
    assert "p95 of 'OP push blob (monolithic)' 900 ms > max 500 ms" in text
    assert "'OP pull image': no samples" in text
    assert "MB/s up of BlobPushMonolithic 150.0 < min 200" in text
    assert "MB/s down of BlobPull: scenario not in this run" in text


@pytest.mark.parametrize(("document", "message"), [
    ({"max_fail_rate": 0.1}, "unknown keys"),
    ({"max_fail_ratio": "low"}, "expected a number"),
    ({"min_mb_s": {"X": {"sideways": 1}}}, "up and/or down"),
    ({"max_p95_ms": 5}, "must be a table"),
])
def test_bad_files_are_refused_with_a_reason(document: dict[str, Any], message: str) -> None:
    with pytest.raises(ThresholdConfigError, match=message):
        parse(document)


def test_unreadable_or_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ThresholdConfigError, match="cannot read"):
        load(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("max_fail_ratio = = 1")
    with pytest.raises(ThresholdConfigError, match="not valid TOML"):
        load(broken)
