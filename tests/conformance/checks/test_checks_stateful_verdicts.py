"""The stateful machine's delete and referrer verdicts (conformance/checks/stateful_verdicts.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.properties import PropertyRun
from conformance.checks.stateful_verdicts import check_gone, compare_referrers, delete_refused
from conformance.ledger.model import Level, SpecVersion
from conformance.ledger.rules import deletes
from conformance.verdicts import (
    MustViolation,
    ShouldViolation,
    VerdictRecorder,
    VerdictSettings,
    configure,
    settings,
)
from tests.conformance.checks.checks_doubles import MemoryRegistry, answer, run_config, verdicts

SIG, SBOM = "application/vnd.example.signature", "application/vnd.example.sbom"
MODEL: dict[str, str | None] = {"sha256:aa": SIG, "sha256:bb": SBOM}


@pytest.fixture(autouse=True)
def _v1_1_run() -> Iterator[None]:
    before = settings()
    configure(VerdictSettings(spec_version=SpecVersion.V1_1))
    yield
    configure(before)


def _run(**switches: bool) -> PropertyRun:
    return PropertyRun(MemoryRegistry().client(), run_config(**switches), Capabilities(), "verdicts-test")


def _levels(recorder: VerdictRecorder) -> list[tuple[Level, str]]:
    return [(finding.level, finding.rule.id) for finding in recorder.findings]


def _entries(*digests: str) -> list[dict[str, object]]:
    return [{"digest": digest} for digest in digests]


def test_delete_answers() -> None:
    rules = (deletes.BLOB_DELETE_202, deletes.BLOB_DELETE_DISABLED)
    with verdicts() as recorder:
        assert delete_refused(answer(202, method="DELETE"), *rules) is False
        assert delete_refused(answer(405, method="DELETE"), *rules) is True
        assert delete_refused(answer(400, method="DELETE"), *rules) is True
    assert recorder.findings == []
    with pytest.raises(MustViolation, match="expected 202"):
        delete_refused(answer(200, method="DELETE"), *rules)
    with pytest.raises(MustViolation, match="400 or 405"):
        delete_refused(answer(500, method="DELETE"), *rules)
    with pytest.raises(MustViolation, match="400 or 405"):
        delete_refused(answer(404, method="DELETE"), *rules)


def test_gone_is_contested_advice_once_and_a_note_when_not_atomic() -> None:
    run = _run()
    with verdicts() as recorder:
        check_gone(run, answer(404), "GET", deletes.MANIFEST_DELETE_GONE)
        check_gone(run, answer(200), "GET", deletes.MANIFEST_DELETE_GONE)
        check_gone(run, answer(200), "GET again", deletes.MANIFEST_DELETE_GONE)
    assert _levels(recorder) == [(Level.ADVICE, "manifest-delete-gone")]
    configure(VerdictSettings(spec_version=SpecVersion.V1_1, strict_readings=True))
    with pytest.raises(MustViolation, match="after a successful delete, expected 404"):
        check_gone(_run(), answer(200), "GET", deletes.MANIFEST_DELETE_GONE)
    with verdicts() as recorder:
        check_gone(_run(atomic_delete=False), answer(200), "GET", deletes.MANIFEST_DELETE_GONE)
    assert recorder.findings == []


def test_referrers_agree_with_the_model() -> None:
    with verdicts() as recorder:
        compare_referrers(_run(), _entries("sha256:aa", "sha256:bb"), False, MODEL, artifact_type=None,
                          what="referrers")
        compare_referrers(_run(), _entries("sha256:aa"), True, MODEL, artifact_type=SIG, what="referrers")
    assert recorder.findings == []


def test_a_missing_referrer_fails_and_an_extra_one_is_contested() -> None:
    with pytest.raises(MustViolation, match="missing"):
        compare_referrers(_run(), _entries("sha256:aa"), False, MODEL, artifact_type=None, what="referrers")
    with verdicts() as recorder:
        compare_referrers(_run(), _entries("sha256:aa", "sha256:bb", "sha256:cc"), False, MODEL,
                          artifact_type=None, what="referrers")
    assert _levels(recorder) == [(Level.ADVICE, "referrers-each-descriptor")]


def test_filtering_should_and_its_header() -> None:
    with verdicts() as recorder, pytest.warns(ShouldViolation):
        compare_referrers(_run(), _entries("sha256:aa", "sha256:bb"), False, MODEL, artifact_type=SIG,
                          what="referrers")
    assert _levels(recorder) == [(Level.WARN, "referrers-filtering")]
    with pytest.raises(MustViolation, match="other types are listed"):
        compare_referrers(_run(), _entries("sha256:aa", "sha256:bb"), True, MODEL, artifact_type=SIG,
                          what="referrers")
