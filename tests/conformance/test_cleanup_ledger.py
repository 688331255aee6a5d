"""The cleanup ledger: records, refusal reasons, notes, merging worker payloads, the results block, hints."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import schemas
from conformance.cleanup_ledger import (
    DISTRIBUTION_HINT,
    DOCKER_HUB_HINT,
    GENERIC_HINT,
    GHCR_HINT,
    SWITCHED_OFF_HINT,
    CleanupLedger,
    CleanupRecord,
    active_check,
    active_ledger,
    check_notes,
    ledger_active,
    left_with_manifests_deleted,
    refusal,
    removal_hint,
    terminal_line,
)
from conformance.reporting.html import render_html
from conformance.reporting.validation import cleanup_problems, problems_of

FIXTURES = Path(__file__).parent / "reporting" / "fixtures"
DIGEST = "sha256:" + "a" * 64


def _refused(check: str, kind: str, repository: str, reference: str, status: int = 405) -> CleanupRecord:
    cause, reason = refusal(kind, status, ["UNSUPPORTED"])
    return CleanupRecord(check, kind, repository, reference, False, cause, reason, status, "UNSUPPORTED")


def _ledger() -> CleanupLedger:
    ledger = CleanupLedger()
    ledger.add([
        CleanupRecord("t.py::a", "blob", "ns/a-1", DIGEST, True, status=202),
        CleanupRecord("t.py::a", "manifest", "ns/a-1", DIGEST, True, reason="already gone (404)", status=404),
        _refused("t.py::b", "blob", "ns/b-2", DIGEST),
        _refused("t.py::b", "tag", "ns/b-2", "v1"),
        CleanupRecord("t.py::c", "manifest", "ns/c-3", DIGEST, False, "switched-off",
                      "deletes switched off (--no-delete)"),
    ])
    return ledger


@pytest.mark.parametrize(("status", "why"), [
    (400, "deletes disabled or unsupported"), (405, "deletes disabled or unsupported"),
    (401, "denied by the registry's policy"), (403, "denied by the registry's policy"), (500, "refused"),
])
def test_a_refusal_names_status_code_and_what_it_means(status: int, why: str) -> None:
    assert refusal("blob", status, ["DENIED", "X"]) == (
        "refused", f"the registry refused the blob DELETE: {status} DENIED ({why})")
    assert refusal("tag", status, []) == ("refused", f"the registry refused the tag DELETE: {status} ({why})")


def test_summary_counts_every_kind_and_lists_leftovers_by_repository() -> None:
    block = _ledger().summary("http://127.0.0.1:5000")
    assert block["registered"] == {"tag": 1, "manifest": 2, "blob": 2, "total": 5}
    assert block["deleted"] == {"tag": 0, "manifest": 1, "blob": 1, "total": 2}
    assert block["left"] == {"tag": 1, "manifest": 1, "blob": 1, "total": 3}
    assert [repository["repository"] for repository in block["repositories"]] == ["ns/b-2", "ns/c-3"]
    b_left = block["repositories"][0]["left"]
    assert [item["kind"] for item in b_left] == ["tag", "blob"]  # tags, manifests, blobs
    assert b_left[1] == {"kind": "blob", "reference": DIGEST, "check": "t.py::b", "cause": "refused",
                         "reason": "the registry refused the blob DELETE: 405 UNSUPPORTED "
                                   "(deletes disabled or unsupported)",
                         "status": 405, "error_code": "UNSUPPORTED"}
    assert block["hint"] == DISTRIBUTION_HINT
    assert terminal_line(block) == "cleanup: 3 left in 2 repositories (see results.json cleanup)"


def test_an_empty_ledger_has_zero_counts_no_repositories_and_no_hint() -> None:
    block = CleanupLedger().summary(None)
    assert block["left"]["total"] == 0 and block["repositories"] == [] and block["hint"] is None
    assert terminal_line(block) is None and terminal_line(None) is None


def test_worker_payloads_merge_into_the_controllers_ledger() -> None:
    worker_one, worker_two = _ledger(), CleanupLedger()
    worker_two.add([_refused("t.py::d", "blob", "ns/d-4", DIGEST, 403)])
    controller = CleanupLedger()
    for worker in (worker_one, worker_two):
        controller.merge(json.loads(json.dumps(worker.as_payload())))  # as execnet carries it: plain JSON
    assert controller.records == worker_one.records + worker_two.records
    block = controller.summary("http://127.0.0.1:5000")
    assert block["registered"]["total"] == 6 and block["left"]["blob"] == 2
    names = [repository["repository"] for repository in block["repositories"]]
    assert names == ["ns/b-2", "ns/c-3", "ns/d-4"]


def test_check_notes_group_what_was_left_by_kind_and_reason() -> None:
    records = [*_ledger().records, _refused("t.py::b", "blob", "ns/b-2", "sha256:" + "b" * 64)]
    assert check_notes(records) == [
        "cleanup: 1 tag(s) left in the registry (the registry refused the tag DELETE: 405 UNSUPPORTED "
        "(deletes disabled or unsupported))",
        "cleanup: 1 manifest(s) left in the registry (deletes switched off (--no-delete))",
        "cleanup: 2 blob(s) left in the registry (the registry refused the blob DELETE: 405 UNSUPPORTED "
        "(deletes disabled or unsupported))",
    ]
    assert check_notes(record for record in records if record.deleted) == []


def test_a_tag_whose_delete_failed_is_gone_or_left_after_its_manifest_was_deleted() -> None:
    tag = _refused("t.py::b", "tag", "ns/b-2", "v1")
    gone = left_with_manifests_deleted(tag, still_resolves=False)
    assert gone.deleted and gone.cause is None and gone.reason is not None
    assert gone.reason.startswith("removed with its manifest")
    left = left_with_manifests_deleted(tag, still_resolves=True)
    assert not left.deleted and left.cause == "tag-left" and left.status == 405
    assert left.reason == f"{tag.reason}; the repository's manifests were deleted, the tag still resolves"


@pytest.mark.parametrize(("url", "hint"), [
    ("https://ghcr.io", GHCR_HINT),
    ("https://registry-1.docker.io", DOCKER_HUB_HINT),
    ("https://docker.io", DOCKER_HUB_HINT),
    ("http://127.0.0.1:5000", DISTRIBUTION_HINT),
    (None, DISTRIBUTION_HINT),
    ("https://registry.example", DISTRIBUTION_HINT),  # it refused deletes
])
def test_removal_hint_by_registry_host(url: str | None, hint: str) -> None:
    assert removal_hint(url, [_refused("c", "blob", "ns/r", DIGEST)]) == hint


def test_removal_hint_for_other_causes_and_nothing_left() -> None:
    failed = CleanupRecord("c", "blob", "ns/r", DIGEST, False, "transport-error", "no answer")
    assert removal_hint("https://registry.example", [failed]) == GENERIC_HINT
    off = CleanupRecord("c", "blob", "ns/r", DIGEST, False, "switched-off",
                        "deletes switched off (--no-delete)")
    assert removal_hint("https://ghcr.io", [off]) == SWITCHED_OFF_HINT + GHCR_HINT
    assert removal_hint("https://ghcr.io", []) is None
    assert "/user/packages/container/{package_name}/versions/{package_version_id}" in GHCR_HINT
    assert "/orgs/{org}/packages/container/" in GHCR_HINT


def test_the_active_ledger_is_set_only_inside_its_context() -> None:
    ledger = CleanupLedger()
    outer, outer_check = active_ledger(), active_check()  # this very test runs under the plugin's RunState
    assert ledger is not outer
    with ledger_active(ledger, "t.py::x"):
        assert active_ledger() is ledger and active_check() == "t.py::x"
    assert active_ledger() is outer and active_check() == outer_check


def _document(block: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / "distribution.results.json").read_text())
    document["cleanup"] = block
    return document


def test_the_schema_and_the_validator_accept_a_real_block_and_refuse_broken_ones() -> None:
    block = _ledger().summary("http://127.0.0.1:5000")
    assert problems_of(_document(block)) == []
    assert problems_of(_document(CleanupLedger().summary(None))) == []
    wrong_count = copy.deepcopy(block)
    wrong_count["left"]["blob"] = 0
    assert any("$.cleanup.left.blob is 0 but 1 are listed" in problem
               for problem in cleanup_problems(wrong_count))
    assert problems_of(_document(wrong_count))
    no_hint = dict(copy.deepcopy(block), hint=None)
    assert cleanup_problems(no_hint) == ["$.cleanup.hint must be a string exactly when something was left"]
    unknown_cause = copy.deepcopy(block)
    unknown_cause["repositories"][0]["left"][0]["cause"] = "gremlins"
    assert schemas.validate(_document(unknown_cause), "results")
    refused_without_status = copy.deepcopy(block)
    refused_without_status["repositories"][0]["left"][0]["status"] = None
    assert schemas.validate(_document(refused_without_status), "results")
    missing = copy.deepcopy(block)
    del missing["hint"]
    assert schemas.validate(_document(missing), "results")


def test_report_html_shows_the_section_only_when_something_was_left() -> None:
    page = render_html(_document(_ledger().summary("https://ghcr.io")))
    assert '<section id="leftovers"><h2>Left in the registry</h2>' in page
    assert 'href="#leftovers"' in page
    assert "ns/b-2" in page and "ns/c-3" in page and "405 UNSUPPORTED" in page
    assert "/user/packages/container/{package_name}/versions/{package_version_id}" in page
    clean = render_html(_document(CleanupLedger().summary(None)))
    assert 'id="leftovers"' not in clean and 'href="#leftovers"' not in clean
