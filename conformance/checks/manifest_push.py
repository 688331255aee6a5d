"""Assertion helpers of the manifest push checks (`suites/test_manifests.py`, spec.md "Pushing Manifests").

Each helper judges ledger rules (`conformance.ledger.rules`) itself; the rule's keyword decides the level:

- `push_and_check`: children first, then the PUT: 201 with `Location` and `Docker-Content-Digest`.
- `check_location_serves`: the `Location` a push answered serves the exact manifest (MUST).
- `check_read_back`: what a 201 accepted is stored: a GET of the reference serves exactly those bytes.
- `check_accepted_by_digest`: an accepted PUT by digest is pushed as the spec says and its digest serves it.
- `push_large`: a PUT by digest of a manifest of about a given size (the callers judge the answer).
- `check_refused_as_invalid`: an invalid manifest: 400 `MANIFEST_INVALID` by convention (api.md, advice), a
  5xx departs from HTTP semantics (SHOULD on main), an acceptance is advice and is read back.
- `check_missing_reference_refusal`: a refusal of a manifest referencing content the registry lacks names
  `MANIFEST_BLOB_UNKNOWN` (MUST), and is no 5xx (SHOULD on main).
- `unsupported_unless_warned`: end the check unsupported, unless a SHOULD already broke (the warning stands).

`PUSHED_RULES`, `SERVED_RULES` and `ERROR_BODY_RULES` list what `check_manifest_pushed`,
`check_manifest_served` and the error-body helpers of `checks.documents` judge, for the checks' rules marks.
"""

from __future__ import annotations

import random

from conformance.checks.documents import (
    check_error_response,
    check_manifest_pushed,
    check_manifest_served,
    error_codes,
    push_children,
)
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import Manifest, image_manifest
from conformance.ledger.model import Rule
from conformance.ledger.rules import general, manifests, pull
from conformance.options import RunConfig
from conformance.spec.digests import digest_bytes
from conformance.verdicts import current_recorder, judge, unsupported

PUSHED_RULES: tuple[Rule, ...] = (
    manifests.MANIFEST_PUT_201, manifests.MANIFEST_PUT_DIGEST_HEADER,
    manifests.MANIFEST_PUT_DIGEST_HEADER_PRESENT,
)
SERVED_RULES: tuple[Rule, ...] = (
    pull.MANIFEST_GET_200, pull.HEAD_200, manifests.MANIFEST_EXACT_BYTES, pull.HEAD_CONTENT_LENGTH,
    pull.MANIFEST_DIGEST_HEADER, pull.HEAD_DIGEST_HEADER, pull.MANIFEST_CONTENT_TYPE,
    pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH, pull.MANIFEST_CONTENT_TYPE_NO_PARAMETERS,
)
ERROR_BODY_RULES: tuple[Rule, ...] = (general.ERROR_ENVELOPE, general.ERROR_CODE_TABLE)


def push_and_check(
    client: RegistryClient, repo: str, image: Manifest, reference: str, cleanup: Cleanup
) -> Response:
    """PUT `image` (children first) by `reference`: 201 with `Location` and `Docker-Content-Digest`."""
    __tracebackhide__ = True
    push_children(client, repo, image, cleanup)
    response = client.manifest_put(repo, reference, image.data, image.media_type)
    cleanup.manifest(repo, image.digest)
    check_manifest_pushed(response, image)
    return response


def check_location_serves(
    client: RegistryClient, pushed: Response, image: Manifest, config: RunConfig
) -> None:
    """The `Location` a push answered is a pullable manifest URL: it serves exactly `image`."""
    __tracebackhide__ = True
    location = pushed.location
    if not judge(manifests.MANIFEST_PUT_201, location, f"{pushed.describe()} carries no Location header"):
        return
    assert location is not None
    served = client.request("GET", location, headers={"Accept": image.media_type})
    judge(
        manifests.MANIFEST_LOCATION_PULLABLE,
        served.status_code == 200 and served.content == image.data,
        f"the Location {location!r} of the push: {served.describe()}, expected 200 with the pushed "
        f"{image.size} bytes ({image.digest}); got {len(served.content)} bytes",
    )
    check_manifest_served(served, image, config)


def check_read_back(client: RegistryClient, repo: str, reference: str, data: bytes, what: str) -> None:
    """A PUT of `data` by `reference` answered 201: a GET of `reference` serves exactly `data`."""
    __tracebackhide__ = True
    served = client.manifest_get(repo, reference)
    judge(
        pull.MANIFEST_GET_200,
        served.status_code == 200,
        f"{what}: the push was accepted, but {served.describe()}, expected 200",
    )
    judge(
        manifests.MANIFEST_EXACT_BYTES,
        served.content == data,
        f"{what}: the push was accepted, but {served.describe()} serves {len(served.content)} bytes "
        f"({digest_bytes(served.content)}), not the {len(data)} bytes pushed ({digest_bytes(data)})",
    )


def check_refused_as_invalid(
    client: RegistryClient, repo: str, reference: str, response: Response, *, body: bytes, case: str
) -> None:
    """An invalid manifest (`case`) PUT by `reference`: refused with 400 `MANIFEST_INVALID` by convention.

    No keyword names the refusal (api.md documents 400 `MANIFEST_INVALID`): an acceptance is advice, and what
    was accepted must then be stored exactly; a 5xx departs from HTTP semantics.
    """
    __tracebackhide__ = True
    if response.status_code == 201:
        judge(manifests.INVALID_MANIFEST_400, False,
              f"{case}: {response.describe()}: an invalid manifest was accepted")
        check_read_back(client, repo, reference, body, case)
        return
    if not judge(general.SERVER_ERROR_FOR_CLIENT_ERROR, response.status_code < 500,
                 f"{case}: {response.describe()}: a server error for a manifest the client got wrong"):
        return
    check_error_response(
        response, (400,), ("MANIFEST_INVALID",), case,
        status_rule=manifests.INVALID_MANIFEST_400, code_rule=manifests.INVALID_MANIFEST_400,
    )


def check_missing_reference_refusal(response: Response, what: str) -> None:
    """A refused manifest that references content the registry lacks: `MANIFEST_BLOB_UNKNOWN`, no 5xx.

    The MUST holds whatever the status (spec.md names none); a body that is no error envelope names no
    error and breaks it too.
    """
    __tracebackhide__ = True
    codes = error_codes(response)
    judge(
        manifests.MANIFEST_BLOB_UNKNOWN_ON_REJECT,
        codes is not None and "MANIFEST_BLOB_UNKNOWN" in codes,
        f"{what}: {response.describe()} refused it with "
        + (f"error codes {codes}" if codes is not None else "a body that is no error envelope")
        + ", which name no MANIFEST_BLOB_UNKNOWN",
    )
    judge(
        general.SERVER_ERROR_FOR_CLIENT_ERROR,
        response.status_code < 500,
        f"{what}: {response.describe()}: a server error to refuse a manifest that references content the "
        "registry does not hold",
    )


def push_large(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, size: int
) -> tuple[Manifest, Response]:
    """PUT by digest of an image manifest of about `size` bytes (blobs first); the caller judges it."""
    image = image_manifest(content, target_size=size)
    push_children(client, repo, image, cleanup)
    response = client.manifest_put(repo, image.digest, image.data, image.media_type)
    if response.status_code == 201:
        cleanup.manifest(repo, image.digest)
    return image, response


def check_accepted_by_digest(
    client: RegistryClient, repo: str, image: Manifest, response: Response, *, cleanup: Cleanup,
    config: RunConfig,
) -> None:
    """An accepted PUT by digest: pushed as the spec says, and the digest serves the exact manifest."""
    __tracebackhide__ = True
    cleanup.manifest(repo, image.digest)
    check_manifest_pushed(response, image)
    check_manifest_served(client.manifest_get(repo, image.digest), image, config)


def unsupported_unless_warned(reason: str) -> None:
    """End the check unsupported (`reason`), unless a SHOULD broke in it: then the warning is its outcome."""
    __tracebackhide__ = True
    recorder = current_recorder()
    if recorder is not None and recorder.should_violations:
        return
    unsupported(reason)
