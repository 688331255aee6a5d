"""Each MUST check can fail: the real suite, run against a registry with one injected fault, fails
EXACTLY the checks of the broken rule and nothing else.

One conforming registry (the bundled reference server) sits behind a `FaultProxy` per fault; the suite
runs as a subprocess (only the modules the fault concerns, some narrowed with `-k`) and its results.json
is read: the expected check ids must be "failed" with a message naming the rule, and every other check of
the run must be passed or unsupported, as it is through a clean proxy (`test_legal_variations.py` runs the
same modules through a proxy with only legal changes and requires no failure). The faults run in
parallel subprocesses; a stalled body must end as a failure naming the timeout, within a bound.

If a suite module gains or renames checks, update `EXPECTED` (the failing ids are the contract).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from conformance.registries import RegistryProcess, start_reference_server
from tests.conformance.broken import faults
from tests.conformance.broken.proxy import Fault, FaultProxy
from tests.conformance.broken.suite_runs import SuiteRun, run_suite

TIMEOUT = 2.0
"""--registry-timeout of the stall run (the stall must be reported within it)."""
ROOMY_TIMEOUT = 15.0
"""--registry-timeout of the other runs: no spurious timeouts on a loaded machine."""


@dataclass(frozen=True)
class Expectation:
    """What one fault must do to the suite."""

    make: Callable[[], Fault]
    modules: tuple[str, ...]
    failing: frozenset[str]
    says: str
    """A regular expression every failing check's message must match (the rule the fault breaks)."""
    select: str | None = None
    """A `-k` expression narrowing the run (None: the whole modules)."""
    rule: str = ""
    timeout: float = ROOMY_TIMEOUT
    outcome: str = "failed"
    """What the broken checks end as: "failed" for a MUST, "warned" for a SHOULD (failed under strict)."""
    flags: tuple[str, ...] = ()


def ids(module: str, *names: str) -> frozenset[str]:
    """`module::name` check ids."""
    return frozenset(f"{module}::{name}" for name in names)


BLOBS = "test_blobs.py"
INVALID_NAME_ON_PULL = ids(
    "test_grammar.py",
    *(
        f"test_invalid_repository_name_is_refused_on_pull[{reason}]"
        for reason in (
            "upper-case",
            "double dot",
            "leading separator",
            "trailing separator",
            "trailing slash",
            "empty component",
            "triple underscore",
            "mixed separators",
            "illegal character",
            "encoded dot-dot component",
            "longer than 255 characters",
        )
    ),
)
EXPECTED: dict[str, Expectation] = {
    "drop-digest-header": Expectation(
        faults.DropDigestHeader,
        (BLOBS,),
        ids(
            BLOBS,
            "test_blob_get_returns_the_exact_bytes_with_length_and_digest",
            "test_blob_head_answers_200_with_length_digest_and_no_body",
            "test_sha512_blob_round_trips_with_get_and_head",
            "test_well_known_blob_round_trips_with_get_and_head[empty-blob]",
            "test_well_known_blob_round_trips_with_get_and_head[empty-json]",
        ),
        "Docker-Content-Digest",
        rule="GET/HEAD of a blob MUST carry Docker-Content-Digest",
    ),
    "flip-blob-byte": Expectation(
        faults.FlipBlobByte,
        (BLOBS,),
        ids(
            BLOBS,
            "test_blob_get_returns_the_exact_bytes_with_length_and_digest",
            "test_sha512_blob_round_trips_with_get_and_head",
            "test_well_known_blob_round_trips_with_get_and_head[empty-json]",
            "test_range_get_answers_206_with_exactly_the_requested_bytes[bytes=500-1499]",
            "test_range_get_answers_206_with_exactly_the_requested_bytes[bytes=500-]",
            "test_range_get_answers_206_with_exactly_the_requested_bytes[bytes=-500]",
            "test_range_get_answers_206_with_exactly_the_requested_bytes[bytes=2000-5000]",
        ),
        r"differs from the|that are not bytes",
        rule="a blob GET MUST return the blob's exact bytes (ranges: exactly the requested bytes)",
    ),
    "wrong-head-length": Expectation(
        faults.WrongHeadLength,
        (BLOBS,),
        ids(
            BLOBS,
            "test_blob_head_answers_200_with_length_digest_and_no_body",
            "test_sha512_blob_round_trips_with_get_and_head",
            "test_well_known_blob_round_trips_with_get_and_head[empty-blob]",
            "test_well_known_blob_round_trips_with_get_and_head[empty-json]",
        ),
        "Content-Length",
        rule="HEAD MUST carry Content-Length = the blob size",
    ),
    "stall-blob-body": Expectation(
        faults.StallBlobBody,
        (BLOBS,),
        ids(
            BLOBS,
            "test_blob_get_returns_the_exact_bytes_with_length_and_digest",
            "test_sha512_blob_round_trips_with_get_and_head",
            "test_well_known_blob_round_trips_with_get_and_head[empty-json]",
        ),
        re.escape(f"timeout: no complete answer within {TIMEOUT:g} s"),
        rule="every request has a timeout: a stall fails",
        timeout=TIMEOUT,
    ),
    "mount-missing-201": Expectation(
        faults.MountMissing201,
        ("test_mounts.py",),
        ids("test_mounts.py", "test_mount_of_a_blob_that_exists_nowhere_is_not_201"),
        "201",
        rule="a mount of a blob that exists nowhere MUST NOT answer 201",
    ),
    "ignore-content-range": Expectation(
        faults.IgnoreContentRange,
        ("test_upload_sessions.py",),
        ids(
            "test_upload_sessions.py",
            "test_out_of_order_patch_is_416_and_the_upload_recovers[overlaps-the-end]",
            "test_out_of_order_patch_is_416_and_the_upload_recovers[resends-the-first-chunk]",
            "test_out_of_order_patch_is_416_and_the_upload_recovers[skips-ahead]",
            "test_patch_whose_content_range_disagrees_with_its_length_is_refused[longer]",
            "test_patch_whose_content_range_disagrees_with_its_length_is_refused[shorter]",
        ),
        "202",
        rule="an out-of-order chunk MUST be answered 416",
    ),
    "wrong-patch-range": Expectation(
        faults.WrongPatchRange,
        ("test_upload_sessions.py",),
        ids(
            "test_upload_sessions.py",
            "test_cancelled_session_answers_204_and_is_gone",
            "test_every_patch_and_status_report_the_bytes_received",
            "test_out_of_order_final_chunk_in_put_is_416_and_the_upload_recovers",
            "test_out_of_order_patch_is_416_and_the_upload_recovers[overlaps-the-end]",
            "test_out_of_order_patch_is_416_and_the_upload_recovers[resends-the-first-chunk]",
            "test_out_of_order_patch_is_416_and_the_upload_recovers[skips-ahead]",
            "test_status_answers_for_the_location_of_any_earlier_post_or_patch",
        ),
        "Range",
        rule="PATCH 202 MUST carry Range: 0-<last byte received>",
    ),
    "deleted-tag-still-served": Expectation(
        faults.DeletedTagStillServed,
        ("test_deletes.py",),
        ids("test_deletes.py", "test_tag_delete_removes_only_that_tag"),
        "after a successful delete, expected 404",
        rule="after a tag DELETE (202) the tag answers 404",
    ),
    "tags-unsorted": Expectation(
        faults.TagsUnsorted,
        ("test_tags.py",),
        ids(
            "test_tags.py",
            "test_last_equal_to_the_final_tag_returns_nothing",
            "test_last_returns_only_tags_strictly_after_it",
            "test_n_returns_the_first_n_tags_or_a_link",
            "test_pagination_walk_returns_every_tag_once",
            "test_tag_list_names_the_repository_and_every_tag_in_order",
        ),
        r"tags/list|order",
        rule="tags MUST be in lexical or ASCIIbetical order",
    ),
    "tags-ignore-n": Expectation(
        faults.TagsIgnoreN,
        ("test_tags.py",),
        ids(
            "test_tags.py",
            "test_last_equal_to_the_final_tag_returns_nothing",
            "test_last_returns_only_tags_strictly_after_it",
            "test_n_returns_the_first_n_tags_or_a_link",
            "test_n_zero_returns_an_empty_list_without_link",
            "test_pagination_walk_returns_every_tag_once",
        ),
        r"tags/list\?|more than n=",
        rule="with n (and last) the list MUST hold at most n tags after last",
    ),
    "referrers-no-subject-header": Expectation(
        faults.ReferrersNoSubjectHeader,
        ("test_referrers.py",),
        ids("test_referrers.py", "test_subject_push_answers_oci_subject_exactly_when_the_api_exists"),
        "OCI-Subject",
        rule="a registry with the referrers API MUST answer OCI-Subject to a subject push",
    ),
    "referrers-wrong-content-type": Expectation(
        faults.ReferrersWrongContentType,
        ("test_referrers.py",),
        ids(
            "test_referrers.py",
            "test_artifact_type_filter_returns_only_that_type",
            "test_deleted_referrer_leaves_the_list",
            "test_referrers_list_each_referrer_with_its_descriptor_fields",
            "test_referrers_of_a_manifest_without_referrers_is_an_empty_index",
            "test_referrers_of_a_missing_subject_list_its_referrer",
            "test_referrers_pages_walk_to_the_full_list",
        ),
        "Content-Type",
        rule="referrers Content-Type MUST be the OCI index type",
    ),
    "non-spec-error-code": Expectation(
        faults.NonSpecErrorCode,
        ("test_errors.py",),
        ids(
            "test_errors.py",
            "test_missing_blob_in_an_existing_repository_is_404_blob_unknown[GET]",
            "test_missing_blob_in_an_existing_repository_is_404_blob_unknown[DELETE]",
            "test_unknown_upload_session_is_404_blob_upload_unknown[GET]",
            "test_unknown_upload_session_is_404_blob_upload_unknown[PATCH]",
            "test_unknown_upload_session_is_404_blob_upload_unknown[PUT]",
            "test_unknown_upload_session_is_404_blob_upload_unknown[DELETE]",
            "test_unsupported_method_is_refused_with_4xx[PATCH-tags/list]",
            "test_unsupported_method_is_refused_with_4xx[POST-manifests/latest]",
            "test_unsupported_method_is_refused_with_4xx[PUT-blobs/{digest}]",
        ),
        "is not an OCI error envelope",
        select="missing_blob_in_an_existing_repository or unknown_upload_session or unsupported_method",
        rule="a JSON error body MUST use codes from the spec's table",
    ),
    "invalid-name-plain-404": Expectation(
        faults.PlainNotFoundForInvalidNames,
        ("test_grammar.py",),
        INVALID_NAME_ON_PULL,
        "does not name the problem",
        select="invalid_repository_name_is_refused_on_pull",
        rule="an invalid name SHOULD be refused naming NAME_INVALID",
        outcome="warned",
    ),
    "invalid-name-plain-404-strict": Expectation(
        faults.PlainNotFoundForInvalidNames,
        ("test_grammar.py",),
        INVALID_NAME_ON_PULL,
        "does not name the problem",
        select="invalid_repository_name_is_refused_on_pull",
        rule="under --registry-strict a SHOULD violation fails",
        flags=("--registry-strict",),
    ),
    "server-error-for-bad-input": Expectation(
        faults.ServerErrorForBadInput,
        ("test_errors.py",),
        ids(
            "test_errors.py",
            "test_manifest_put_by_a_malformed_digest_is_refused",
            "test_upload_closed_with_a_malformed_digest_is_400",
            *(
                f"test_malformed_digest_is_refused[{place}]"
                for place in (
                    "blob GET",
                    "blob HEAD",
                    "blob DELETE",
                    "manifest GET",
                    "manifest DELETE",
                    "referrers GET",
                )
            ),
        ),
        "a 5xx for bad client input",
        select="malformed_digest or missing_blob_in_an_existing_repository",
        rule="bad input is answered 4xx, never 5xx",
    ),
    "wrong-manifest-put-digest": Expectation(
        faults.WrongManifestPutDigest,
        ("test_manifests.py",),
        ids(
            "test_manifests.py",
            "test_content_type_parameters_on_push_are_ignored",
            "test_manifest_just_under_four_megabytes_is_accepted",
            "test_push_by_digest_is_pullable_without_a_tag",
            "test_push_by_tag_answers_201_with_location_and_digest",
            "test_repushing_identical_bytes_is_idempotent",
            "test_tag_overwrite_moves_the_tag_and_keeps_the_old_digest",
            "test_tag_parameters_answer_an_oci_tag_per_accepted_tag",
        ),
        "Docker-Content-Digest",
        rule="manifest PUT's Docker-Content-Digest MUST equal the pushed digest",
    ),
}


@pytest.fixture(scope="module")
def upstream() -> Iterator[RegistryProcess]:
    """The conforming registry behind the proxies: the bundled reference server."""
    with start_reference_server() as process:
        yield process


@pytest.fixture(scope="module")
def fault_runs(
    upstream: RegistryProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, SuiteRun]]:
    """Every fault's suite run, three subprocesses at a time, each through its own proxy."""
    base = tmp_path_factory.mktemp("fault-runs")
    proxies = {
        name: FaultProxy(upstream.url, [expectation.make()]).start() for name, expectation in EXPECTED.items()
    }
    try:

        def run(name: str) -> SuiteRun:
            expectation = EXPECTED[name]
            extra = (("-k", expectation.select) if expectation.select else ()) + expectation.flags
            url, where = proxies[name].url, base / name
            return run_suite(url, expectation.modules, where, timeout=expectation.timeout, extra_args=extra)

        order = sorted(EXPECTED, key=lambda name: name != "stall-blob-body")  # the slow one first
        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = {name: pool.submit(run, name) for name in order}
            yield {name: future.result() for name, future in futures.items()}
    finally:
        for proxy in proxies.values():
            proxy.stop()


def _report(run: SuiteRun) -> str:
    lines = [f"{key}: {outcome}" for key, outcome in sorted(run.outcomes.items())]
    return "\n".join(lines) + "\n--- output ---\n" + run.output[-2500:]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_fault_fails_exactly_its_checks(name: str, fault_runs: dict[str, SuiteRun]) -> None:
    expectation = EXPECTED[name]
    run = fault_runs[name]
    outcomes = run.outcomes
    assert outcomes, f"{name}: the run collected no checks\n{run.output}"
    missing = expectation.failing - set(outcomes)
    assert not missing, (
        f"{name}: expected checks not in the run (renamed?): {sorted(missing)}\n{_report(run)}"
    )
    wanted = expectation.outcome
    wrong = {key: outcomes[key] for key in expectation.failing if outcomes[key] != wanted}
    assert not wrong, f"{name} ({expectation.rule}): these checks are not {wanted}: {wrong}\n{_report(run)}"
    collateral = {
        key: outcome
        for key, outcome in outcomes.items()
        if key not in expectation.failing and outcome not in ("passed", "unsupported")
    }
    assert not collateral, f"{name}: other checks were hit too: {collateral}\n{_report(run)}"
    for key in expectation.failing:
        message = run.message(key) + "\n".join(run.checks[key].get("warnings") or [])
        assert re.search(expectation.says, message), (
            f"{name}: {key} is {wanted} for another reason: {message[:1500]}"
        )
    assert run.returncode == (1 if wanted == "failed" else 0), f"{name}: exit status {run.returncode}"
    assert run.results["verdict"] == wanted


def test_stall_is_reported_within_the_timeout_never_a_hang(fault_runs: dict[str, SuiteRun]) -> None:
    run = fault_runs["stall-blob-body"]
    stalled = len(EXPECTED["stall-blob-body"].failing)
    # each stalled check costs one timeout; the rest of the run is quick (generous bound for a loaded machine)
    assert run.elapsed < 90 + stalled * TIMEOUT, f"the stalled run took {run.elapsed:.1f} s"
    for key in EXPECTED["stall-blob-body"].failing:
        check = run.checks[key]
        # one stalled request per check: it ends after the timeout (plus scheduling slack), not later
        assert TIMEOUT <= check["duration_seconds"] < TIMEOUT + 5, f"{key} took {check['duration_seconds']} s"
        message = run.message(key)
        assert "RegistryTimeout" in message and "while reading the body" in message, message


def test_the_faults_cover_at_least_ten_must_rules() -> None:
    must_rules = {e.rule for e in EXPECTED.values() if e.outcome == "failed" and not e.flags}
    assert len(must_rules) >= 10, must_rules
