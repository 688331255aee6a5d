"""Read-only checks: content the user names in a registry that forbids pushes (the official OCI_RO_DATA_*).

With `--registry-read-only` (or `--no-push`) nothing is written; these checks read what the user says
exists in the namespace repository (`--registry-namespace` / OCI_REPO1), and the pull rules bind the
answers as for any pull (`conformance.ledger.rules.pull`, `.tags`, `.referrers`):

- tags (`--registry-ro-tags` / OCI_RO_DATA_TAGS): `GET` and `HEAD /v2/<repo>/manifests/<tag>` answer
  200 (MUSTs); `Docker-Content-Digest` names the bytes (SHOULD in v1.1.1, MUST on main); HEAD's
  `Content-Length` is the GET body's length (SHOULD / MUST on main); the tag is in the tag list (end-8a,
  walking `Link` pages; MUST); a body that is no valid document of its `Content-Type` is advice (the
  registry serves what was pushed: `read_only.READ_ONLY_MANIFEST_DOCUMENT`);
- manifests (`--registry-ro-manifests`): `GET`/`HEAD` by digest answer 200 and the bytes hash to that
  digest (the GET MUST "provide the expected manifest");
- blobs (`--registry-ro-blobs`): `HEAD` answers 200 with `Content-Length`, `GET` streams bytes that hash
  to the digest (MUST), as many as HEAD announced (SHOULD / MUST on main);
- referrers (`--registry-ro-referrers`, subject digests): `GET /v2/<repo>/referrers/<digest>` answers 200
  with an OCI image index (end-12a, MUSTs); a 404 means the registry has no referrers API (unsupported);
  an empty list for a subject named as having referrers is advice.

No sentence binds a registry in read-only mode beyond these (the run never writes, so refusals of writes
are not judged). Unlike the official suite, bodies are verified (digests recomputed, JSON validated). With
nothing named, each check is reported as disabled. They also run in a normal run when content is named.
"""

from __future__ import annotations

import pytest

import schemas
from conformance.checks.documents import check_schema, json_document, walk_pages
from conformance.client import RegistryClient, Response
from conformance.ledger.model import Rule
from conformance.ledger.rules import general, pull, read_only, referrers, tags
from conformance.options import ReadOnlyData, RunConfig
from conformance.session import STATE_KEY
from conformance.spec.digests import COMPUTABLE_ALGORITHMS, algorithm_of, digest_bytes
from conformance.spec.media_types import OCI_INDEX
from conformance.verdicts import DISABLED_PREFIX, judge, note, unsupported

KINDS = {
    "tag": ("tags", "--registry-ro-tags / OCI_RO_DATA_TAGS"),
    "manifest": ("manifests", "--registry-ro-manifests / OCI_RO_DATA_MANIFESTS"),
    "blob": ("blobs", "--registry-ro-blobs / OCI_RO_DATA_BLOBS"),
    "subject": ("referrers", "--registry-ro-referrers / OCI_RO_DATA_REFERRERS"),
}
NOTHING_NAMED = "(none named)"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One check per named item; one placeholder skipped as disabled (before any fixture) when none is."""
    for argument, (field, how) in KINDS.items():
        if argument in metafunc.fixturenames:
            data: ReadOnlyData = metafunc.config.stash[STATE_KEY].run_config.read_only_data
            named = list(getattr(data, field))
            reason = f"{DISABLED_PREFIX}no read-only {field} named ({how})"
            placeholder = pytest.param(NOTHING_NAMED, marks=pytest.mark.skip(reason=reason))
            metafunc.parametrize(argument, named or [placeholder])


def _repository(config: RunConfig) -> str:
    return config.read_only_data.repository or config.namespace


def _check_digest_names(response: Response, content: bytes, config: RunConfig, what: str, rule: Rule) -> None:
    """`Docker-Content-Digest`, when present (`rule`: SHOULD in v1.1.1, MUST on main), names `content`."""
    __tracebackhide__ = True
    value = response.content_digest
    if value is None:
        if config.enabled("digest_header"):
            judge(rule, False, f"{what}: {response.describe()} carries no Docker-Content-Digest header")
        else:
            note(f"{what}: no Docker-Content-Digest (requirement switched off)")
        return
    algorithm = algorithm_of(value.strip())
    if algorithm not in COMPUTABLE_ALGORITHMS:
        note(f"{what}: Docker-Content-Digest {value} uses {algorithm!r}, which the harness cannot compute")
        return
    judge(rule, digest_bytes(content, algorithm) == value.strip(),
          f"{what}: Docker-Content-Digest {value} does not match the body "
          f"({digest_bytes(content, algorithm)})")


def _check_manifest_document(response: Response, what: str) -> None:
    """The manifest body is JSON, valid against the schema of its Content-Type when we have one (advice)."""
    __tracebackhide__ = True
    document = json_document(response, what, rule=read_only.READ_ONLY_MANIFEST_DOCUMENT)
    media_type = response.content_type or ""
    if document is None:
        return
    if schemas.name_for_media_type(media_type) is None:
        note(f"{what}: Content-Type {media_type!r} has no schema here; the document was not validated")
        return
    check_schema(document, media_type, what, rule=read_only.READ_ONLY_MANIFEST_DOCUMENT)


def _check_head_matches(head: Response, body: bytes, config: RunConfig, what: str) -> None:
    __tracebackhide__ = True
    judge(pull.HEAD_200, head.status_code == 200, f"{head.describe()}, expected 200")
    if head.content:
        note(f"{head.describe()} returned {len(head.content)} bytes of body to HEAD")
    length = head.header("content-length")
    judge(pull.HEAD_CONTENT_LENGTH, length is not None and length.strip() == str(len(body)),
          f"{head.describe()}: Content-Length {length!r}, the GET body has {len(body)} bytes")
    _check_digest_names(head, body, config, what, pull.HEAD_DIGEST_HEADER)


MANIFEST_RULES = (pull.MANIFEST_GET_200, pull.MANIFEST_DIGEST_HEADER, pull.HEAD_200, pull.HEAD_CONTENT_LENGTH,
                  pull.HEAD_DIGEST_HEADER, read_only.READ_ONLY_MANIFEST_DOCUMENT)
"""What a named manifest's GET and HEAD are judged by."""


@pytest.mark.pull
@pytest.mark.rules(*MANIFEST_RULES, tags.TAGS_LIST_200, tags.TAGS_LIST_FORMAT, tags.TAGS_LINK_FORMAT)
def test_named_tag_is_served_and_listed(client: RegistryClient, registry_config: RunConfig, tag: str) -> None:
    repo = _repository(registry_config)
    what = f"manifest {repo}:{tag}"
    response = client.manifest_get(repo, tag)
    judge(pull.MANIFEST_GET_200, response.status_code == 200,
          f"{response.describe()}, expected 200 for a named tag")
    _check_manifest_document(response, what)
    _check_digest_names(response, response.content, registry_config, what, pull.MANIFEST_DIGEST_HEADER)
    _check_head_matches(client.manifest_head(repo, tag), response.content, registry_config, what)
    if not registry_config.enabled("tags_list"):
        note(f"tag list not checked ({registry_config.off_reason('tags_list')})")
        return
    first = client.tags_list(repo)
    judge(tags.TAGS_LIST_200, first.status_code == 200,
          f"{first.describe()}, expected 200 for a repository with tags")
    listed: list[str] = []
    for page in walk_pages(client, first, "tag list", link_rule=tags.TAGS_LINK_FORMAT,
                           page_rule=tags.TAGS_LIST_200):
        document = json_document(page, "tag list", rule=tags.TAGS_LIST_FORMAT)
        listed += (document.get("tags") if isinstance(document, dict) else None) or []
    judge(tags.TAGS_LIST_FORMAT, tag in listed,
          f"tag {tag!r} is served but missing from the tag list ({len(listed)} tags)")


@pytest.mark.pull
@pytest.mark.rules(*MANIFEST_RULES)
def test_named_manifest_is_served_by_digest(
    client: RegistryClient, registry_config: RunConfig, manifest: str
) -> None:
    repo = _repository(registry_config)
    what = f"manifest {repo}@{manifest}"
    response = client.manifest_get(repo, manifest)
    judge(pull.MANIFEST_GET_200, response.status_code == 200,
          f"{response.describe()}, expected 200 for a named manifest")
    algorithm = algorithm_of(manifest)
    if algorithm in COMPUTABLE_ALGORITHMS:
        judge(pull.MANIFEST_GET_200, digest_bytes(response.content, algorithm) == manifest,
              f"{what}: the body hashes to {digest_bytes(response.content, algorithm)}: the registry MUST "
              "provide the expected manifest, the content of the digest")
    else:
        note(f"{what}: digest algorithm {algorithm!r} cannot be computed here; body not verified")
    _check_manifest_document(response, what)
    _check_digest_names(response, response.content, registry_config, what, pull.MANIFEST_DIGEST_HEADER)
    _check_head_matches(client.manifest_head(repo, manifest), response.content, registry_config, what)


@pytest.mark.pull
@pytest.mark.rules(pull.HEAD_200, pull.HEAD_CONTENT_LENGTH, pull.BLOB_GET_200)
def test_named_blob_is_served(client: RegistryClient, registry_config: RunConfig, blob: str) -> None:
    repo = _repository(registry_config)
    head = client.blob_head(repo, blob)
    judge(pull.HEAD_200, head.status_code == 200, f"{head.describe()}, expected 200 for a named blob")
    length = head.header("content-length")
    judge(pull.HEAD_CONTENT_LENGTH, length is not None and length.strip().isdigit(),
          f"{head.describe()}: Content-Length {length!r}")
    response = client.blob_get_digest(repo, blob)
    judge(pull.BLOB_GET_200, response.status_code == 200, f"{response.describe()}, expected 200")
    if algorithm_of(blob) in COMPUTABLE_ALGORITHMS:
        judge(pull.BLOB_GET_200, response.computed_digest == blob,
              f"{response.describe()}: the body hashes to {response.computed_digest}, not the blob's digest")
    else:
        note(f"blob {blob}: digest algorithm cannot be computed here; body not verified")
    judge(pull.HEAD_CONTENT_LENGTH, str(response.body_size) == (length or "").strip(),
          f"{response.describe()}: {response.body_size} bytes, HEAD announced {length}")


@pytest.mark.content_discovery
@pytest.mark.feature("referrers")
@pytest.mark.rules(referrers.REFERRERS_200, referrers.REFERRERS_CONTENT_TYPE, referrers.REFERRERS_INDEX_BODY,
                   read_only.READ_ONLY_REFERRERS_NAMED, general.CATEGORY_CLAIM)
def test_named_subject_lists_its_referrers(
    client: RegistryClient, registry_config: RunConfig, subject: str
) -> None:
    repo = _repository(registry_config)
    response = client.referrers(repo, subject)
    if response.status_code == 404:
        unsupported(f"referrers of {subject}: {response.describe()}: the registry has no referrers API (a "
                    "registry with it MUST NOT answer 404; clients use the referrers tag schema)")
    judge(referrers.REFERRERS_200, response.status_code == 200,
          f"{response.describe()}, expected 200 from the referrers API")
    judge(referrers.REFERRERS_CONTENT_TYPE, response.content_type == OCI_INDEX,
          f"{response.describe()}: Content-Type {response.header('content-type')!r}, expected {OCI_INDEX}")
    document = json_document(response, "referrers list", rule=referrers.REFERRERS_INDEX_BODY)
    check_schema(document, "referrers", "referrers list", rule=referrers.REFERRERS_INDEX_BODY)
    judge(read_only.READ_ONLY_REFERRERS_NAMED, bool(document.get("manifests")),
          f"referrers of {subject}: empty list, but the subject was named as having referrers")
