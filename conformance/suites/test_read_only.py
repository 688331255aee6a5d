"""Read-only checks: content the user names in a registry that forbids pushes (the official OCI_RO_DATA_*).

With `--registry-read-only` (or `--no-push`) nothing is written; these checks read what the user says
exists in the namespace repository (`--registry-namespace` / OCI_REPO1):

- tags (`--registry-ro-tags` / OCI_RO_DATA_TAGS): `GET` and `HEAD /v2/<repo>/manifests/<tag>` answer
  200 (end-3); the body is a JSON document valid against the schema of its `Content-Type` when we have
  one; `Docker-Content-Digest` names the bytes; HEAD has no body and the same length and digest; the tag
  is in the tag list (end-8a, walking `Link` pages);
- manifests (`--registry-ro-manifests`): `GET`/`HEAD` by digest answer 200 and the bytes hash to that
  digest (the registry MUST serve exactly the stored content);
- blobs (`--registry-ro-blobs`): `HEAD` answers 200 with `Content-Length`, `GET` streams bytes that hash
  to the digest, as many as announced (end-2);
- referrers (`--registry-ro-referrers`, subject digests): `GET /v2/<repo>/referrers/<digest>` answers 200
  with an OCI image index (end-12a); since the user says referrers exist, an empty list is a warning.

Unlike the official suite, bodies are verified (digests recomputed, JSON validated). With nothing named,
each check is reported as disabled. They also run in a normal run when content is named.
"""

from __future__ import annotations

import pytest

import schemas
from conformance.checks.documents import check_schema, json_document, walk_pages
from conformance.client import RegistryClient, Response
from conformance.options import ReadOnlyData, RunConfig
from conformance.session import STATE_KEY
from conformance.spec.digests import COMPUTABLE_ALGORITHMS, algorithm_of, digest_bytes
from conformance.spec.media_types import OCI_INDEX
from conformance.verdicts import DISABLED_PREFIX, must, note, should

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


def _check_digest_names(response: Response, content: bytes, config: RunConfig, what: str, ref: str) -> None:
    """`Docker-Content-Digest`, when present (required unless switched off), names `content`."""
    __tracebackhide__ = True
    value = response.content_digest
    if value is None:
        must(not config.enabled("digest_header"), f"{what}: {response.describe()} carries no "
             "Docker-Content-Digest header", ref=ref)
        note(f"{what}: no Docker-Content-Digest (requirement switched off)")
        return
    algorithm = algorithm_of(value.strip())
    if algorithm not in COMPUTABLE_ALGORITHMS:
        note(f"{what}: Docker-Content-Digest {value} uses {algorithm!r}, which the harness cannot compute")
        return
    must(digest_bytes(content, algorithm) == value.strip(),
         f"{what}: Docker-Content-Digest {value} does not match the body "
         f"({digest_bytes(content, algorithm)})", ref=ref)


def _check_manifest_document(response: Response, what: str) -> None:
    """The manifest body is JSON, valid against the schema of its Content-Type when we have one."""
    __tracebackhide__ = True
    document = json_document(response, what, ref="spec.md#pulling-manifests")
    media_type = response.content_type or ""
    if schemas.name_for_media_type(media_type) is None:
        note(f"{what}: Content-Type {media_type!r} has no schema here; the document was not validated")
        return
    check_schema(document, media_type, what, ref="spec.md#pulling-manifests")


def _check_head_matches(head: Response, body: bytes, config: RunConfig, what: str) -> None:
    __tracebackhide__ = True
    ref = "spec.md#checking-if-content-exists-in-the-registry"
    must(head.status_code == 200, f"{head.describe()}, expected 200", ref=ref)
    must(not head.content, f"{head.describe()} returned a body to HEAD", ref=ref)
    length = head.header("content-length")
    must(length is not None and length.strip() == str(len(body)),
         f"{head.describe()}: Content-Length {length!r}, the GET body has {len(body)} bytes", ref=ref)
    _check_digest_names(head, body, config, what, ref)


@pytest.mark.spec("end-3", "end-8a", "spec.md#pulling-manifests")
@pytest.mark.level("MUST")
@pytest.mark.pull
def test_named_tag_is_served_and_listed(client: RegistryClient, registry_config: RunConfig, tag: str) -> None:
    repo = _repository(registry_config)
    what = f"manifest {repo}:{tag}"
    response = client.manifest_get(repo, tag)
    must(response.status_code == 200, f"{response.describe()}, expected 200 for a named tag", ref="end-3")
    _check_manifest_document(response, what)
    _check_digest_names(response, response.content, registry_config, what, "spec.md#pulling-manifests")
    _check_head_matches(client.manifest_head(repo, tag), response.content, registry_config, what)
    if not registry_config.enabled("tags_list"):
        note(f"tag list not checked ({registry_config.off_reason('tags_list')})")
        return
    first = client.tags_list(repo)
    must(first.status_code == 200, f"{first.describe()}, expected 200 for a repository with tags",
         ref="end-8a")
    listed = [name for page in walk_pages(client, first, "tag list", ref="end-8a")
              for name in (json_document(page, "tag list", ref="end-8a").get("tags") or [])]
    must(tag in listed, f"tag {tag!r} is served but missing from the tag list ({len(listed)} tags)",
         ref="spec.md#listing-tags")


@pytest.mark.spec("end-3", "spec.md#pulling-manifests")
@pytest.mark.level("MUST")
@pytest.mark.pull
def test_named_manifest_is_served_by_digest(
    client: RegistryClient, registry_config: RunConfig, manifest: str
) -> None:
    repo = _repository(registry_config)
    what = f"manifest {repo}@{manifest}"
    response = client.manifest_get(repo, manifest)
    must(response.status_code == 200, f"{response.describe()}, expected 200 for a named manifest",
         ref="end-3")
    algorithm = algorithm_of(manifest)
    if algorithm in COMPUTABLE_ALGORITHMS:
        must(digest_bytes(response.content, algorithm) == manifest,
             f"{what}: the body hashes to {digest_bytes(response.content, algorithm)}: the registry MUST "
             "serve exactly the content of the digest", ref="spec.md#pulling-manifests")
    else:
        note(f"{what}: digest algorithm {algorithm!r} cannot be computed here; body not verified")
    _check_manifest_document(response, what)
    _check_digest_names(response, response.content, registry_config, what, "spec.md#pulling-manifests")
    _check_head_matches(client.manifest_head(repo, manifest), response.content, registry_config, what)


@pytest.mark.spec("end-2", "spec.md#pulling-blobs")
@pytest.mark.level("MUST")
@pytest.mark.pull
def test_named_blob_is_served(client: RegistryClient, registry_config: RunConfig, blob: str) -> None:
    repo = _repository(registry_config)
    head = client.blob_head(repo, blob)
    must(head.status_code == 200, f"{head.describe()}, expected 200 for a named blob",
         ref="spec.md#checking-if-content-exists-in-the-registry")
    length = head.header("content-length")
    must(length is not None and length.strip().isdigit(), f"{head.describe()}: Content-Length {length!r}",
         ref="spec.md#checking-if-content-exists-in-the-registry")
    response = client.blob_get_digest(repo, blob)
    must(response.status_code == 200, f"{response.describe()}, expected 200", ref="end-2")
    if algorithm_of(blob) in COMPUTABLE_ALGORITHMS:
        must(response.computed_digest == blob,
             f"{response.describe()}: the body hashes to {response.computed_digest}",
             ref="spec.md#pulling-blobs")
    else:
        note(f"blob {blob}: digest algorithm cannot be computed here; body not verified")
    must(str(response.body_size) == (length or "").strip(),
         f"{response.describe()}: {response.body_size} bytes, HEAD announced {length}", ref="end-2")


@pytest.mark.spec("end-12a", "spec.md#listing-referrers")
@pytest.mark.level("MUST")
@pytest.mark.content_discovery
@pytest.mark.feature("referrers")
def test_named_subject_lists_its_referrers(
    client: RegistryClient, registry_config: RunConfig, subject: str
) -> None:
    repo = _repository(registry_config)
    response = client.referrers(repo, subject)
    must(response.status_code == 200, f"{response.describe()}, expected 200 from the referrers API",
         ref="spec.md#listing-referrers")
    must(response.content_type == OCI_INDEX,
         f"{response.describe()}: Content-Type {response.header('content-type')!r}, expected {OCI_INDEX}",
         ref="spec.md#listing-referrers")
    document = json_document(response, "referrers list", ref="spec.md#listing-referrers")
    check_schema(document, "referrers", "referrers list", ref="spec.md#listing-referrers")
    should(bool(document.get("manifests")), f"referrers of {subject}: empty list, but the subject was named "
           "as having referrers", ref="spec.md#listing-referrers")
