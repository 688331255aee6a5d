"""Checks of the API version check endpoint, `GET /v2/` (spec.md "Determining Support", end-1).

What the text says, and how hard: "If the response is `200 OK`, then the registry implements this
specification" has no keyword, so a GET /v2/ (with the run's credentials) answering something else is
advice; the endpoint MAY be used for authentication, so an anonymous GET /v2/ may answer 401, and a 401
MUST carry a `WWW-Authenticate` challenge (RFC 9110, HTTP itself). The endpoint table lists 404/401 as
its failures without a keyword. `Docker-Distribution-API-Version: registry/2.0` is a Docker convention the
OCI spec calls OPTIONAL: recorded as a note, never a verdict. A JSON 4xx body MUST be the error envelope.
`Warning` headers are optional; the ones a registry sends MUST be `299 - "<text>"` without a date, and
4096 bytes at most per answer ("Warnings").
"""

from __future__ import annotations

import pytest

from conformance.checks.errors import envelope_codes
from conformance.checks.warning_headers import check_warning_headers
from conformance.fixtures import Workspace
from conformance.ledger.rules import auth, general
from conformance.verdicts import judge, note

pytestmark = [pytest.mark.pull, pytest.mark.feature("ping")]


@pytest.mark.rules(general.DETERMINING_SUPPORT)
def test_api_version_check_answers_200(workspace: Workspace) -> None:
    response = workspace.client.ping()
    hint = " (set OCI_USERNAME / OCI_PASSWORD?)" if response.status_code == 401 else ""
    judge(general.DETERMINING_SUPPORT, response.status_code == 200,
          f"GET /v2/ answered {response.status_code}, so the registry does not show that it implements the "
          f"specification{hint}")
    version = response.header("Docker-Distribution-API-Version")
    if version is None:
        note("GET /v2/ carries no Docker-Distribution-API-Version header (OPTIONAL in the OCI spec)")
    else:
        note(f"Docker-Distribution-API-Version: {version}")
        if version != "registry/2.0":
            note("Docker clients expect Docker-Distribution-API-Version: registry/2.0")


@pytest.mark.auth
@pytest.mark.rules(auth.AUTH_OUT_OF_PURVIEW, general.ENDPOINT_TABLE, auth.CHALLENGE_ON_401,
                   general.ERROR_ENVELOPE, general.ERROR_CODE_SHAPE, general.ERROR_CODE_TABLE,
                   general.ERROR_MESSAGE)
def test_unauthenticated_ping_is_200_or_a_proper_challenge(workspace: Workspace) -> None:
    with workspace.new_client(anonymous=True) as anonymous:
        response = anonymous.ping()
    if response.status_code == 200:
        note("the registry serves GET /v2/ without authentication")
        return
    judge(general.ENDPOINT_TABLE, response.status_code == 401,
          f"anonymous GET /v2/ answered {response.status_code}, expected 200 or 401 (a challenge)")
    if response.status_code == 401:
        challenges = response.headers.get_list("www-authenticate")
        judge(auth.CHALLENGE_ON_401, challenges,
              f"{response.describe()} carries no WWW-Authenticate challenge")
        if challenges:
            note(f"authentication required: {challenges[0].split(' ', 1)[0]} challenge")
    envelope_codes(response, "anonymous GET /v2/")


@pytest.mark.rules(general.WARNING_HEADER_FORMAT, general.WARNING_HEADER_SIZE)
def test_warning_headers_are_299_without_a_date_and_small(workspace: Workspace) -> None:
    client, repo = workspace.client, workspace.repo
    answers = [client.ping(), client.request("HEAD", f"/v2/{repo}/manifests/absent"), client.tags_list(repo)]
    seen = check_warning_headers(answers)
    if not seen:
        note("no Warning header on GET /v2/, a HEAD of a missing manifest or a tag list (they are optional)")
