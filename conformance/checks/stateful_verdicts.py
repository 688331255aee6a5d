"""The delete and referrer verdicts of the stateful check's state machine (`suites/test_stateful.py`).

- `DELETE_AND_REFERRER_RULES`: every rule these helpers (and the listing helper they call) judge.
- `delete_refused`: a delete's answer: 202 (MUST), 400/405 (disabled: the caller marks it unsupported), any
  other refusal breaks the disabled sentence (a registry that does not delete refuses with 400 or 405).
- `check_gone`: a deleted thing answers 404; still served right after the 202 is contested (advice unless
  strict readings, once per run), a note with `--no-atomic-delete`.
- `compare_referrers`: a referrers list against the model: every image manifest pushed with the subject
  listed (MUST), nothing else (contested, once per run), filtering (SHOULD) and its header (MUST).
"""

from __future__ import annotations

from typing import Any

from conformance.checks.properties import PropertyRun
from conformance.client import Response
from conformance.ledger.model import Rule
from conformance.ledger.rules import deletes
from conformance.ledger.rules import referrers as rr
from conformance.verdicts import judge

DISABLED = (400, 405)
"""A disabled delete MUST answer 400 or 405 (spec.md "Deleting tags/manifests/blobs")."""

DELETE_AND_REFERRER_RULES = (
    deletes.TAG_DELETE_202, deletes.TAG_DELETE_DISABLED, deletes.TAG_DELETE_GONE,
    deletes.MANIFEST_DELETE_202, deletes.MANIFEST_DELETE_DISABLED, deletes.MANIFEST_DELETE_GONE,
    deletes.BLOB_DELETE_202, deletes.BLOB_DELETE_DISABLED, deletes.BLOB_DELETE_GONE,
    rr.REFERRERS_200, rr.REFERRERS_NO_404, rr.REFERRERS_CONTENT_TYPE, rr.REFERRERS_INDEX_BODY,
    rr.REFERRERS_LINK_FORMAT, rr.REFERRERS_INCLUDE_NEW, rr.REFERRERS_EACH_DESCRIPTOR, rr.REFERRERS_FILTERING,
    rr.REFERRERS_FILTER_HEADER,
)


def delete_refused(response: Response, success: Rule, disabled: Rule) -> bool:
    """True for a 400/405 (deletion disabled); else judge the answer: 202 (`success`), no other refusal."""
    __tracebackhide__ = True
    status = response.status_code
    if status in DISABLED:
        return True
    if 200 <= status < 300:
        judge(success, status == 202, f"{response.describe()}, expected 202 Accepted")
    else:
        judge(disabled, False, f"{response.describe()}: a delete of content the model holds either succeeds "
              "(202) or, disabled, answers 400 or 405")
    return False


def check_gone(run: PropertyRun, response: Response, what: str, rule: Rule) -> None:
    """A deleted thing answers 404: contested (advice unless strict readings), a note when non-atomic."""
    __tracebackhide__ = True
    if response.status_code == 404:
        return
    if not run.config.enabled("atomic_delete"):
        run.note_once(f"{what}: {response.describe()} after the delete (deletes declared non-atomic)")
        return
    run.judge_once(rule, False, "gone", f"{what}: {response.describe()} after a successful delete, expected "
                   "404")


def compare_referrers(run: PropertyRun, entries: list[dict[str, Any]], applied: bool,
                      model: dict[str, str | None], *, artifact_type: str | None, what: str) -> None:
    """`entries` list the model's referrers (`model`: digest -> artifact type) of the subject."""
    __tracebackhide__ = True
    listed = sorted(str(entry.get("digest", "?")) for entry in entries)
    filtered = applied and artifact_type is not None
    matching = [digest for digest, kind in model.items() if kind == artifact_type]
    if filtered:
        others = [digest for digest in listed if digest in model and digest not in matching]
        run.judge_once(rr.REFERRERS_FILTER_HEADER, not others, "filter-header",
                       f"{what}: OCI-Filters-Applied: artifactType, but other types are listed: {others}")
    elif artifact_type is not None:
        run.judge_once(rr.REFERRERS_FILTERING, False, "filtering",
                       f"{what}: no OCI-Filters-Applied: the registry SHOULD support filtering")
    expected = sorted(matching if filtered else model)
    missing = [digest for digest in expected if digest not in listed]
    judge(rr.REFERRERS_INCLUDE_NEW, not missing,
          f"{what} list {listed}, the model has {expected}: {missing} pushed with the subject are missing")
    extra = [digest for digest in listed if digest not in expected]
    run.judge_once(rr.REFERRERS_EACH_DESCRIPTOR, not extra, "extra",
                   f"{what} list {listed}, the model has {expected}: {extra} are no (remaining) referrers of "
                   "the subject")
