"""Property checks (Hypothesis) of bad input: ANY invalid repository name, tag or digest is refused.

Each check draws invalid values (`conformance.strategies.references`: wrong grammar, wrong lengths,
upper-case hex, unregistered algorithms, ...) and an operation, and sends each example to the registry
under test with a fresh client, repository, transcript and cleanup (`conformance.checks.properties`); a
failure is shrunk to a minimal example whose HTTP transcript is the check's report. The rule: a 4xx with an
allowed error code, never a 5xx or a 2xx (spec.md grammar, "Error Codes"); a write SHOULD name the problem
(`NAME_INVALID`, `TAG_INVALID`, `DIGEST_INVALID`), and a closing PUT with a malformed digest MUST get 400
(`conformance.checks.bad_input`). The other property checks are in `test_properties.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.capabilities import Capabilities

# `_check_refused` is the name the checks' bodies call it by: an unchanged body keeps its Hypothesis
# example-database key (a digest of the check's source), so saved failing examples still replay.
from conformance.checks.bad_input import (
    DIGEST_CODES,
    ERRORS,
    NAME_CODES,
    TAG_CODES,
    shared_image_fixture,  # noqa: F401 (fixture)
)
from conformance.checks.bad_input import check_refused_input as _check_refused
from conformance.checks.properties import PropertyRun, property_client_fixture  # noqa: F401 (fixture)
from conformance.checks.transfers import session_location
from conformance.client import RegistryClient
from conformance.content import Manifest, random_blob
from conformance.hypothesis_profiles import check_settings
from conformance.options import RunConfig
from conformance.strategies import InvalidValue, invalid_digests, invalid_names, invalid_tags
from conformance.verdicts import must

pytestmark = [pytest.mark.properties, pytest.mark.writes]


def _run(client: RegistryClient, config: RunConfig, capabilities: Capabilities, label: str,
         test: Callable[..., Any]) -> PropertyRun:
    return PropertyRun(client, config, capabilities, label, test)


@pytest.mark.push
@pytest.mark.grammar
@pytest.mark.errors
@pytest.mark.spec("spec.md#pulling-manifests", "code-8", ERRORS)
@pytest.mark.level("MUST")
@check_settings(scale=1.5)
@given(name=invalid_names(), operation=st.sampled_from(["push", "tags", "manifest", "blob"]))
def test_any_invalid_repository_name_gets_a_4xx_with_an_allowed_code(
    *, property_client: RegistryClient, registry_config: RunConfig, capabilities: Capabilities,
    name: InvalidValue, operation: str,
) -> None:
    run = _run(property_client, registry_config, capabilities, "invalid-name",
               test_any_invalid_repository_name_gets_a_4xx_with_an_allowed_code)
    with run.example(name=name, operation=operation) as example:
        client, value = example.client, name.value
        if operation == "push":
            response = client.upload_start(value)
            _check_refused(run, response, NAME_CODES, ("NAME_INVALID",), f"POST upload to name {name}",
                           rule="push-to-invalid-name")
            must(response.status_code != 202, "an upload to an invalid name was started", ref="code-8")
        elif operation == "tags":
            _check_refused(run, client.tags_list(value), NAME_CODES, (), f"tags/list of name {name}")
        elif operation == "manifest":
            _check_refused(run, client.manifest_get(value, "latest"), NAME_CODES, (),
                           f"GET manifest of {name}")
        else:
            digest = random_blob(1, 8).digest
            _check_refused(run, client.blob_head(value, digest), NAME_CODES, (), f"HEAD blob of {name}")


@pytest.mark.push
@pytest.mark.grammar
@pytest.mark.errors
@pytest.mark.spec("end-7", "end-3", "spec.md#pushing-manifests", ERRORS)
@pytest.mark.level("MUST")
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
            _check_refused(run, response, TAG_CODES, ("TAG_INVALID", "MANIFEST_INVALID"),
                           f"PUT manifest under tag {tag}", rule="put-invalid-tag")
        elif operation == "get":
            _check_refused(run, client.manifest_get(repo, tag.value), TAG_CODES, (), f"GET manifest {tag}")
        else:
            _check_refused(run, client.manifest_head(repo, tag.value), TAG_CODES, (), f"HEAD manifest {tag}")


@pytest.mark.push
@pytest.mark.grammar
@pytest.mark.errors
@pytest.mark.spec("end-2", "end-3", "end-6", "code-4", ERRORS)
@pytest.mark.level("MUST")
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
            _check_refused(run, client.blob_get(repo, value), DIGEST_CODES, (), f"GET blob {digest}")
        elif operation == "blob-head":
            _check_refused(run, client.blob_head(repo, value), DIGEST_CODES, (), f"HEAD blob {digest}")
        elif operation == "manifest-get":
            _check_refused(run, client.manifest_get(repo, value), DIGEST_CODES, (), f"GET manifest {digest}")
        else:
            location = session_location(client.upload_start(example.repo), what="POST /blobs/uploads/")
            response = client.upload_put(location, value, b"registry-harness")
            if response.status_code == 201:
                example.cleanup.blob(example.repo, value)
            _check_refused(run, response, DIGEST_CODES, ("DIGEST_INVALID",),
                           f"closing PUT with digest {digest}", rule="put-invalid-digest")
            must(response.status_code == 400, f"closing PUT with digest {digest}: {response.describe()}, "
                 "expected 400 (a malformed digest cannot name the uploaded content)", ref="end-6")
