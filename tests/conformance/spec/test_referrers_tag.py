"""The referrers tag name follows the spec's table (spec.md main, "Referrers Tag Schema") row by row."""

from __future__ import annotations

import pytest

from conformance.spec.grammar import is_valid_tag
from conformance.spec.referrers_tag import referrers_tag

LONG = ("test+algorithm+using+algorithm+separators+and+lots+of+characters+to+excercise+overall+truncation:"
        "alsoSome=InTheEncodedSectionToShowHyphenReplacementAndLotsAndLotsOfCharactersToExcerciseEncoded"
        "Truncation")
TABLE = [
    ("sha256:" + "a" * 64, "sha256-" + "a" * 64),
    ("sha512:" + "a" * 128, "sha512-" + "a" * 64),
    (LONG, "test-algorithm-using-algorithm-s-"
           "alsoSome-InTheEncodedSectionToShowHyphenReplacementAndLotsAndLot"),
]


@pytest.mark.parametrize(("digest", "tag"), TABLE)
def test_the_spec_table(digest: str, tag: str) -> None:
    assert referrers_tag(digest) == tag
    assert is_valid_tag(tag)


@pytest.mark.parametrize("bad", ["", "sha256", "sha256:", ":abc"])
def test_no_digest_no_tag(bad: str) -> None:
    with pytest.raises(ValueError, match="no digest"):
        referrers_tag(bad)
