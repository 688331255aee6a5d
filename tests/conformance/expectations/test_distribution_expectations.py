"""The whole suite against distribution 2.8.2 and 3.1.1 ends exactly as their shipped expectations say.

`conformance/expectations/distribution-<version>.toml` lists every check the registry is expected not to
pass, with its outcome, the ledger rule it breaks and the reason (`update_expectations.py` regenerates
it for review). These tests prove:

- each file is a reviewed record: every entry has a reason (none awaiting review), every failed or warned
  entry names a ledger rule whose level in a v1.1 run is that outcome (a failure rests on a MUST, a
  warning on a SHOULD);
- each of the twelve deviations real-peers.md lists for 2.8.2 is caught: `DEVIATIONS` names, per
  deviation, checks of the run that must show a finding of the named rule (at whatever level the rule has:
  a contested reading shows as advice), end unsupported, or pass (where the listed behaviour is legal: the
  check meets it and must accept it);
- a real run agrees with the file: the registry is started, the whole suite runs against it with
  `--registry-expectations <file> --registry-expectations-strict` and must exit 0, with no unexpected
  outcome and no stale entry (the diff names each check, its expected and actual outcome).

3.1.1 runs from `../shared/peers/bin/distribution-v3.1.1` (`$REGISTRY_HARNESS_PEERS`); where it is absent
its run is skipped with a message saying so.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.expectations.file import ExpectationsFile, load_expectations
from conformance.ledger.catalog import rule_by_id
from conformance.ledger.model import Level, SpecVersion
from conformance.registries import DISTRIBUTION_3, distribution_available, peer_binary
from tests.conformance.expectations.distribution_run import SuiteRun, run_full_suite
from tests.conformance.expectations.update_expectations import NEEDED, distribution, expectations_path

VERSIONS = ("2.8.2", "3.1.1")
LEVEL_OF = {"failed": Level.FAIL, "warned": Level.WARN}
UNSUPPORTED = "unsupported"
PASSED = "passed"
NEGOTIATION = "test_negotiation.py::test_pull_by_{}_serves_{}"
EXPECTED = "expected-manifest"
TAGS = "test_tags.py::test_"
UPLOAD_SESSIONS = "test_upload_sessions.py::test_"
DEVIATIONS: dict[int, tuple[tuple[str, str], ...]] = {
    1: ((NEGOTIATION.format("tag", "the_stored_manifest_or_a_consistent_variant[oci-manifest]"), EXPECTED),
        (NEGOTIATION.format("digest", "exactly_that_content_under_any_accept[oci-manifest]"), EXPECTED),
        (NEGOTIATION.format("digest", "exactly_that_content_under_any_accept[oci-index]"), EXPECTED)),
    2: ((TAGS + "n_returns_the_first_n_tags_or_a_link", "tags-n-count"),
        (TAGS + "last_returns_only_tags_strictly_after_it", "tags-last-after"),
        (TAGS + "tag_list_names_the_repository_and_every_tag_in_order", "tags-order"),
        (TAGS + "tag_list_reflects_manifest_deletes", "tags-null")),
    # A relative Link is a URI reference RFC 5988 allows (resolved against the request): legal, followed.
    3: (("test_catalog.py::test_catalog_pages_with_n_last_and_link", PASSED),),
    4: (("test_referrers.py::test_referrers_list_each_referrer_with_its_descriptor_fields", UNSUPPORTED),
        ("test_referrers.py::test_subject_push_answers_oci_subject_exactly_when_the_api_exists", PASSED)),
    5: (("test_manifests.py::test_manifest_with_a_wrong_descriptor_size_is_refused",
         "wrong-size-may-reject"),),
    6: (("test_deletes.py::test_tag_delete_removes_only_that_tag", UNSUPPORTED),
        ("test_errors.py::test_missing_manifest_is_404_manifest_unknown[DELETE-tag]", UNSUPPORTED)),
    7: (("test_uploads.py::test_upload_creates_a_blob_pullable_at_the_returned_location[single-post]",
         UNSUPPORTED),),
    8: ((UPLOAD_SESSIONS + "out_of_order_patch_is_416_and_the_upload_recovers[skips-ahead]",
         "chunk-out-of-order-416"),
        (UPLOAD_SESSIONS + "patch_whose_content_range_disagrees_with_its_length_is_refused[longer]",
         "chunk-range-matches-length")),
    9: ((UPLOAD_SESSIONS + "status_answers_for_the_location_of_any_earlier_post_or_patch",
         "upload-status-any-location"),),
    10: (("test_blobs.py::test_range_get_of_invalid_or_unsatisfiable_range_is_416[bytes=5000-10000]",
          "http-complete-answer"),),
    11: (("test_mounts.py::test_mount_of_a_sha512_blob", "mount-201"),
         ("test_manifest_formats.py::test_sha512_index_and_images_round_trip_by_digest", UNSUPPORTED),
         ("test_manifest_formats.py::test_format_round_trips_byte_for_byte[non-distributable-layers]",
          UNSUPPORTED),
         ("test_errors.py::test_malformed_digest_is_refused[manifest GET]", "server-error-for-client-error")),
    # A 4xx body MAY be in any format: a plain-text 404 for an upper-case name is a legal refusal.
    12: (("test_grammar.py::test_invalid_repository_name_is_refused_on_pull[upper-case]", PASSED),
         ("test_grammar.py::test_invalid_repository_name_is_refused_on_push[upper-case]", PASSED)),
}
"""real-peers.md deviation number -> (check id, the rule it shows, "unsupported" or "passed") on 2.8.2."""


def available(version: str) -> bool:
    """Whether distribution `version` can be started here."""
    if version == "2.8.2":
        return distribution_available()
    return peer_binary(DISTRIBUTION_3) is not None


def missing_reason(version: str) -> str:
    """What is missing for `version`, for the skip message."""
    if version == "2.8.2":
        return "needs Debian's docker-registry 2.8.2 (apt-get install docker-registry)"
    return f"needs {DISTRIBUTION_3} in the peers folder (../shared/peers/bin; see ../shared/peers/README.md)"


@pytest.mark.parametrize("version", VERSIONS)
def test_expectations_file_is_a_reviewed_record(version: str) -> None:
    expectations = load_expectations(expectations_path(version))
    assert expectations.entries, f"{expectations.path} lists nothing"
    problems = []
    for entry in expectations.entries:
        if NEEDED in entry.reason or not entry.reason.strip():
            problems.append(f"{entry.check}: no reason yet ({entry.reason[:80]})")
        if entry.outcome in LEVEL_OF:
            if entry.rule is None:
                problems.append(f"{entry.check}: a {entry.outcome} entry names no rule")
                continue
            level = rule_by_id(entry.rule).level(SpecVersion.V1_1, strict_readings=False)
            if level is not LEVEL_OF[entry.outcome]:
                problems.append(f"{entry.check}: {entry.outcome} on {entry.rule}, whose level is {level}")
    checks = [entry.check for entry in expectations.entries]
    problems += [f"{check}: listed twice" for check in sorted(set(checks)) if checks.count(check) > 1]
    assert not problems, f"{expectations.path} needs review:\n" + "\n".join(problems)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SuiteRun | str]]:
    """Each version's whole-suite run with its expectations file (strict), or why it cannot run here."""
    done: dict[str, SuiteRun | str] = {}
    for version in VERSIONS:
        if not available(version):
            done[version] = missing_reason(version)
            continue
        path = expectations_path(version)
        with distribution(version) as registry:
            done[version] = run_full_suite(
                registry.url, tmp_path_factory.mktemp(f"distribution-{version}"),
                extra_args=("--registry-expectations", str(path), "--registry-expectations-strict"),
            )
    yield done


def _run_of(runs: dict[str, SuiteRun | str], version: str) -> SuiteRun:
    run = runs[version]
    if isinstance(run, str):
        pytest.skip(f"distribution {version} is not here: {run}")
    return run


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("version", VERSIONS)
def test_distribution_verdicts_match_the_expectations(runs: dict[str, SuiteRun | str], version: str) -> None:
    run = _run_of(runs, version)
    block = run.results["expectations"]
    print(f"suite against distribution {version}: {len(run.checks)} checks in {run.elapsed:.1f} s "
          f"({run.results['counts']}; expectations {block['counts']})")
    diff = [f"{item['check']}: expected {item['expected']}, ended {item['actual']} ({item['status']}): "
            f"{(run.checks[item['check']].get('message') or '')[:300]}" for item in block["unexpected"]]
    diff += [f"stale entry {item['check']} ({item['outcome']}): no check of the run"
             for item in block["stale"]]
    assert not diff, (
        f"distribution {version} does not end as {block['file']} says (regenerate with update_expectations "
        f"and review; results: {run.results_path}):\n" + "\n".join(diff)
    )
    assert block["strict"] and run.returncode == 0, f"exit {run.returncode}:\n{run.output}"


@pytest.mark.timeout(1200)
def test_each_listed_deviation_of_2_8_2_is_caught(runs: dict[str, SuiteRun | str]) -> None:
    run = _run_of(runs, "2.8.2")
    assert sorted(DEVIATIONS) == list(range(1, 13))
    missing = []
    for number, pairs in sorted(DEVIATIONS.items()):
        for check_id, rule in pairs:
            check = run.checks.get(check_id)
            if check is None:
                missing.append(f"deviation {number}: {check_id} is not in the run (renamed?)")
            elif rule in (UNSUPPORTED, PASSED):
                if check["outcome"] != rule:
                    missing.append(f"deviation {number}: {check_id} ended {check['outcome']}, not {rule}")
            elif rule not in {finding["rule"] for finding in check.get("findings") or []}:
                missing.append(f"deviation {number}: {check_id} has no finding of {rule} "
                               f"({check['outcome']}, {[f['rule'] for f in check.get('findings') or []]})")
    assert not missing, "\n".join(missing)


def test_the_files_load_as_expectations_files() -> None:
    for version in VERSIONS:
        loaded: ExpectationsFile = load_expectations(expectations_path(version))
        assert loaded.registry["spec_version"] == "1.1"
        assert Path(loaded.path).name == f"distribution-{version}.toml"
