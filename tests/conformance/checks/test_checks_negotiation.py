"""Tests of `conformance.checks.negotiation`: the verdicts on canned GET answers per Accept and spec version,
the Accept really sent (none for "absent"), and one failure naming every MUST broken over the matrix."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from conformance.capabilities import Capabilities
from conformance.checks.negotiation import ACCEPTS, judge_by_digest, judge_by_tag, request, run_matrix
from conformance.client import RegistryClient, Response
from conformance.content import docker_manifest, docker_manifest_list, image_manifest
from conformance.ledger.model import Level, SpecVersion
from conformance.spec import media_types as mt
from conformance.verdicts import MustViolation, ShouldViolation, VerdictSettings, configure, settings
from tests.conformance.checks.checks_doubles import REGISTRY, answer, run_config, verdicts

ACCEPT = {accept.label: accept for accept in ACCEPTS}
IMAGE = image_manifest(4)
DOCKER = docker_manifest(4)
SCHEMA1 = json.dumps({"schemaVersion": 1, "name": "r", "tag": "t", "fsLayers": []}).encode()
CONFIG = run_config()


def served(manifest_bytes: bytes, content_type: str, digest: str | None = None) -> Response:
    headers = {"Content-Type": content_type}
    if digest is not None:
        headers["Docker-Content-Digest"] = digest
    return answer(200, headers, manifest_bytes, url=f"{REGISTRY}/v2/r/manifests/t")


@pytest.fixture
def main_branch() -> Iterator[None]:
    previous = settings()
    configure(VerdictSettings(spec_version=SpecVersion.MAIN))
    yield
    configure(previous)


def test_the_absent_variant_sends_no_accept_header_at_all() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(404)

    with RegistryClient(REGISTRY, transport=httpx.MockTransport(handler)) as client:
        for accept in ACCEPTS:
            request(client, "GET", "r", "t", accept)
    assert "accept" not in seen[0].headers
    assert [sent.headers.get("accept") for sent in seen[1:]] == [accept.header for accept in ACCEPTS[1:]]


def test_by_digest_the_stored_bytes_pass_and_other_bytes_fail_under_any_accept() -> None:
    with verdicts() as recorder:
        judge_by_digest(served(IMAGE.data, IMAGE.media_type, IMAGE.digest), IMAGE, ACCEPT["oci-index-only"],
                        CONFIG)
    assert recorder.findings == []
    with verdicts(), pytest.raises(MustViolation) as failure:
        other = served(DOCKER.data, DOCKER.media_type, DOCKER.digest)
        judge_by_digest(other, IMAGE, ACCEPT["docker-manifest-only"], CONFIG)
    assert failure.value.ref == "expected-manifest"


def test_a_404_for_an_accepted_type_fails_and_for_an_excluded_type_is_advice_then_a_warning_on_main(
    main_branch: None,
) -> None:
    missing = answer(404, url=f"{REGISTRY}/v2/r/manifests/t")
    for label in ("absent", "wildcard", "oci-manifest-only"):
        with verdicts(), pytest.raises(MustViolation) as failure:
            judge_by_digest(missing, IMAGE, ACCEPT[label], CONFIG)
        assert failure.value.ref == "expected-manifest"
    with verdicts() as recorder, pytest.warns(ShouldViolation):
        judge_by_tag(missing, IMAGE, {}, ACCEPT["oci-index-only"], CONFIG)
    assert [finding.rule.id for finding in recorder.findings] == ["unacceptable-accept-answer"]
    configure(VerdictSettings(spec_version=SpecVersion.V1_1))
    with verdicts() as recorder:
        judge_by_tag(missing, IMAGE, {}, ACCEPT["oci-index-only"], CONFIG)
    assert [finding.level for finding in recorder.findings] == [Level.ADVICE]
    with verdicts() as recorder:
        judge_by_tag(answer(406), IMAGE, {}, ACCEPT["oci-index-only"], CONFIG)
    assert recorder.findings == [] and any("406" in text for text in recorder.notes)


def test_a_schema1_rewrite_for_an_old_client_breaks_only_the_content_type_should() -> None:
    rewrite = served(SCHEMA1, mt.DOCKER_SCHEMA1_SIGNED_MANIFEST, "sha256:" + "0" * 64)
    for label in ("absent", "wildcard", "oci-manifest-only"):
        with verdicts() as recorder, pytest.warns(ShouldViolation):
            judge_by_tag(rewrite, DOCKER, {}, ACCEPT[label], CONFIG)
        assert [finding.rule.id for finding in recorder.findings] == ["manifest-content-type-matches-push"]
    with verdicts(), pytest.raises(MustViolation) as failure:  # the client named the stored type
        judge_by_tag(rewrite, DOCKER, {}, ACCEPT["all-four-with-q"], CONFIG)
    assert failure.value.ref == "expected-manifest"


def test_a_child_served_by_tag_is_allowed_only_when_the_stored_type_is_excluded() -> None:
    arm = docker_manifest(5, platform={"architecture": "arm64", "os": "linux"})
    listing = docker_manifest_list([DOCKER, arm])
    children = {child.digest: child for child in listing.children}
    child = served(DOCKER.data, DOCKER.media_type, DOCKER.digest)
    with verdicts() as recorder:
        judge_by_tag(child, listing, children, ACCEPT["index-q0-manifest-q1"], CONFIG)
    assert recorder.findings == [] and any("its child" in text for text in recorder.notes)
    with verdicts(), pytest.raises(MustViolation):
        judge_by_tag(child, listing, children, ACCEPT["docker-list-only"], CONFIG)


def test_a_digest_header_not_hashing_the_body_warns_for_1_1_and_fails_on_main(main_branch: None) -> None:
    wrong = served(IMAGE.data, IMAGE.media_type, DOCKER.digest)
    with verdicts(), pytest.raises(MustViolation) as failure:
        judge_by_digest(wrong, IMAGE, ACCEPT["absent"], CONFIG)
    assert failure.value.ref == "manifest-digest-header"
    configure(VerdictSettings(spec_version=SpecVersion.V1_1))
    with verdicts() as recorder, pytest.warns(ShouldViolation):
        judge_by_digest(wrong, IMAGE, ACCEPT["absent"], CONFIG)
    assert [finding.rule.id for finding in recorder.findings] == ["manifest-digest-header"]


def test_the_matrix_fails_once_naming_every_must_broken() -> None:
    def oci_only(request: httpx.Request) -> httpx.Response:  # distribution's rule: OCI types only when named
        accept = request.headers.get("accept", "")
        if mt.OCI_MANIFEST not in accept:
            return httpx.Response(404)
        return httpx.Response(200, content=IMAGE.data if request.method == "GET" else b"", headers={
            "Content-Type": IMAGE.media_type, "Docker-Content-Digest": IMAGE.digest,
            "Content-Length": str(IMAGE.size)})

    capabilities = Capabilities()
    client = RegistryClient(REGISTRY, transport=httpx.MockTransport(oci_only))
    with client, verdicts(), pytest.raises(MustViolation) as failure:
        run_matrix(client, "r", IMAGE.digest, IMAGE,
                   lambda response, accept: judge_by_digest(response, IMAGE, accept, CONFIG),
                   capabilities=capabilities, key="oci-manifest:digest")
    message = failure.value.plain_message
    assert message.startswith("4 MUST breaks over 8 Accept variants")
    assert message.count("[expected-manifest]") == 2 and message.count("[head-200]") == 2
    assert "no Accept header" in message and "Accept: */*" in message
    recorded = [finding.name for finding in capabilities.findings()]
    assert len([name for name in recorded if name.startswith("negotiation:oci-manifest:digest:")]) == 8
