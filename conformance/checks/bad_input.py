"""What the bad-input property checks (`suites/test_properties_bad_input.py`) hold a registry to and aim at.

Drawn invalid repository names, tags and digests must be refused: never a 5xx (bad input is the client's
fault), never a 2xx, but any of `REFUSALS` (a registry may hide a repository behind 401/403/404), with one
of `NAME_CODES` / `TAG_CODES` / `DIGEST_CODES` when the body is JSON (spec.md "Error Codes"). Where a write
has a code that names the problem (`NAME_INVALID`, `TAG_INVALID`, `DIGEST_INVALID`), the refusal SHOULD
use it: `check_refused_input` warns once per rule through the check's `PropertyRun`, not once per example.
The deterministic negative checks use the stricter `conformance.checks.errors` instead.

`shared_image` (a module-scoped fixture: import `shared_image_fixture` into the check module) is the one
small image the invalid-tag and invalid-digest checks send their requests to.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from conformance.checks.properties import PropertyRun
from conformance.checks.transfers import error_codes
from conformance.client import Response
from conformance.content import Manifest, image_manifest
from conformance.fixtures import RegistryTarget, unique_repository
from conformance.options import RunConfig
from conformance.verdicts import must

ERRORS = "spec.md#error-codes"
NAME_CODES = ("NAME_INVALID", "NAME_UNKNOWN", "UNAUTHORIZED", "DENIED", "MANIFEST_UNKNOWN", "BLOB_UNKNOWN")
"""Codes allowed in the refusal of a request naming an invalid repository."""
TAG_CODES = ("TAG_INVALID", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_UNKNOWN", "UNAUTHORIZED", "DENIED")
"""Codes allowed in the refusal of a manifest request by an invalid tag."""
DIGEST_CODES = ("DIGEST_INVALID", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "BLOB_UNKNOWN", "NAME_UNKNOWN",
                "UNSUPPORTED", "UNAUTHORIZED", "DENIED")
"""Codes allowed in the refusal of a blob, manifest or upload request by an invalid digest."""
REFUSALS = (400, 401, 403, 404)
"""Statuses allowed in the refusal of drawn invalid input."""


def check_refused_input(run: PropertyRun, response: Response, codes: tuple[str, ...],
                        natural: tuple[str, ...], what: str, *, rule: str = "") -> None:
    """A 4xx (never 5xx or 2xx) with allowed codes; a write SHOULD name the `natural` code (`rule`)."""
    __tracebackhide__ = True
    must(response.status_code < 500, f"{what}: {response.describe()}: a server error for bad input "
         "(the registry MUST refuse it with a 4xx)", ref=ERRORS)
    must(response.status_code in REFUSALS, f"{what}: {response.describe()}, expected "
         f"{' or '.join(map(str, REFUSALS))}", ref=ERRORS)
    found = error_codes(response, what=what)
    if found is not None:
        must(any(code in codes for code in found), f"{what}: error codes {found}, expected one of {codes}",
             ref=ERRORS)
    if natural:
        run.should(found is not None and any(code in natural for code in found), rule or what,
                   f"{what}: {response.describe()} with "
                   f"{'codes ' + str(found) if found is not None else 'a non-JSON body'}; the refusal SHOULD "
                   f"name {' or '.join(natural)} (a plain 404 cannot be told from a missing route)",
                   ref=ERRORS)


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
