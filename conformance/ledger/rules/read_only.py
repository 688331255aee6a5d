"""Rules of the read-only checks: content the user names in a registry the run does not write to.

A read-only run reads what the user says exists (`--registry-ro-*`), so the pull rules bind it as they bind
any pull: a named tag or digest is an existing manifest (200, the expected bytes), a named blob an existing
blob, HEAD answers 200 with the length, `Docker-Content-Digest` names the content (SHOULD in v1.1.1, MUST
on main), the tag is listed, and the referrers API (when the registry has it) answers 200 with an index.
Two things the checks look at rest on no sentence with a keyword, only on what the user said; they are
advice: a served manifest that is no valid document of its `Content-Type` (a registry MAY store what a
client pushed without validating it), and an empty referrers list for a subject named as having referrers.
A registry in read-only mode refusing writes is bound by no sentence either (the run does not write).
"""

from __future__ import annotations

from conformance.ledger.documents import HARNESS
from conformance.ledger.model import Keyword, Rule

READ_ONLY_MANIFEST_DOCUMENT = Rule(
    "read-only-manifest-document", HARNESS, "", Keyword.NONE,
    "A manifest the user names is a valid document of the media type its Content-Type gives; the registry "
    "serves what was pushed, so an invalid one is advice about the content, not a registry fault.",
)
READ_ONLY_REFERRERS_NAMED = Rule(
    "read-only-referrers-named", HARNESS, "", Keyword.NONE,
    "A subject the user names as having referrers has a non-empty referrers list; an empty one is advice "
    "(the user's list may be stale, and no sentence makes the registry keep referrers).",
)
