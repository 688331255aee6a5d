"""Names, tags and digests: what the grammar lets through, and how a registry answers what it does not.

The grammar (spec.md "Pulling manifests", image-spec descriptor.md "Digests"; `conformance.spec.grammar`)
says what a `<name>`, a tag and a digest ARE. What binds a registry (`conformance.ledger.rules.grammar`):

- valid values work: nested names and every separator, a name over 255 characters (the grammar has no length
  limit; the 255 note is non-normative), tags up to 128 characters. A push that is refused fails on the
  category the run checks; what was pushed must be served back;
- a GET of a WELL-FORMED reference that does not exist MUST be 404: a missing long name, a digest of an
  unregistered algorithm (`md5:...`, `sha256+b64u:...`, `a:b`). A 5xx there fails; another 4xx is advice
  by default (contested: the implementers' note, and the main text's 400 for unsupported algorithms);
- input outside the grammar (upper case, misplaced separators, a 129-character tag, `sha256:<63 hex>`):
  any 4xx with any body is right; a 5xx departs from HTTP semantics (SHOULD, main text; advice for v1.1);
  acting on it (a 2xx; distribution opens an upload session for `A/0`) is advice by default and fails only
  under --registry-strict-readings. A redirect to a cleaned, valid name is no action on the invalid one;
- which code a refusal carries is advice (NAME_INVALID, TAG_INVALID, DIGEST_INVALID), a JSON 4xx body MUST
  be the envelope; a closing PUT with an invalid digest SHOULD get 400 (main text).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from conformance.checks.bad_input import malformation_rule
from conformance.checks.documents import check_manifest_pushed, check_manifest_served, push_children
from conformance.checks.errors import check_refusal, started_upload
from conformance.client import Response
from conformance.content import Manifest, image_manifest, random_blob
from conformance.fixtures import Workspace
from conformance.ledger.model import Rule
from conformance.ledger.rules import errors, general, grammar, manifests, pull, uploads
from conformance.spec import grammar as spec_grammar
from conformance.spec.digests import digest_bytes
from conformance.verdicts import HarnessError, judge, note

pytestmark = [pytest.mark.grammar, pytest.mark.rules(general.ERROR_ENVELOPE, general.ERROR_CODE_SHAPE,
                                                     general.ERROR_CODE_TABLE, general.ERROR_MESSAGE)]

ANY_4XX = tuple(range(400, 500))
NAME_REFUSAL_CODES = ("NAME_INVALID", "NAME_UNKNOWN", "MANIFEST_UNKNOWN", "BLOB_UNKNOWN", "UNAUTHORIZED",
                      "DENIED")
DIGEST_REFUSAL_CODES = ("DIGEST_INVALID", "NAME_UNKNOWN", "BLOB_UNKNOWN", "MANIFEST_UNKNOWN")


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
        "encoded dot-dot component": f"{namespace}/a/%2e%2e/abc",  # resolved, still inside the namespace
    }
    for reason, name in names.items():
        if spec_grammar.is_valid_name(name.replace("%2e", ".")):
            raise HarnessError(f"invalid-name case {reason!r} ({name!r}) is valid by our grammar")
    return names


INVALID_NAME_REASONS = list(_invalid_names("ns"))
NAME_RULES = (grammar.NAME_GRAMMAR, general.SERVER_ERROR_FOR_CLIENT_ERROR, errors.INVALID_NAME_CODE,
              general.STATUS_AFTER_REDIRECTS)


_NAME_IN_PATH = re.compile(r"^/v2/(?P<name>.+?)/(?:manifests|blobs)/")


def _redirected_to_a_valid_name(response: Response) -> str | None:
    """The valid repository name a redirect led to (a registry cleaning `//` or dot segments), or None."""
    if not response.history:
        return None
    found = _NAME_IN_PATH.match(urlsplit(response.url).path)
    if found is None or not spec_grammar.is_valid_name(found["name"]):
        return None
    return found["name"]


def _refuses_name(response: Response, what: str) -> None:
    cleaned = _redirected_to_a_valid_name(response)
    if cleaned is not None and response.status_code < 500:
        note(f"{what}: the registry redirected to the valid name {cleaned!r} "
             f"({response.history[0].status_code}); the invalid name itself was not acted on")
        return
    check_refusal(response, ANY_4XX, what, status_rule=grammar.NAME_GRAMMAR, codes=NAME_REFUSAL_CODES,
                  code_rule=errors.INVALID_NAME_CODE)


@pytest.mark.pull
@pytest.mark.rules(*NAME_RULES)
@pytest.mark.parametrize("reason", INVALID_NAME_REASONS)
def test_invalid_repository_name_is_refused_on_pull(workspace: Workspace, reason: str) -> None:
    name = _invalid_names(workspace.config.namespace)[reason]
    response = workspace.client.request("GET", f"/v2/{name}/manifests/latest")
    _refuses_name(response, f"GET manifest of repository {name!r} ({reason})")


@pytest.mark.push
@pytest.mark.writes
@pytest.mark.rules(*NAME_RULES)
@pytest.mark.parametrize("reason", INVALID_NAME_REASONS)
def test_invalid_repository_name_is_refused_on_push(workspace: Workspace, reason: str) -> None:
    name = _invalid_names(workspace.config.namespace)[reason]
    response = workspace.client.request("POST", f"/v2/{name}/blobs/uploads/", headers={"Content-Length": "0"})
    if response.status_code == 202 and response.location:
        workspace.client.upload_cancel(response.location)
    _refuses_name(response, f"POST upload to repository {name!r} ({reason})")


def _long_name(workspace: Workspace) -> str:
    """A valid name of 256 characters or more (what many clients cannot address with a host)."""
    name = f"{workspace.repo}/" + "a" * max(1, spec_grammar.NAME_MAX_LENGTH + 1 - len(workspace.repo) - 1)
    if not spec_grammar.is_valid_name(name) or spec_grammar.within_client_length(name):
        raise HarnessError(f"{name!r} is not a valid name over {spec_grammar.NAME_MAX_LENGTH} characters")
    return name


@pytest.mark.pull
@pytest.mark.rules(pull.MANIFEST_NOT_FOUND_404, grammar.LONG_NAME_NOT_FOUND_404, grammar.NAME_LENGTH_NOTE,
                   pull.REPOSITORY_MISSING_CODE)
def test_long_repository_name_is_404_on_pull(workspace: Workspace) -> None:
    name = _long_name(workspace)
    response = workspace.client.request("GET", f"/v2/{name}/manifests/latest")
    what = f"GET manifest of the missing repository {name!r} ({len(name)} characters, a valid name)"
    if 400 <= response.status_code < 500 and response.status_code != 404:
        check_refusal(response, (404,), what, status_rule=grammar.LONG_NAME_NOT_FOUND_404)
        return
    check_refusal(response, (404,), what, status_rule=pull.MANIFEST_NOT_FOUND_404,
                  server_error_rule=pull.MANIFEST_NOT_FOUND_404, codes=("NAME_UNKNOWN", "MANIFEST_UNKNOWN"),
                  code_rule=pull.REPOSITORY_MISSING_CODE)


@pytest.mark.push
@pytest.mark.writes
@pytest.mark.rules(grammar.NAME_LENGTH_NOTE, uploads.UPLOAD_PUT_201, pull.BLOB_GET_200)
def test_long_repository_name_on_push_is_accepted_or_refused(workspace: Workspace) -> None:
    name = _long_name(workspace)
    client = workspace.client
    blob = random_blob(workspace.content, 32)
    what = f"pushing a blob to the repository {name!r} ({len(name)} characters, a valid name)"
    started = client.request("POST", f"/v2/{name}/blobs/uploads/", headers={"Content-Length": "0"})
    if started.status_code != 202 or not started.location:
        judge(grammar.NAME_LENGTH_NOTE, started.status_code < 500,
              f"{what}: {started.describe()}: a server error for a valid name: {started.content[:200]!r}")
        note(f"{what}: refused with {started.describe()} (allowed: registries should avoid such names)")
        return
    finished = client.upload_put(started.location, blob.digest, blob.data)
    if finished.status_code != 201:
        client.upload_cancel(started.location)
        judge(grammar.NAME_LENGTH_NOTE, finished.status_code < 500,
              f"{what}: closing PUT {finished.describe()}: a server error for a valid name")
        note(f"{what}: the closing PUT was refused with {finished.describe()} (allowed)")
        return
    workspace.cleanup.blob(name, blob.digest)
    served = client.blob_get(name, blob.digest)
    judge(pull.BLOB_GET_200, served.status_code == 200 and served.content == blob.data,
          f"{what}: the upload answered 201, then {served.describe()} with {len(served.content)} bytes, "
          f"expected 200 with the {blob.size} uploaded")


VALID_NAME_SUFFIXES = ("a/b/c/d", "a.b", "a_b", "a__b", "a-b", "a--b", "a0/b1.c2_d3__e4--f5")


@pytest.mark.push
@pytest.mark.writes
@pytest.mark.rules(grammar.NAME_GRAMMAR, general.CATEGORY_CLAIM, pull.BLOB_GET_200)
@pytest.mark.parametrize("suffix", VALID_NAME_SUFFIXES)
def test_valid_repository_name_is_accepted(workspace: Workspace, suffix: str) -> None:
    name = f"{workspace.repo}/{suffix}"
    if not spec_grammar.is_valid_name(name):
        raise HarnessError(f"{name!r} is not valid by our grammar")
    blob = random_blob(workspace.content, 64)
    workspace.client.push_blob(name, blob)  # a refusal fails on category-claim
    workspace.cleanup.blob(name, blob.digest)
    served = workspace.client.blob_get(name, blob.digest)
    judge(pull.BLOB_GET_200, served.status_code == 200 and served.content == blob.data,
          f"blob pushed to the valid repository {name!r}: {served.describe()}, expected 200 with its bytes")


# tags -----------------------------------------------------------------------------------------------------
def _put_by_tag(workspace: Workspace, tag: str) -> tuple[Response, Manifest]:
    """Push an image's blobs, then PUT its manifest by `tag`: the answer and the manifest."""
    manifest = image_manifest(workspace.content, layers=1, layer_size=64)
    push_children(workspace.client, workspace.repo, manifest, workspace.cleanup)
    response = workspace.client.manifest_put(workspace.repo, tag, manifest.data, manifest.media_type)
    return response, manifest


VALID_TAGS = {"128 characters": "T" * spec_grammar.TAG_MAX_LENGTH, "underscore only": "_",
              "dots dashes underscores": "v1.0.0-rc.1_x", "digit": "0"}


@pytest.mark.push
@pytest.mark.writes
@pytest.mark.rules(grammar.TAG_GRAMMAR, general.CATEGORY_CLAIM, manifests.MANIFEST_PUT_201,
                   manifests.MANIFEST_PUT_DIGEST_HEADER, manifests.MANIFEST_PUT_DIGEST_HEADER_PRESENT,
                   pull.MANIFEST_GET_200, manifests.MANIFEST_EXACT_BYTES, pull.MANIFEST_DIGEST_HEADER,
                   pull.MANIFEST_CONTENT_TYPE, pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH,
                   pull.MANIFEST_CONTENT_TYPE_NO_PARAMETERS)
@pytest.mark.parametrize("kind", list(VALID_TAGS))
def test_valid_tag_is_accepted(workspace: Workspace, kind: str) -> None:
    tag = VALID_TAGS[kind]
    if not spec_grammar.is_valid_tag(tag):
        raise HarnessError(f"{tag!r} is not a valid tag by our grammar")
    pushed, manifest = _put_by_tag(workspace, tag)
    if pushed.status_code == 201:
        workspace.cleanup.tag(workspace.repo, tag)
        workspace.cleanup.manifest(workspace.repo, manifest.digest)
    judge(general.CATEGORY_CLAIM, pushed.status_code < 300,
          f"manifest PUT with the valid tag {tag!r} ({kind}) was refused: {pushed.describe()}: "
          f"{pushed.content[:200]!r}")
    check_manifest_pushed(pushed, manifest)
    check_manifest_served(workspace.client.manifest_get(workspace.repo, tag), manifest, workspace.config)


INVALID_TAGS = {reason: tag for reason, tag in spec_grammar.INVALID_TAGS.items() if reason != "empty"}
TAG_RULES = (grammar.TAG_GRAMMAR, general.SERVER_ERROR_FOR_CLIENT_ERROR, errors.INVALID_TAG_CODE)


@pytest.mark.push
@pytest.mark.writes
@pytest.mark.rules(*TAG_RULES, manifests.DIGEST_MISMATCH_REFUSED, general.CATEGORY_CLAIM)
@pytest.mark.parametrize("reason", list(INVALID_TAGS))
def test_invalid_tag_is_refused_on_push(workspace: Workspace, reason: str) -> None:
    tag = INVALID_TAGS[reason]
    if spec_grammar.is_valid_tag(tag):
        raise HarnessError(f"{tag!r} is a valid tag by our grammar")
    response, manifest = _put_by_tag(workspace, tag)
    if response.status_code == 201:
        workspace.cleanup.manifest(workspace.repo, manifest.digest)
    what = f"manifest PUT with the invalid tag {tag!r} ({reason})"
    if spec_grammar.is_valid_digest(tag):  # `a:b`: no tag, but a digest (of an unregistered algorithm)
        check_refusal(response, ANY_4XX, f"{what}, a well-formed digest the body does not have",
                      status_rule=manifests.DIGEST_MISMATCH_REFUSED,
                      codes=("DIGEST_INVALID", "MANIFEST_INVALID"),
                      code_rule=manifests.DIGEST_MISMATCH_REFUSED)
        return
    check_refusal(response, ANY_4XX, what, status_rule=grammar.TAG_GRAMMAR, codes=("TAG_INVALID",
                  "MANIFEST_INVALID"), code_rule=errors.INVALID_TAG_CODE)


@pytest.mark.pull
@pytest.mark.rules(*TAG_RULES, pull.MANIFEST_NOT_FOUND_404, grammar.UNKNOWN_ALGORITHM_NOT_FOUND_404,
                   errors.MALFORMED_DIGEST_CODE)
@pytest.mark.parametrize("reason", list(INVALID_TAGS))
def test_invalid_tag_is_refused_on_pull(workspace: Workspace, reason: str) -> None:
    tag = INVALID_TAGS[reason]
    what = f"manifest GET with the invalid tag {tag!r} ({reason})"
    response = workspace.client.manifest_get(workspace.repo, tag)
    if spec_grammar.is_valid_digest(tag):
        _check_well_formed_digest_not_found(response, f"{what}, a well-formed digest of an unregistered "
                                            "algorithm", pull.MANIFEST_NOT_FOUND_404)
        return
    check_refusal(response, ANY_4XX, what, status_rule=grammar.TAG_GRAMMAR, codes=("TAG_INVALID",
                  "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_UNKNOWN"), code_rule=errors.INVALID_TAG_CODE)


# digests ----------------------------------------------------------------------------------------------------
BAD_DIGESTS = {**spec_grammar.INVALID_DIGESTS, **spec_grammar.UNKNOWN_ALGORITHM_DIGESTS}
UPLOAD_CASES = ["upper-case hex", "sha256 too short", "non-hex sha256", "no colon", "upper-case algorithm",
                "unknown algorithm"]
"""The bad-digest forms tried on the closing PUT (each needs an upload session: a representative subset)."""
MALFORMATION_RULES = (grammar.DIGEST_GRAMMAR, grammar.DIGEST_SHA256_ENCODING, grammar.DIGEST_SHA512_ENCODING)


def _check_well_formed_digest_not_found(response: Response, what: str, not_found: Rule) -> None:
    """A well-formed digest nothing has: 404 MUST (a 5xx fails); another 4xx is advice (contested)."""
    __tracebackhide__ = True
    if 400 <= response.status_code < 500 and response.status_code != 404:
        check_refusal(response, (404,), what, status_rule=grammar.UNKNOWN_ALGORITHM_NOT_FOUND_404,
                      codes=DIGEST_REFUSAL_CODES, code_rule=errors.MALFORMED_DIGEST_CODE)
        return
    check_refusal(response, (404,), what, status_rule=not_found, server_error_rule=not_found,
                  codes=DIGEST_REFUSAL_CODES, code_rule=errors.MALFORMED_DIGEST_CODE)


@pytest.mark.pull
@pytest.mark.rules(*MALFORMATION_RULES, general.SERVER_ERROR_FOR_CLIENT_ERROR, errors.MALFORMED_DIGEST_CODE,
                   pull.BLOB_NOT_FOUND_404, pull.MANIFEST_NOT_FOUND_404,
                   grammar.UNKNOWN_ALGORITHM_NOT_FOUND_404)
@pytest.mark.parametrize("resource", ["blobs", "manifests"])
@pytest.mark.parametrize("reason", list(BAD_DIGESTS))
def test_bad_digest_is_refused_on_pull(workspace: Workspace, resource: str, reason: str) -> None:
    digest = BAD_DIGESTS[reason]
    if spec_grammar.is_registered_digest(digest):
        raise HarnessError(f"{digest!r} is a registered, valid digest by our grammar")
    response = workspace.client.request("GET", f"/v2/{workspace.repo}/{resource}/{digest}")
    what = f"GET {resource} by the digest {digest!r} ({reason})"
    if spec_grammar.is_valid_digest(digest):
        not_found = pull.BLOB_NOT_FOUND_404 if resource == "blobs" else pull.MANIFEST_NOT_FOUND_404
        _check_well_formed_digest_not_found(response, f"{what}: well-formed, unregistered", not_found)
        return
    check_refusal(response, ANY_4XX, f"{what}: malformed", status_rule=malformation_rule(digest),
                  codes=DIGEST_REFUSAL_CODES, code_rule=errors.MALFORMED_DIGEST_CODE)


@pytest.mark.push
@pytest.mark.writes
@pytest.mark.rules(uploads.DIGEST_INVALID_400, *MALFORMATION_RULES, general.SERVER_ERROR_FOR_CLIENT_ERROR,
                   errors.MALFORMED_DIGEST_CODE, uploads.UPLOAD_POST_202, general.CATEGORY_CLAIM)
@pytest.mark.parametrize("reason", UPLOAD_CASES)
def test_bad_digest_on_upload_is_400(workspace: Workspace, reason: str) -> None:
    digest = BAD_DIGESTS[reason]
    data = random_blob(workspace.content, 32).data
    if digest == digest_bytes(data):
        raise HarnessError("the bad digest is the content's digest")
    location = started_upload(workspace.client, workspace.repo)
    response = workspace.client.upload_put(location, digest, data)
    what = f"closing PUT with ?digest={digest} ({reason})"
    codes = ("DIGEST_INVALID", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN")
    if spec_grammar.is_valid_digest(digest):  # well-formed, of an algorithm the registry cannot know
        check_refusal(response, (400,), f"{what}: an unsupported algorithm",
                      status_rule=uploads.DIGEST_INVALID_400, codes=codes,
                      code_rule=errors.MALFORMED_DIGEST_CODE)
    else:
        check_refusal(response, ANY_4XX, f"{what}: malformed", status_rule=malformation_rule(digest),
                      codes=codes, code_rule=errors.MALFORMED_DIGEST_CODE)
        if 400 <= response.status_code < 500:
            judge(uploads.DIGEST_INVALID_400, response.status_code == 400,
                  f"{what}: {response.describe()}, expected 400 for an invalid digest on a blob push")
    if response.status_code != 201:
        workspace.client.upload_cancel(location)
