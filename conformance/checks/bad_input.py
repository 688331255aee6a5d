"""What the bad-input property checks (`suites/test_properties_bad_input.py`) hold a registry to and aim at.

Drawn repository names, tags and digests outside the grammar must be refused, and the verdicts rest on the
ledger (`conformance.ledger.rules.grammar`, `errors`, `general`):

- any 4xx with any body is a right answer (a registry may hide a repository behind 401/403/404);
- a 5xx departs from HTTP semantics (general.SERVER_ERROR_FOR_CLIENT_ERROR: a SHOULD of the main text,
  advice for v1.1) — none of these values is a well-formed reference, so no 404 MUST applies;
- acting on the value (a 2xx or 3xx: an upload session opened for `A/0`) is judged by the grammar sentence
  it breaks, contested: advice by default, a failure under --registry-strict-readings;
- a JSON 4xx body MUST be the OCI error envelope with codes from the table (a failure for every example, so
  Hypothesis shrinks it); which code the refusal names is advice (`NAME_CODES`, `TAG_CODES`,
  `DIGEST_CODES` are the codes that fit).

Verdicts that do not end the check are stated once per rule and operation (`PropertyRun.judge_once`).

`shared_image` (a module-scoped fixture: import `shared_image_fixture` into the check module) is the one
small image the invalid-tag and invalid-digest checks send their requests to.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from functools import partial

import pytest

from conformance.checks.errors import check_refusal
from conformance.checks.properties import PropertyRun
from conformance.client import Response
from conformance.content import Manifest, image_manifest
from conformance.fixtures import RegistryTarget, unique_repository
from conformance.ledger.model import Rule
from conformance.ledger.rules import grammar
from conformance.options import RunConfig
from conformance.spec.grammar import DIGEST_RE

NAME_CODES = ("NAME_INVALID", "NAME_UNKNOWN", "UNAUTHORIZED", "DENIED", "MANIFEST_UNKNOWN", "BLOB_UNKNOWN")
"""Codes that fit the refusal of a request naming an invalid repository (another one is advice)."""
TAG_CODES = ("TAG_INVALID", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_UNKNOWN", "UNAUTHORIZED", "DENIED")
"""Codes that fit the refusal of a manifest request by an invalid tag."""
DIGEST_CODES = ("DIGEST_INVALID", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "BLOB_UNKNOWN", "NAME_UNKNOWN",
                "UNSUPPORTED", "UNAUTHORIZED", "DENIED")
"""Codes that fit the refusal of a blob, manifest or upload request by an invalid digest."""
ANY_4XX = tuple(range(400, 500))


def malformation_rule(digest: str) -> Rule:
    """The sentence a malformed digest breaks: descriptor.md's grammar, or its algorithm's encoding."""
    found = DIGEST_RE.match(digest)
    if found is None:
        return grammar.DIGEST_GRAMMAR
    return {"sha256": grammar.DIGEST_SHA256_ENCODING, "sha512": grammar.DIGEST_SHA512_ENCODING,
            "blake3": grammar.DIGEST_BLAKE3_ENCODING}.get(found["algorithm"], grammar.DIGEST_GRAMMAR)


def check_refused_input(run: PropertyRun, response: Response, what: str, *, acting_rule: Rule,
                        codes: tuple[str, ...], code_rule: Rule, key: str) -> list[str] | None:
    """Drawn invalid input was refused: a 4xx (any body); `acting_rule` judges an answer that acted on it.

    `key` (the operation) keeps the once-per-rule reporting apart for different requests of one check.
    Returns the codes of a JSON body (None without one).
    """
    __tracebackhide__ = True
    return check_refusal(response, ANY_4XX, what, status_rule=acting_rule, codes=codes, code_rule=code_rule,
                         judge_with=partial(_judge, run, key))


def _judge(run: PropertyRun, key: str, rule: Rule, condition: object, message: str) -> bool:
    __tracebackhide__ = True
    return run.judge_once(rule, condition, key, message)


@pytest.fixture(scope="module", name="shared_image")
def shared_image_fixture(registry_target: RegistryTarget, registry_config: RunConfig
                         ) -> Iterator[tuple[str, Manifest]]:
    """One small image in its own repository for the bad-input checks (deleted at the end when allowed)."""
    repo = unique_repository(registry_config.namespace, "properties-shared")
    image = image_manifest(random.Random(4), layer_size=16)
    with registry_target.new_client() as setup:
        setup.push_image(repo, image, "shared")
    yield repo, image
    if registry_config.enabled("push") and registry_config.enabled("manifest_delete"):
        with registry_target.new_client() as cleaner:
            cleaner.manifest_delete(repo, image.digest)
            for blob in image.all_blobs():
                cleaner.blob_delete(repo, blob.digest)
