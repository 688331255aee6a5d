"""The whole conformance suite against Debian's distribution 2.8.2 gives exactly the pinned verdicts.

`distribution-2.8.2.json` pins every check's outcome with the reason it does not pass (format:
`expectations_file.py`). These tests prove three things:

- the file is a reviewed record: every non-passing check has reasons, all defined, none awaiting review;
- each of the twelve deviations real-peers.md lists is caught: `DEVIATION_CHECKS` below names, per
  deviation, checks that demonstrate it, and each must be pinned as non-passing for that deviation (for
  deviation 3, which the spec allows, a pinned note of a passing check);
- a real run agrees with the file: 2.8.2 is started, the whole suite runs against it (reproducibly, see
  `distribution_run.py`) and any changed verdict, new or vanished check, or missing pinned note fails with
  a diff naming each check, its expected and actual outcome and its message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.registries import distribution_available, start_distribution
from tests.conformance.expectations.distribution_run import run_full_suite
from tests.conformance.expectations.expectations_file import (
    DEVIATIONS,
    EXPECTATIONS_PATH,
    Expectations,
    compare,
    render_changes,
    review_problems,
)

NEGOTIATION = "test_negotiation.py::test_pull_by_{}_serves_{}"
DEVIATION_CHECKS: dict[int, tuple[str, ...]] = {
    1: (
        NEGOTIATION.format("digest", "exactly_that_content_under_any_accept[oci-manifest]"),
        NEGOTIATION.format("digest", "exactly_that_content_under_any_accept[oci-index]"),
        NEGOTIATION.format("tag", "the_stored_manifest_or_a_consistent_variant[oci-manifest]"),
    ),
    2: (
        "test_tags.py::test_tag_list_names_the_repository_and_every_tag_in_order",
        "test_tags.py::test_n_returns_the_first_n_tags_or_a_link",
        "test_tags.py::test_last_returns_only_tags_strictly_after_it",
        "test_tags.py::test_tag_list_reflects_manifest_deletes",
        "test_properties.py::test_any_tag_set_pages_into_exactly_the_sorted_tags",
        "test_stateful.py::test_registry_agrees_with_a_model_of_two_repositories",
    ),
    3: ("test_catalog.py::test_catalog_pages_with_n_last_and_link",),
    4: (
        "test_referrers.py::test_referrers_of_a_manifest_without_referrers_is_an_empty_index",
        "test_properties.py::test_referrers_of_any_artifact_set_match_the_model",
    ),
    5: ("test_manifests.py::test_manifest_with_a_wrong_descriptor_size_is_refused",),
    6: (
        "test_deletes.py::test_tag_delete_removes_only_that_tag",
        "test_errors.py::test_missing_manifest_is_404_manifest_unknown[DELETE-tag]",
    ),
    7: ("test_uploads.py::test_upload_creates_a_blob_pullable_at_the_returned_location[single-post]",),
    8: (
        "test_upload_sessions.py::test_out_of_order_patch_is_416_and_the_upload_recovers[skips-ahead]",
        "test_upload_sessions.py::test_patch_whose_content_range_disagrees_with_its_length_is_refused[shorter]",
        "test_errors.py::test_chunk_shorter_than_its_content_range_is_refused",
        "test_properties.py::test_any_chunk_at_a_wrong_offset_gets_416",
    ),
    9: ("test_upload_sessions.py::test_status_answers_for_the_location_of_any_earlier_post_or_patch",),
    10: ("test_blobs.py::test_range_get_of_invalid_or_unsatisfiable_range_is_416[bytes=5000-10000]",),
    11: (
        "test_manifest_formats.py::test_sha512_index_and_images_round_trip_by_digest",
        "test_mounts.py::test_mount_of_a_sha512_blob",
        "test_manifest_formats.py::test_format_round_trips_byte_for_byte[non-distributable-layers]",
        "test_errors.py::test_malformed_digest_is_refused[manifest GET]",
        "test_properties_bad_input.py::test_any_invalid_digest_gets_a_4xx_with_an_allowed_code",
    ),
    12: (
        "test_grammar.py::test_invalid_repository_name_is_refused_on_pull[upper-case]",
        "test_grammar.py::test_invalid_repository_name_is_refused_on_push[upper-case]",
    ),
}
"""Deviation number of real-peers.md -> checks that demonstrate it (each pinned for that deviation)."""
NOTED_DEVIATIONS = {3}
"""Deviations the spec allows: demonstrated by a note a passing check records, not by a verdict."""


@pytest.fixture(scope="module")
def expectations() -> Expectations:
    return Expectations.load()


def test_expectations_file_is_a_reviewed_record(expectations: Expectations) -> None:
    problems = review_problems(expectations)
    assert not problems, f"{EXPECTATIONS_PATH} needs review:\n" + "\n".join(problems)
    assert expectations.passing and expectations.non_passing


def test_each_listed_deviation_is_caught_by_a_pinned_check(expectations: Expectations) -> None:
    assert sorted(DEVIATION_CHECKS) == list(range(1, 13))
    assert [f"deviation-{number}" for number in sorted(DEVIATION_CHECKS)] == list(DEVIATIONS)
    missing = []
    for number, checks in sorted(DEVIATION_CHECKS.items()):
        reason = f"deviation-{number}"
        for check in checks:
            pinned = expectations.noted if number in NOTED_DEVIATIONS else expectations.non_passing
            entry = pinned.get(check)
            if entry is None or reason not in entry.reasons:
                missing.append(f"{reason}: {check} is not pinned for it ({entry})")
    assert not missing, "\n".join(missing)
    for number in NOTED_DEVIATIONS:
        checks = DEVIATION_CHECKS[number]
        assert all(check in expectations.passing for check in checks)


@pytest.mark.skipif(not distribution_available(), reason="needs Debian's docker-registry 2.8.2")
@pytest.mark.timeout(600)
def test_distribution_verdicts_match_the_expectations(expectations: Expectations, tmp_path: Path) -> None:
    with start_distribution() as registry:
        run = run_full_suite(registry.url, tmp_path / "report")
    print(
        f"suite against distribution 2.8.2: {len(run.observed)} checks in {run.elapsed:.1f} s "
        f"({run.results['counts']})"
    )
    changes = compare(expectations, run.observed)
    assert not changes, render_changes(changes, registry="distribution 2.8.2", results_path=run.results_path)
    assert run.returncode == 1, f"the run has failed checks, so pytest must exit 1:\n{run.output}"
