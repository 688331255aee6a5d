"""Names, tags and digests: what the grammar lets through and what a registry must refuse.

The spec (spec.md "Pulling manifests", image-spec descriptor.md): `<name>` MUST match
`[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*` (registries SHOULD keep
`host/name` within 255 characters); a tag MUST match `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`; a digest is
`algorithm:encoded`, sha256 being 64 lower-case hex characters. Names outside the grammar must be refused
with a 4xx: the endpoints list 404 as their failure status and the code table has NAME_INVALID (400) for
"invalid repository name", so 400 and 404 pass (401/403 too, from an authorization layer that refuses the
scope) and a refusal SHOULD name NAME_INVALID (a plain 404 warns); a redirect to a cleaned, valid name
(`//` or dot segments removed) is not acting on the invalid name and only has to avoid a 5xx;
a 2xx, which acts on a name the spec forbids, fails, as does a 5xx. Nested names and every separator
(`.`, `_`, `__`, `-`, `--`) must work; a 128-character tag must be accepted and a 129-character or
ill-formed one refused; a malformed or unknown-algorithm digest is 400 (DIGEST_INVALID) or 404 on GET,
and an upload closed with one SHOULD get 400. Validity comes from `conformance.spec.grammar`.
"""

from __future__ import annotations

import random
import re
from urllib.parse import urlsplit

import pytest

from conformance.checks.documents import push_children
from conformance.checks.errors import check_named_code, check_not_server_error, check_refusal, started_upload
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import image_manifest, random_blob
from conformance.options import RunConfig
from conformance.spec import grammar, media_types
from conformance.spec.digests import digest_bytes
from conformance.verdicts import HarnessError, must, note, should

pytestmark = [pytest.mark.grammar]

NAME_REF = "spec.md#pulling-manifests"
TAG_REF = "spec.md#pulling-manifests"
DIGEST_REF = "image-spec/descriptor.md#digests"


def _invalid_names(namespace: str) -> dict[str, str]:
    """Invalid names inside the run's namespace (reason -> name); each is checked against our grammar."""
    names = {
        "upper-case": f"{namespace}/Upper",
        "double dot": f"{namespace}/a..b",
        "leading separator": f"{namespace}/-abc",
        "trailing separator": f"{namespace}/abc_",
        "trailing slash": f"{namespace}/abc/",
        "empty component": f"{namespace}//abc",
        "triple underscore": f"{namespace}/a___b",
        "mixed separators": f"{namespace}/a._b",
        "illegal character": f"{namespace}/a!b",
        "encoded dot-dot component": f"{namespace}/%2e%2e/abc",
    }
    for reason, name in names.items():
        if grammar.is_valid_name(name.replace("%2e", ".")):
            raise HarnessError(f"invalid-name case {reason!r} ({name!r}) is valid by our grammar")
    return names


INVALID_NAME_REASONS = list(_invalid_names("ns"))


_NAME_IN_PATH = re.compile(r"^/v2/(?P<name>.+?)/(?:manifests|blobs)/")


def _redirected_to_a_valid_name(response: Response) -> str | None:
    """The valid repository name a redirect led to (a registry cleaning `//` or dot segments), or None."""
    if not response.history:
        return None
    found = _NAME_IN_PATH.match(urlsplit(response.url).path)
    if found is None or not grammar.is_valid_name(found["name"]):
        return None
    return found["name"]


def _refuses_name(response: Response, what: str, *, length_only: bool) -> None:
    check_not_server_error(response, what, ref=NAME_REF)
    cleaned = _redirected_to_a_valid_name(response)
    if cleaned is not None:
        note(f"{what}: the registry redirected to the valid name {cleaned!r} "
             f"({response.history[0].status_code}); the invalid name itself was not acted on")
        return
    if length_only and response.status_code < 300:
        should(False, f"{what}: {response.describe()}: a name over 255 characters is accepted (registries "
               "should avoid names that clients cannot address)", ref=NAME_REF)
        return
    if response.status_code in (401, 403):
        # an authorization layer may refuse a scope naming an invalid repository before the registry sees it
        note(f"{what}: refused by authorization ({response.describe()})")
    check_refusal(response, (400, 404, 401, 403), (), what, ref=NAME_REF)
    if response.status_code not in (401, 403):
        check_named_code(response, ("NAME_INVALID",), what, ref="code-8")


@pytest.mark.spec(NAME_REF, "code-8", "end-3")
@pytest.mark.level("MUST")
@pytest.mark.pull
@pytest.mark.parametrize("reason", INVALID_NAME_REASONS)
def test_invalid_repository_name_is_refused_on_pull(
    client: RegistryClient, registry_config: RunConfig, reason: str
) -> None:
    name = _invalid_names(registry_config.namespace)[reason]
    response = client.request("GET", f"/v2/{name}/manifests/latest")
    _refuses_name(response, f"GET manifest of repository {name!r} ({reason})",
                  length_only=reason.startswith("longer"))


@pytest.mark.spec(NAME_REF, "code-8", "end-4a")
@pytest.mark.level("MUST")
@pytest.mark.push
@pytest.mark.writes
@pytest.mark.parametrize("reason", INVALID_NAME_REASONS)
def test_invalid_repository_name_is_refused_on_push(
    client: RegistryClient, registry_config: RunConfig, reason: str
) -> None:
    name = _invalid_names(registry_config.namespace)[reason]
    response = client.request("POST", f"/v2/{name}/blobs/uploads/", headers={"Content-Length": "0"})
    if response.status_code == 202 and response.location:
        client.upload_cancel(response.location)
    _refuses_name(response, f"POST upload to repository {name!r} ({reason})",
                  length_only=reason.startswith("longer"))


VALID_NAME_SUFFIXES = ("a/b/c/d", "a.b", "a_b", "a__b", "a-b", "a--b", "a0/b1.c2_d3__e4--f5")


@pytest.mark.spec(NAME_REF, "end-2", "end-6")
@pytest.mark.level("MUST")
@pytest.mark.push
@pytest.mark.writes
@pytest.mark.parametrize("suffix", VALID_NAME_SUFFIXES)
def test_valid_repository_name_is_accepted(
    client: RegistryClient, repo: str, cleanup: Cleanup, content: random.Random, suffix: str
) -> None:
    name = f"{repo}/{suffix}"
    if not grammar.is_valid_name(name):
        raise HarnessError(f"{name!r} is not valid by our grammar")
    blob = random_blob(content, 64)
    client.push_blob(name, blob)
    cleanup.blob(name, blob.digest)
    served = client.blob_get(name, blob.digest)
    must(served.status_code == 200 and served.content == blob.data,
         f"blob pushed to the valid repository {name!r}: {served.describe()}, expected 200 with its bytes",
         ref=NAME_REF)


# tags -----------------------------------------------------------------------------------------------------
def _put_by_tag(
    client: RegistryClient, repo: str, cleanup: Cleanup, rng: random.Random, tag: str
) -> tuple[Response, bytes, str]:
    """Push an image's blobs, then PUT its manifest by `tag`: the answer, the manifest bytes and digest."""
    manifest = image_manifest(rng, layers=1, layer_size=64)
    push_children(client, repo, manifest, cleanup)
    response = client.manifest_put(repo, tag, manifest.data, media_types.OCI_MANIFEST)
    return response, manifest.data, manifest.digest


VALID_TAGS = {"128 characters": "T" * grammar.TAG_MAX_LENGTH, "underscore only": "_",
              "dots dashes underscores": "v1.0.0-rc.1_x", "digit": "0"}


@pytest.mark.spec(TAG_REF, "end-7a", "end-3")
@pytest.mark.level("MUST")
@pytest.mark.push
@pytest.mark.writes
@pytest.mark.parametrize("kind", list(VALID_TAGS))
def test_valid_tag_is_accepted(
    client: RegistryClient, repo: str, cleanup: Cleanup, content: random.Random, kind: str
) -> None:
    tag = VALID_TAGS[kind]
    if not grammar.is_valid_tag(tag):
        raise HarnessError(f"{tag!r} is not a valid tag by our grammar")
    pushed, data, digest = _put_by_tag(client, repo, cleanup, content, tag)
    if pushed.status_code == 201:
        cleanup.tag(repo, tag)
        cleanup.manifest(repo, digest)
    must(pushed.status_code == 201, f"manifest PUT with the valid tag {tag!r} ({kind}): {pushed.describe()}, "
         f"expected 201: {pushed.content[:200]!r}", ref=TAG_REF)
    served = client.manifest_get(repo, tag)
    must(served.status_code == 200 and served.content == data,
         f"GET by the tag {tag!r}: {served.describe()}, expected 200 with the pushed manifest", ref=TAG_REF)


INVALID_TAGS = {reason: tag for reason, tag in grammar.INVALID_TAGS.items() if reason != "empty"}


@pytest.mark.spec(TAG_REF, "end-7a")
@pytest.mark.level("MUST")
@pytest.mark.push
@pytest.mark.writes
@pytest.mark.parametrize("reason", list(INVALID_TAGS))
def test_invalid_tag_is_refused_on_push(
    client: RegistryClient, repo: str, cleanup: Cleanup, content: random.Random, reason: str
) -> None:
    tag = INVALID_TAGS[reason]
    if grammar.is_valid_tag(tag):
        raise HarnessError(f"{tag!r} is a valid tag by our grammar")
    response, _, digest = _put_by_tag(client, repo, cleanup, content, tag)
    if response.status_code == 201:
        cleanup.manifest(repo, digest)
    check_refusal(response, (400, 404), (), f"manifest PUT with the invalid tag {tag!r} ({reason})",
                  ref=TAG_REF)


@pytest.mark.spec(TAG_REF, "end-3")
@pytest.mark.level("MUST")
@pytest.mark.pull
@pytest.mark.parametrize("reason", list(INVALID_TAGS))
def test_invalid_tag_is_refused_on_pull(client: RegistryClient, repo: str, reason: str) -> None:
    tag = INVALID_TAGS[reason]
    response = client.manifest_get(repo, tag)
    check_refusal(response, (400, 404), (), f"manifest GET with the invalid tag {tag!r} ({reason})",
                  ref=TAG_REF)


# digests ----------------------------------------------------------------------------------------------------
BAD_DIGESTS = {**grammar.INVALID_DIGESTS, **grammar.UNKNOWN_ALGORITHM_DIGESTS}
UPLOAD_CASES = ["upper-case hex", "sha256 too short", "non-hex sha256", "no colon", "upper-case algorithm",
                "unknown algorithm"]
"""The bad-digest forms tried on the closing PUT (each needs an upload session: a representative subset)."""


@pytest.mark.spec(DIGEST_REF, "end-2", "end-3", "code-4")
@pytest.mark.level("MUST")
@pytest.mark.pull
@pytest.mark.parametrize("resource", ["blobs", "manifests"])
@pytest.mark.parametrize("reason", list(BAD_DIGESTS))
def test_bad_digest_is_refused_on_pull(client: RegistryClient, repo: str, resource: str, reason: str) -> None:
    digest = BAD_DIGESTS[reason]
    if grammar.is_registered_digest(digest):
        raise HarnessError(f"{digest!r} is a registered, valid digest by our grammar")
    response = client.request("GET", f"/v2/{repo}/{resource}/{digest}")
    check_refusal(response, (400, 404), ("DIGEST_INVALID",),
                  f"GET {resource} by the digest {digest!r} ({reason})", ref=DIGEST_REF,
                  codes_when_not=("NAME_UNKNOWN", "BLOB_UNKNOWN", "MANIFEST_UNKNOWN"))


@pytest.mark.spec("spec.md#pushing-blobs", "end-6", "code-4")
@pytest.mark.level("SHOULD")
@pytest.mark.push
@pytest.mark.writes
@pytest.mark.parametrize("reason", UPLOAD_CASES)
def test_bad_digest_on_upload_is_400(
    client: RegistryClient, repo: str, content: random.Random, reason: str
) -> None:
    digest = BAD_DIGESTS[reason]
    data = random_blob(content, 32).data
    if digest == digest_bytes(data):
        raise HarnessError("the bad digest is the content's digest")
    location = started_upload(client, repo)
    response = client.upload_put(location, digest, data)
    what = f"closing PUT with ?digest={digest} ({reason})"
    check_refusal(response, (400, 404), ("DIGEST_INVALID",), what, ref="end-6",
                  codes_when_not=("BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN"))
    should(response.status_code == 400, f"{what}: {response.describe()}: an invalid or unsupported digest on "
           "blob push SHOULD be answered with 400", ref="spec.md#pushing-blobs")
    if response.status_code != 201:
        client.upload_cancel(location)

