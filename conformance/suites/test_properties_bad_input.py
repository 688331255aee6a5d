"""Property checks (Hypothesis) of bad input: ANY invalid repository name, tag or digest is refused.

Each check draws invalid values (`conformance.strategies.references`: wrong grammar, wrong lengths,
upper-case hex, ...) and an operation, and sends each example to the registry under test with a fresh
client, repository, transcript and cleanup (`conformance.checks.properties`); a failure is shrunk to a
minimal example whose HTTP transcript is the check's report. None of the drawn values is well-formed (names
over 255 characters and digests of unregistered algorithms are valid, so they are not drawn here), and the
verdicts are those of `conformance.checks.bad_input`: any 4xx is right; a 5xx departs from HTTP semantics
(SHOULD, main text); acting on the value is advice unless --registry-strict-readings; a JSON 4xx body MUST
be the error envelope; the code is advice; a closing PUT with a malformed digest SHOULD get 400 (main
text). The other property checks are in `test_properties.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from conformance.capabilities import Capabilities

# `_check_refused` is the name the checks' bodies call it by (the bodies' source is their Hypothesis
# example-database key).
from conformance.checks.bad_input import (
    DIGEST_CODES,
    NAME_CODES,
    TAG_CODES,
    malformation_rule,
    shared_image_fixture,  # noqa: F401 (fixture)
)
from conformance.checks.bad_input import check_refused_input as _check_refused
from conformance.checks.properties import PropertyRun, property_client_fixture  # noqa: F401 (fixture)
from conformance.checks.transfers import session_location
from conformance.client import RegistryClient, inside_namespaces
from conformance.content import Manifest, random_blob
from conformance.hypothesis_profiles import check_settings
from conformance.ledger.rules import errors, general, grammar, uploads
from conformance.options import RunConfig
from conformance.strategies import InvalidValue, invalid_digests, invalid_names, invalid_tags

pytestmark = [pytest.mark.properties, pytest.mark.writes,
              pytest.mark.rules(general.SERVER_ERROR_FOR_CLIENT_ERROR, general.ERROR_ENVELOPE,
                                general.ERROR_CODE_SHAPE, general.ERROR_CODE_TABLE, general.ERROR_MESSAGE)]


def _run(client: RegistryClient, config: RunConfig, capabilities: Capabilities, label: str,
         test: Callable[..., Any]) -> PropertyRun:
    return PropertyRun(client, config, capabilities, label, test)


@pytest.mark.push
@pytest.mark.grammar
@pytest.mark.errors
@pytest.mark.rules(grammar.NAME_GRAMMAR, errors.INVALID_NAME_CODE)
@check_settings(scale=1.5)
@given(name=invalid_names(), operation=st.sampled_from(["push", "tags", "manifest", "blob"]))
def test_any_invalid_repository_name_gets_a_4xx_with_an_allowed_code(
    *, property_client: RegistryClient, registry_config: RunConfig, capabilities: Capabilities,
    name: InvalidValue, operation: str,
) -> None:
    value = name.value
    if operation == "push":  # a write: under the run's namespace, where `<ns>/` keeps the name invalid
        value = f"{registry_config.namespace}/{value}"
        assume(inside_namespaces(value, [registry_config.namespace]))
    run = _run(property_client, registry_config, capabilities, "invalid-name",
               test_any_invalid_repository_name_gets_a_4xx_with_an_allowed_code)
    with run.example(name=name, operation=operation) as example:
        client = example.client
        if operation == "push":
            response = client.upload_start(value)
            if response.status_code == 202 and response.location:
                client.upload_cancel(response.location)
            what = f"POST upload to name {name}"
        elif operation == "tags":
            response, what = client.tags_list(value), f"tags/list of name {name}"
        elif operation == "manifest":
            response, what = client.manifest_get(value, "latest"), f"GET manifest of {name}"
        else:
            response, what = client.blob_head(value, random_blob(1, 8).digest), f"HEAD blob of {name}"
        _check_refused(run, response, what, acting_rule=grammar.NAME_GRAMMAR, codes=NAME_CODES,
                       code_rule=errors.INVALID_NAME_CODE, key=operation)


@pytest.mark.push
@pytest.mark.grammar
@pytest.mark.errors
@pytest.mark.rules(grammar.TAG_GRAMMAR, errors.INVALID_TAG_CODE)
@check_settings(scale=1.5)
@given(tag=invalid_tags(), operation=st.sampled_from(["put", "get", "head"]))
def test_any_invalid_tag_gets_a_4xx_with_an_allowed_code(
    *, property_client: RegistryClient, registry_config: RunConfig, capabilities: Capabilities,
    shared_image: tuple[str, Manifest], tag: InvalidValue, operation: str,
) -> None:
    repo, image = shared_image
    run = _run(property_client, registry_config, capabilities, "invalid-tag",
               test_any_invalid_tag_gets_a_4xx_with_an_allowed_code)
    with run.example(tag=tag, operation=operation) as example:
        client = example.client
        if operation == "put":
            response = client.manifest_put(repo, tag.value, image.data, image.media_type)
            if response.status_code == 201:
                example.cleanup.tag(repo, tag.value)
            what = f"PUT manifest under tag {tag}"
        elif operation == "get":
            response, what = client.manifest_get(repo, tag.value), f"GET manifest {tag}"
        else:
            response, what = client.manifest_head(repo, tag.value), f"HEAD manifest {tag}"
        _check_refused(run, response, what, acting_rule=grammar.TAG_GRAMMAR, codes=TAG_CODES,
                       code_rule=errors.INVALID_TAG_CODE, key=operation)


@pytest.mark.push
@pytest.mark.grammar
@pytest.mark.errors
@pytest.mark.rules(grammar.DIGEST_GRAMMAR, grammar.DIGEST_SHA256_ENCODING, grammar.DIGEST_SHA512_ENCODING,
                   grammar.DIGEST_BLAKE3_ENCODING, errors.MALFORMED_DIGEST_CODE, uploads.DIGEST_INVALID_400,
                   uploads.UPLOAD_POST_202)
@check_settings(scale=1.5)
@given(digest=invalid_digests(),
       operation=st.sampled_from(["blob-get", "blob-head", "manifest-get", "upload-put"]))
def test_any_invalid_digest_gets_a_4xx_with_an_allowed_code(
    *, property_client: RegistryClient, registry_config: RunConfig, capabilities: Capabilities,
    shared_image: tuple[str, Manifest], digest: InvalidValue, operation: str,
) -> None:
    repo, _ = shared_image
    run = _run(property_client, registry_config, capabilities, "invalid-digest",
               test_any_invalid_digest_gets_a_4xx_with_an_allowed_code)
    with run.example(digest=digest, operation=operation) as example:
        client, value = example.client, digest.value
        if operation == "blob-get":
            response, what = client.blob_get(repo, value), f"GET blob {digest}"
        elif operation == "blob-head":
            response, what = client.blob_head(repo, value), f"HEAD blob {digest}"
        elif operation == "manifest-get":
            response, what = client.manifest_get(repo, value), f"GET manifest {digest}"
        else:
            location = session_location(client.upload_start(example.repo), what="POST /blobs/uploads/")
            response, what = client.upload_put(location, value, b"registry-harness"), f"closing PUT {digest}"
            if response.status_code == 201:
                example.cleanup.blob(example.repo, value)
            else:
                client.upload_cancel(location)
            if response.status_code < 500:
                run.judge_once(uploads.DIGEST_INVALID_400, response.status_code == 400, operation,
                               f"{what}: {response.describe()}, expected 400 for an invalid digest")
        _check_refused(run, response, what, acting_rule=malformation_rule(value), codes=DIGEST_CODES,
                       code_rule=errors.MALFORMED_DIGEST_CODE, key=operation)
