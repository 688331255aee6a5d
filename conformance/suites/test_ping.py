"""Checks of the API version check endpoint, `GET /v2/` (end-1).

The spec: a registry that implements the distribution spec answers `GET /v2/` with 200 (after
authentication, when it requires it); 401 means "authenticate", and a 401 must carry a
`WWW-Authenticate` challenge (RFC 7235). `Docker-Distribution-API-Version: registry/2.0` is a Docker
convention the OCI spec does not require: its presence and value are recorded as a note, never a
warning. An error body in JSON must be the OCI error envelope.
"""

from __future__ import annotations

import pytest

import schemas
from conformance.client import RegistryClient
from conformance.fixtures import RegistryTarget
from conformance.verdicts import must, note

pytestmark = [pytest.mark.pull, pytest.mark.feature("ping")]


@pytest.mark.spec("end-1", "spec.md#determining-support")
@pytest.mark.level("MUST")
def test_api_version_check_answers_200(client: RegistryClient) -> None:
    response = client.ping()
    hint = " (set OCI_USERNAME / OCI_PASSWORD?)" if response.status_code == 401 else ""
    must(response.status_code == 200,
         f"GET /v2/ answered {response.status_code}, expected 200 from a conforming registry{hint}",
         ref="end-1")
    version = response.header("Docker-Distribution-API-Version")
    if version is None:
        note("GET /v2/ carries no Docker-Distribution-API-Version header (optional in the OCI spec)")
    else:
        note(f"Docker-Distribution-API-Version: {version}")
        if version != "registry/2.0":
            note("Docker clients expect Docker-Distribution-API-Version: registry/2.0")


@pytest.mark.spec("end-1", "spec.md#error-codes")
@pytest.mark.level("MUST")
@pytest.mark.auth
def test_unauthenticated_ping_is_200_or_a_proper_challenge(registry_target: RegistryTarget) -> None:
    with registry_target.new_client(anonymous=True) as anonymous:
        response = anonymous.ping()
    must(response.status_code in (200, 401),
         f"anonymous GET /v2/ answered {response.status_code}, expected 200 or 401", ref="end-1")
    if response.status_code == 200:
        note("the registry serves GET /v2/ without authentication")
        return
    challenges = response.headers.get_list("www-authenticate")
    must(challenges, "a 401 on GET /v2/ carries no WWW-Authenticate challenge (RFC 7235 section 3.1)")
    note(f"authentication required: {challenges[0].split(' ', 1)[0]} challenge")
    content_type = response.header("content-type") or ""
    if content_type.startswith("application/json") or response.content.startswith(b"{"):
        try:
            body = response.json()
        except ValueError:
            must(False, "the 401 body looks like JSON but does not parse", ref="spec.md#error-codes")
        violations = schemas.validate(body, "error-envelope")
        must(not violations, "the 401 JSON body is not an OCI error envelope: "
             + "; ".join(str(violation) for violation in violations), ref="spec.md#error-codes")
