"""Round trips of every manifest format: OCI images, indexes, artifacts, subjects, Docker types.

Each case (`conformance.checks.format_cases`) is pushed children first (blobs, then child manifests by
digest, then the top manifest by tag) and pulled back by tag and by digest (GET and HEAD) and every child by
digest: 200, the exact bytes (spec.md: the registry MUST store the exact byte representation; image-spec:
storing MUST NOT change a digest, a registry MUST NOT populate `data`), `Docker-Content-Digest`,
`Content-Length`, a `Content-Type` that SHOULD equal the pushed type; every pulled document is validated
against our schemas.

A refusal of a case's manifest is judged on the rule the case names: image-spec's "MUST support" and "MUST
NOT error on encountering ... unknown" sentences fail it, SHOULDs (nested indexes, zstd layers, unknown
properties) warn, and where a registry is only allowed to store the manifest (`layers: []`, an empty index,
Docker types: MAY or no keyword) the refusal is advice and the check ends unsupported. A manifest whose
`subject` does not exist MUST be accepted (the `OCI-Subject` answer is judged in `test_referrers.py`).
Layers that are never pushed (non-distributable OCI layers and Docker foreign layers, both with `urls`): a
registry MAY refuse manifests referencing blobs it lacks, but then MUST name `MANIFEST_BLOB_UNKNOWN`; such a
refusal ends the check unsupported (a 5xx for it departs from HTTP semantics: a SHOULD of the main branch).
sha512 is optional (a 4xx refusal: unsupported).
"""

from __future__ import annotations

import json

import pytest

from conformance.checks.documents import (
    check_manifest_pushed,
    check_manifest_served,
    check_own_document,
    check_schema,
    error_codes,
    header_values,
    json_document,
    push_children,
)
from conformance.checks.format_cases import FORMATS, Case, data_fields, descendants
from conformance.checks.manifest_push import (
    ERROR_BODY_RULES,
    PUSHED_RULES,
    SERVED_RULES,
    check_missing_reference_refusal,
    unsupported_unless_warned,
)
from conformance.client import Response, SetupFailed
from conformance.content import Manifest, multi_platform_index
from conformance.fixtures import Workspace
from conformance.ledger.rules import content, general, grammar, manifests
from conformance.spec.digests import digest_bytes
from conformance.verdicts import judge, note, unsupported

pytestmark = [pytest.mark.push, pytest.mark.pull, pytest.mark.writes, pytest.mark.formats]

ROUND_TRIP = (*PUSHED_RULES, *SERVED_RULES, content.CONTENT_NOT_MODIFIED, content.DATA_NOT_POPULATED)
REFUSAL = (general.SERVER_ERROR_FOR_CLIENT_ERROR, manifests.MANIFEST_BLOB_UNKNOWN_ON_REJECT,
           *ERROR_BODY_RULES)


def _params() -> list[object]:
    params: list[object] = []
    for name, case in FORMATS.items():
        marks = [pytest.mark.rules(case.refusal, *([case.as_missing] if case.as_missing else []))]
        if case.features:
            marks.append(pytest.mark.feature(*case.features))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


def _push_top(workspace: Workspace, name: str, case: Case, tag: str) -> Response | None:
    """PUT the case's top manifest by `tag`; a refusal is judged on the case's rule (None: not stored)."""
    top, repo = case.top, workspace.repo
    response = workspace.client.manifest_put(repo, tag, top.data, top.media_type)
    if response.status_code == 201:
        workspace.cleanup.manifest(repo, top.digest)
        check_manifest_pushed(response, top)
        return response
    refusal, as_missing = FORMATS[name].refusal, FORMATS[name].as_missing
    what = f"{name}: {response.describe()} refused a valid {top.media_type}"
    if case.never_pushed is not None:
        judge(refusal, False, f"{what} whose {case.never_pushed} layers are never pushed")
        check_missing_reference_refusal(response, f"refusing a manifest with {case.never_pushed} layers")
    elif as_missing is not None and "MANIFEST_BLOB_UNKNOWN" in (error_codes(response) or []):
        judge(as_missing, False, f"{what} as referencing content it does not hold: {response.text[:200]}")
        judge(general.SERVER_ERROR_FOR_CLIENT_ERROR, response.status_code < 500,
              f"{what} with a server error")
    else:
        judge(general.SERVER_ERROR_FOR_CLIENT_ERROR, response.status_code < 500,
              f"{what} with a server error")
        judge(refusal, False, f"{what}: {response.text[:200]}")
    workspace.capabilities.record(f"format:{name}", False, f"refused with {response.status_code}",
                                  evidence=response.describe(), source="formats")
    unsupported_unless_warned(f"{name}: the registry refuses this manifest ({response.status_code})")
    return None


@pytest.mark.rules(*ROUND_TRIP, *REFUSAL)
@pytest.mark.parametrize("name", _params())
def test_format_round_trips_byte_for_byte(name: str, workspace: Workspace) -> None:
    client, repo, cleanup = workspace.client, workspace.repo, workspace.cleanup
    case = FORMATS[name].build(workspace.content)
    for manifest in (case.top, *case.top.children, *([case.subject] if case.subject else [])):
        check_own_document(manifest)
    if case.subject is not None:
        push_children(client, repo, case.subject, cleanup)
        client.push_manifest(repo, None, case.subject)
        cleanup.manifest(repo, case.subject.digest)
    push_children(client, repo, case.top, cleanup)
    tag = f"{name}-{workspace.content.getrandbits(32):08x}"
    pushed = _push_top(workspace, name, case, tag)
    if pushed is None:
        return
    if case.subject_digest is not None:
        note(f"OCI-Subject on the push: {header_values(pushed, 'oci-subject') or 'absent'} (judged by the "
             "referrers checks)")
    _check_pulled_back(workspace, case.top, tag)


def _check_stored(response: Response, manifest: Manifest, what: str) -> None:
    """A 200 GET serves `manifest` unaltered: no `data` field added, the digest unchanged."""
    if response.status_code != 200:
        return
    try:
        served = data_fields(json.loads(response.content))
    except ValueError:
        served = set()
    added = sorted(served - data_fields(manifest.document))
    judge(content.DATA_NOT_POPULATED, not added,
          f"{what}: {response.describe()} serves `data` fields the pushed manifest did not have: {added}")
    actual = digest_bytes(response.content, manifest.algorithm)
    judge(content.CONTENT_NOT_MODIFIED, actual == manifest.digest,
          f"{what}: {response.describe()} serves content with digest {actual}, pushed as {manifest.digest}")


def _check_pulled_back(workspace: Workspace, top: Manifest, tag: str) -> None:
    client, repo, config = workspace.client, workspace.repo, workspace.config
    pulls = [(reference, top) for reference in (tag, top.digest)]
    pulls += [(child.digest, child) for child in descendants(top)]
    for reference, manifest in pulls:
        what = f"the {manifest.media_type} pulled by {reference}"
        pulled = client.manifest_get(repo, reference)
        _check_stored(pulled, manifest, what)
        check_manifest_served(pulled, manifest, config)
        check_schema(json_document(pulled, what, rule=manifests.MANIFEST_EXACT_BYTES), manifest.media_type,
                     what, rule=manifests.MANIFEST_EXACT_BYTES)
        if manifest is top:
            check_manifest_served(client.manifest_head(repo, reference), manifest, config)


@pytest.mark.rules(grammar.SHA512_OPTIONAL, general.SERVER_ERROR_FOR_CLIENT_ERROR, *ROUND_TRIP)
@pytest.mark.feature("sha512")
def test_sha512_index_and_images_round_trip_by_digest(workspace: Workspace) -> None:
    client, repo, capabilities = workspace.client, workspace.repo, workspace.capabilities
    capabilities.require("sha512")
    index = multi_platform_index(workspace.content, platforms=({"architecture": "amd64", "os": "linux"},),
                                 algorithm="sha512")
    try:
        push_children(client, repo, index, workspace.cleanup)
    except SetupFailed as exc:
        entries = exc.transcript.entries if exc.transcript else []
        status = entries[-1].status if entries else None
        if status is None:
            raise
        _sha512_refused(workspace, f"a sha512 upload answered {status}", status)
        return
    response = client.manifest_put(repo, index.digest, index.data, index.media_type)
    if response.status_code != 201:
        note(f"sha512 blobs and child manifests accepted but the index was refused: {response.describe()}")
        status = response.status_code
        _sha512_refused(workspace, f"PUT of a sha512 index answered {status}", status)
        return
    workspace.cleanup.manifest(repo, index.digest)
    check_manifest_pushed(response, index)
    capabilities.record("sha512", True, "sha512 blobs and manifests pushed and pulled", source="formats")
    for manifest in (index, *descendants(index)):
        pulled = client.manifest_get(repo, manifest.digest)
        _check_stored(pulled, manifest, f"the sha512 {manifest.media_type}")
        check_manifest_served(pulled, manifest, workspace.config)
        check_manifest_served(client.manifest_head(repo, manifest.digest), manifest, workspace.config)


def _sha512_refused(workspace: Workspace, what: str, status: int) -> None:
    """sha512 is optional (MAY): a 4xx refusal is unsupported; a 5xx departs from HTTP semantics too."""
    judge(general.SERVER_ERROR_FOR_CLIENT_ERROR, status < 500, f"{what}: a server error to refuse sha512")
    workspace.capabilities.record("sha512", False, what, source="formats")
    if status < 500:
        unsupported(f"sha512: {what}")
    unsupported_unless_warned(f"sha512: {what}")
