"""Each rule the suite judges can be broken: the real suite, run against a registry with one injected
fault, breaks EXACTLY the checks of that rule, at the level its keyword gives, and nothing else.

One conforming registry (the bundled reference server) sits behind a `FaultProxy` per fault; the suite
runs as a subprocess (only the modules the fault concerns, some narrowed with `-k`) and its results.json
is read: the expected check ids must end "failed" (a MUST), "warned" (a SHOULD) or "passed" with advice
(a contested reading or a sentence without keyword), each with a finding of the broken rule at that level;
every other check of the run must be passed or unsupported, as it is through a clean proxy
(`test_legal_variations.py` runs the same modules through a proxy with only legal changes and requires no
failure). Where a keyword differs between v1.1.1 and main, the fault runs under both texts; the same
SHOULD fault runs once more under --registry-strict. A stalled body must end as a failure naming the
deadline, within a bound.

If a suite module gains or renames checks, update `EXPECTED` (the broken ids are the contract)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from conformance.ledger.model import Rule
from conformance.ledger.rules import deletes, general, manifests, mounts, pull, referrers, tags, uploads
from conformance.registries import RegistryProcess, start_reference_server
from tests.conformance.broken import faults
from tests.conformance.broken.proxy import Fault, FaultProxy
from tests.conformance.broken.suite_runs import SuiteRun, run_suite

TIMEOUT = 2.0
"""--registry-timeout of the stall run (the stall must be reported within it)."""
ROOMY_TIMEOUT = 15.0
"""--registry-timeout of the other runs: no spurious timeouts on a loaded machine."""


LEVEL_OF_OUTCOME = {"failed": "fail", "warned": "warn", "advised": "advice"}
"""The finding level each expected outcome rests on ("advised": the check passes with advice)."""
MAIN = ("--registry-spec-version", "main")


@dataclass(frozen=True)
class Expectation:
    """What one fault must do to the suite: exactly `checks` end `outcome` on one of `rules`."""

    make: Callable[[], Fault]
    modules: tuple[str, ...]
    checks: frozenset[str]
    rules: tuple[Rule, ...]
    """Every check in `checks` has a finding of one of these rules at the outcome's level."""
    what: str
    """The rule the fault breaks, in words."""
    outcome: str = "failed"
    """"failed" (a MUST), "warned" (a SHOULD) or "advised" (passed with advice)."""
    level: str | None = None
    """The findings' level when it is not the outcome's (a SHOULD finding fails the check under strict)."""
    select: str | None = None
    """A `-k` expression narrowing the run (None: the whole modules)."""
    says: str = ""
    """A regular expression every broken check's message must match as well (empty: not asked)."""
    timeout: float = ROOMY_TIMEOUT
    flags: tuple[str, ...] = ()


def ids(module: str, *names: str) -> frozenset[str]:
    """`module::name` check ids."""
    return frozenset(f"{module}::{name}" for name in names)


BLOBS = "test_blobs.py"
BLOB_GETS = ids(
    BLOBS,
    "test_blob_get_returns_the_exact_bytes_with_length_and_digest",
    "test_sha512_blob_round_trips_with_get_and_head",
    "test_well_known_blob_round_trips_with_get_and_head[empty-json]",
)
DIGEST_HEADER_CHECKS = BLOB_GETS | ids(
    BLOBS,
    "test_blob_head_answers_200_with_length_digest_and_no_body",
    "test_well_known_blob_round_trips_with_get_and_head[empty-blob]",
)
HEAD_LENGTH_CHECKS = DIGEST_HEADER_CHECKS - ids(
    BLOBS, "test_blob_get_returns_the_exact_bytes_with_length_and_digest"
)
RANGE_GETS = ids(
    BLOBS,
    *(
        f"test_range_get_answers_206_with_exactly_the_requested_bytes[bytes={spec}]"
        for spec in ("500-1499", "500-", "-500", "2000-5000")
    ),
)
OUT_OF_ORDER_PATCHES = ids(
    "test_upload_sessions.py",
    *(
        f"test_out_of_order_patch_is_416_and_the_upload_recovers[{case}]"
        for case in ("overlaps-the-end", "resends-the-first-chunk", "skips-ahead")
    ),
)
MALFORMED_DIGESTS = ids(
    "test_errors.py",
    "test_manifest_put_by_a_malformed_digest_is_refused",
    "test_upload_closed_with_a_malformed_digest_is_400",
    *(
        f"test_malformed_digest_is_refused[{place}]"
        for place in ("blob GET", "blob HEAD", "blob DELETE", "manifest GET", "manifest DELETE")
    ),
)
DIGEST_HEADERS = (pull.BLOB_DIGEST_HEADER, pull.HEAD_DIGEST_HEADER)
EXPECTED: dict[str, Expectation] = {
    "drop-digest-header": Expectation(
        faults.DropDigestHeader, (BLOBS,), DIGEST_HEADER_CHECKS, DIGEST_HEADERS,
        "GET/HEAD of a blob SHOULD (v1.1.1) carry Docker-Content-Digest", outcome="warned",
    ),
    "drop-digest-header-main": Expectation(
        faults.DropDigestHeader, (BLOBS,), DIGEST_HEADER_CHECKS, DIGEST_HEADERS,
        "GET/HEAD of a blob MUST (main) carry Docker-Content-Digest", flags=MAIN,
    ),
    "drop-digest-header-strict": Expectation(
        faults.DropDigestHeader, (BLOBS,), DIGEST_HEADER_CHECKS, DIGEST_HEADERS,
        "under --registry-strict a SHOULD violation fails", flags=("--registry-strict",),
        level="warn",
    ),
    "flip-blob-byte": Expectation(
        faults.FlipBlobByte, (BLOBS,), BLOB_GETS, (pull.BLOB_GET_200,),
        "a blob GET MUST return the blob's exact bytes", select="not range_get", says="differs from the",
    ),
    "flip-blob-byte-ranges": Expectation(
        faults.FlipBlobByte, (BLOBS,), RANGE_GETS, (pull.RANGE_206_SINGLE_PART,),
        "a 206 SHOULD carry exactly the requested bytes (RFC 9110 through the Range SHOULD)",
        outcome="warned", select="range_get", says="that are not bytes",
    ),
    "wrong-head-length": Expectation(
        faults.WrongHeadLength, (BLOBS,), HEAD_LENGTH_CHECKS, (pull.HEAD_CONTENT_LENGTH,),
        "HEAD SHOULD (v1.1.1) carry Content-Length = the blob size", outcome="warned",
    ),
    "wrong-head-length-main": Expectation(
        faults.WrongHeadLength, (BLOBS,), HEAD_LENGTH_CHECKS, (pull.HEAD_CONTENT_LENGTH,),
        "HEAD MUST (main) carry Content-Length = the blob size", flags=MAIN,
    ),
    "stall-blob-body": Expectation(
        faults.StallBlobBody, (BLOBS,), BLOB_GETS, (general.HTTP_COMPLETE_ANSWER,),
        "every request has a deadline: a stall fails", timeout=TIMEOUT,
        says=re.escape(f"timeout: request deadline of {TIMEOUT:g} s exceeded"),
    ),
    "mount-missing-201": Expectation(
        faults.MountMissing201, ("test_mounts.py",),
        ids("test_mounts.py", "test_mount_of_a_blob_that_exists_nowhere_is_not_201"), (mounts.MOUNT_201,),
        "a mount of a blob that exists nowhere MUST NOT answer 201",
    ),
    "ignore-content-range": Expectation(
        faults.IgnoreContentRange, ("test_upload_sessions.py",), OUT_OF_ORDER_PATCHES,
        (uploads.CHUNK_OUT_OF_ORDER_416,), "an out-of-order chunk MUST be answered 416",
        select="out_of_order_patch", says="202",
    ),
    "ignore-content-range-mismatch": Expectation(
        faults.IgnoreContentRange, ("test_upload_sessions.py",),
        ids(
            "test_upload_sessions.py",
            "test_patch_whose_content_range_disagrees_with_its_length_is_refused[longer]",
            "test_patch_whose_content_range_disagrees_with_its_length_is_refused[shorter]",
        ),
        (uploads.CHUNK_RANGE_MATCHES_LENGTH,),
        "a Content-Range that disagrees with the body: contested, advice by default", outcome="advised",
        select="disagrees_with_its_length",
    ),
    "wrong-patch-range": Expectation(
        faults.WrongPatchRange, ("test_upload_sessions.py",),
        OUT_OF_ORDER_PATCHES | ids(
            "test_upload_sessions.py",
            "test_cancelled_session_answers_204_and_is_gone",
            "test_every_patch_and_status_report_the_bytes_received",
            "test_out_of_order_final_chunk_in_put_is_416_and_the_upload_recovers",
            "test_status_answers_for_the_location_of_any_earlier_post_or_patch",
        ),
        (uploads.PATCH_202,), "PATCH 202 MUST carry Range: 0-<last byte received>", says="Range",
    ),
    "deleted-tag-still-served": Expectation(
        faults.DeletedTagStillServed, ("test_deletes.py",),
        ids("test_deletes.py", "test_tag_delete_removes_only_that_tag"), (deletes.TAG_DELETE_GONE,),
        "a tag still served after its 202 delete: contested (202 is 'accepted'), advice by default",
        outcome="advised",
    ),
    "deleted-tag-still-served-strict": Expectation(
        faults.DeletedTagStillServed, ("test_deletes.py",),
        ids("test_deletes.py", "test_tag_delete_removes_only_that_tag"), (deletes.TAG_DELETE_GONE,),
        "under --registry-strict-readings the accepted delete is done: the tag MUST be 404",
        flags=("--registry-strict-readings",), says="after a successful delete, expected 404",
    ),
    "tags-unsorted": Expectation(
        faults.TagsUnsorted, ("test_tags.py",),
        ids(
            "test_tags.py",
            "test_last_returns_only_tags_strictly_after_it",
            "test_n_returns_the_first_n_tags_or_a_link",
            "test_pagination_walk_returns_every_tag_once",
            "test_tag_list_names_the_repository_and_every_tag_in_order",
        ),
        (tags.TAGS_ORDER,), "tags MUST be in lexical or ASCIIbetical order",
    ),
    "tags-ignore-n": Expectation(
        faults.TagsIgnoreN, ("test_tags.py",),
        ids(
            "test_tags.py",
            "test_last_equal_to_the_final_tag_returns_nothing",
            "test_last_returns_only_tags_strictly_after_it",
            "test_n_returns_the_first_n_tags_or_a_link",
            "test_n_zero_returns_an_empty_list_without_link",
            "test_pagination_walk_returns_every_tag_once",
        ),
        (tags.TAGS_N_COUNT, tags.TAGS_N_ZERO), "with n the list MUST hold n tags (n=0: none, no Link)",
    ),
    "referrers-no-subject-header": Expectation(
        faults.ReferrersNoSubjectHeader, ("test_referrers.py",),
        ids("test_referrers.py", "test_subject_push_answers_oci_subject_exactly_when_the_api_exists"),
        (referrers.SUBJECT_HEADER,), "a registry with the referrers API MUST answer OCI-Subject",
    ),
    "referrers-wrong-content-type": Expectation(
        faults.ReferrersWrongContentType, ("test_referrers.py",),
        ids(
            "test_referrers.py",
            "test_artifact_type_filter_returns_only_that_type",
            "test_deleted_referrer_leaves_the_list",
            "test_referrers_list_each_referrer_with_its_descriptor_fields",
            "test_referrers_of_a_manifest_without_referrers_is_an_empty_index",
            "test_referrers_of_a_missing_subject_list_its_referrer",
            "test_referrers_pages_walk_to_the_full_list",
        ),
        (referrers.REFERRERS_CONTENT_TYPE,), "referrers Content-Type MUST be the OCI index type",
    ),
    "non-spec-error-code": Expectation(
        faults.NonSpecErrorCode, ("test_errors.py",),
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
        (general.ERROR_CODE_TABLE, general.ERROR_ENVELOPE),
        "a JSON error body MUST use codes from the spec's table",
        select="missing_blob_in_an_existing_repository or unknown_upload_session or unsupported_method",
    ),
    "server-error-for-bad-input": Expectation(
        faults.ServerErrorForBadInput, ("test_errors.py",), MALFORMED_DIGESTS,
        (general.SERVER_ERROR_FOR_CLIENT_ERROR,),
        "bad input SHOULD (main: follow RFC 9110) be answered 4xx, not 5xx", outcome="warned",
        select="(malformed_digest or missing_blob_in_an_existing_repository) and not referrers",
        flags=MAIN,
    ),
    "server-error-for-bad-input-referrers": Expectation(
        faults.ServerErrorForBadInput, ("test_errors.py",),
        ids("test_errors.py", "test_malformed_digest_is_refused[referrers GET]"),
        (referrers.REFERRERS_INVALID_400,), "with the referrers API, a malformed digest MUST be answered 400",
        select="malformed_digest and referrers",
    ),
    "server-error-for-bad-input-1.1": Expectation(
        faults.ServerErrorForBadInput, ("test_errors.py",), MALFORMED_DIGESTS,
        (general.SERVER_ERROR_FOR_CLIENT_ERROR,),
        "v1.1.1 has no sentence on 5xx for bad input: advice", outcome="advised",
        select="(malformed_digest or missing_blob_in_an_existing_repository) and not referrers",
    ),
    "dated-warning-header": Expectation(
        faults.DatedWarningHeader, ("test_ping.py",),
        ids("test_ping.py", "test_warning_headers_are_299_without_a_date_and_small"),
        (general.WARNING_HEADER_FORMAT,), "Warning headers MUST be 299 - without a warn-date",
    ),
    "wrong-manifest-put-digest": Expectation(
        faults.WrongManifestPutDigest, ("test_manifests.py",),
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
        (manifests.MANIFEST_PUT_DIGEST_HEADER,),
        "manifest PUT's Docker-Content-Digest MUST equal the pushed digest",
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
def test_fault_breaks_exactly_its_checks_on_its_rule(name: str, fault_runs: dict[str, SuiteRun]) -> None:
    expectation = EXPECTED[name]
    run = fault_runs[name]
    outcomes = run.outcomes
    assert outcomes, f"{name}: the run collected no checks\n{run.output}"
    missing = expectation.checks - set(outcomes)
    assert not missing, (
        f"{name}: expected checks not in the run (renamed?): {sorted(missing)}\n{_report(run)}"
    )
    wanted = "passed" if expectation.outcome == "advised" else expectation.outcome
    wrong = {key: outcomes[key] for key in expectation.checks if outcomes[key] != wanted}
    assert not wrong, f"{name} ({expectation.what}): these checks are not {wanted}: {wrong}\n{_report(run)}"
    collateral = {
        key: outcome
        for key, outcome in outcomes.items()
        if key not in expectation.checks and outcome not in ("passed", "unsupported")
    }
    assert not collateral, f"{name}: other checks were hit too: {collateral}\n{_report(run)}"
    level = expectation.level or LEVEL_OF_OUTCOME[expectation.outcome]
    rule_ids = {rule.id for rule in expectation.rules}
    for key in expectation.checks:
        findings = {(finding["level"], finding["rule"]) for finding in run.checks[key].get("findings") or []}
        assert any((level, rule) in findings for rule in rule_ids), (
            f"{name}: {key} is {wanted} on other rules: {sorted(findings)} (expected {level} on one of "
            f"{sorted(rule_ids)}): {run.message(key)[:1500]}"
        )
        if expectation.says:
            message = run.message(key) + "\n".join(run.checks[key].get("warnings") or [])
            message += "\n".join(finding["message"] for finding in run.checks[key].get("findings") or [])
            assert re.search(expectation.says, message), f"{name}: {key}: {message[:1500]}"
    assert run.returncode == (1 if wanted == "failed" else 0), f"{name}: exit status {run.returncode}"
    assert run.results["verdict"] == wanted


def test_stall_is_reported_within_the_timeout_never_a_hang(fault_runs: dict[str, SuiteRun]) -> None:
    run = fault_runs["stall-blob-body"]
    stalled = len(EXPECTED["stall-blob-body"].checks)
    # each stalled check costs one timeout; the rest of the run is quick (generous bound for a loaded machine)
    assert run.elapsed < 90 + stalled * TIMEOUT, f"the stalled run took {run.elapsed:.1f} s"
    for key in EXPECTED["stall-blob-body"].checks:
        check = run.checks[key]
        # one stalled request per check: it ends after the timeout (plus scheduling slack), not later
        assert TIMEOUT <= check["duration_seconds"] < TIMEOUT + 5, f"{key} took {check['duration_seconds']} s"
        message = run.message(key)
        assert "RegistryTimeout" in message and "while reading the body" in message, message


def test_the_faults_cover_at_least_ten_must_rules() -> None:
    must_rules = {e.rules for e in EXPECTED.values() if e.outcome == "failed" and not e.flags}
    assert len(must_rules) >= 10, must_rules
