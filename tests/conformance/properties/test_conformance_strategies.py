"""`conformance.strategies` draw what their names promise; the Hypothesis profiles are as documented."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

import schemas
from conformance import hypothesis_profiles
from conformance.spec import grammar
from conformance.spec.digests import digest_bytes
from conformance.strategies import (
    BuiltDocument,
    ChunkPlan,
    InvalidValue,
    chunk_plans,
    invalid_digests,
    invalid_names,
    invalid_tags,
    manifests,
    references,
    tag_sets,
    valid_digests,
)
from conformance.strategies.references import HEX_LENGTHS

FAST = settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
PATH_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/+:=~!,")


@FAST
@given(invalid_names())
def test_invalid_names_break_the_grammar_not_just_the_length(name: InvalidValue) -> None:
    assert grammar.NAME_RE.match(name.value) is None, name
    assert not name.value.startswith("/") and not name.value.endswith("/") and "//" not in name.value
    assert set(name.value) <= PATH_SAFE and name.reason


@FAST
@given(invalid_tags())
def test_invalid_tags_are_invalid_and_stay_one_path_segment(tag: InvalidValue) -> None:
    assert not grammar.is_valid_tag(tag.value) and "/" not in tag.value and ":" not in tag.value
    assert set(tag.value) <= PATH_SAFE


@FAST
@given(invalid_digests())
def test_invalid_digests_are_invalid_digest_references(digest: InvalidValue) -> None:
    assert not grammar.is_valid_digest(digest.value) and ":" in digest.value and "/" not in digest.value


def test_invalid_digests_cover_every_algorithm_length_and_case() -> None:
    seen: set[str] = set()

    @settings(max_examples=250, deadline=None, database=None)
    @given(invalid_digests())
    def collect(digest: InvalidValue) -> None:
        seen.add(digest.reason.split(" ", 1)[0] + (" upper" if "upper" in digest.reason else "")
                 + (" length" if "hex characters" in digest.reason else ""))

    collect()
    for algorithm in HEX_LENGTHS:
        assert f"{algorithm} upper" in seen and f"{algorithm} length" in seen, seen


@FAST
@given(valid_digests(), references())
def test_valid_digests_and_references_are_valid(digest: str, reference: str) -> None:
    assert grammar.is_registered_digest(digest)
    assert grammar.is_valid_digest(reference) if ":" in reference else grammar.is_valid_tag(reference)


@FAST
@given(chunk_plans())
def test_chunk_plans_cover_the_blob_with_positive_in_order_chunks(plan: ChunkPlan) -> None:
    spans = plan.spans()
    assert all(size > 0 for size in plan.sizes) and len(spans) == len(plan.sizes) <= 6
    assert spans[0][0] == 0 and all(a + la == b for (a, la), (b, _) in pairwise(spans))
    assert sum(length for _, length in spans) == plan.total
    assert "final chunk in the PUT" in repr(plan) if plan.final_in_put else "empty closing PUT" in repr(plan)


@FAST
@given(chunk_plans(), st.integers(1, 5000), st.booleans())
def test_honouring_a_minimum_raises_only_the_short_chunks_that_must_be_long(
    plan: ChunkPlan, minimum: int, last_too: bool
) -> None:
    honoured = plan.honouring(minimum, last_too=last_too)
    assert len(honoured.sizes) == len(plan.sizes) and honoured.final_in_put == plan.final_in_put
    bound = honoured.sizes if last_too else honoured.sizes[:-1]
    assert all(size >= minimum for size in bound)
    pairs = zip(plan.sizes[:-1], honoured.sizes[:-1], strict=True)
    assert all(new == max(old, minimum) for old, new in pairs)
    assert honoured.sizes[-1] == (max(plan.sizes[-1], minimum) if last_too else plan.sizes[-1])
    assert plan.honouring(None) is plan and plan.honouring(0) is plan


def test_chunk_plans_reach_one_byte_chunks_before_the_last() -> None:
    found = find(chunk_plans(), lambda plan: 1 in plan.sizes[:-1] and len(plan.sizes) >= 3,
                 settings=settings(database=None, max_examples=500))
    assert found.sizes[:-1].count(1) >= 1


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(manifests(algorithms=("sha256", "sha512")))
def test_drawn_manifests_are_valid_documents_with_their_own_digest(built: BuiltDocument) -> None:
    manifest = built.manifest
    assert schemas.validate(manifest.document, manifest.media_type) == []
    assert manifest.digest == digest_bytes(manifest.data, manifest.algorithm)
    assert all(blob.digest == digest_bytes(blob.data, blob.algorithm) for blob in manifest.all_blobs())
    assert built.shape in repr(built) and len(repr(built)) < 400


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(tag_sets(min_size=1))
def test_tag_sets_hold_distinct_valid_tags(tags: frozenset[str]) -> None:
    assert all(grammar.is_valid_tag(tag) for tag in tags) and 1 <= len(tags) <= 12


def test_profiles_switch_deadlines_off_and_keep_the_database_under_reports(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(hypothesis_profiles.DATABASE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    try:
        hypothesis_profiles.register_profiles()
        default = settings.get_profile(hypothesis_profiles.DEFAULT)
        thorough = settings.get_profile(hypothesis_profiles.THOROUGH)
    finally:
        monkeypatch.undo()
        hypothesis_profiles.register_profiles()
    assert default.deadline is None and thorough.deadline is None
    assert thorough.max_examples > default.max_examples
    assert thorough.stateful_step_count > default.stateful_step_count
    assert default.suppress_health_check == ()
    assert str(tmp_path / "reports" / "hypothesis") in repr(default.database)


def test_the_profile_is_chosen_by_env_and_scaled_per_check(monkeypatch: pytest.MonkeyPatch) -> None:
    hypothesis_profiles.register_profiles()
    monkeypatch.setenv(hypothesis_profiles.PROFILE_ENV, hypothesis_profiles.THOROUGH)
    thorough = settings.get_profile(hypothesis_profiles.THOROUGH)
    assert hypothesis_profiles.check_settings(scale=0.5).max_examples == round(thorough.max_examples * 0.5)
    monkeypatch.setenv(hypothesis_profiles.PROFILE_ENV, "no-such-profile")
    with pytest.raises(ValueError, match="known profiles"):
        hypothesis_profiles.chosen_profile()
    monkeypatch.setenv(hypothesis_profiles.DATABASE_ENV, "none")
    assert hypothesis_profiles.example_database() is None
    monkeypatch.setenv(hypothesis_profiles.DATABASE_ENV, "/somewhere/db")
    assert "/somewhere/db" in repr(hypothesis_profiles.example_database())
