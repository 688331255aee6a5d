"""Checks of deletes: tags and manifests (`DELETE /v2/<name>/manifests/<ref>`, end-9), blobs (end-10).

What binds (spec.md "Content Management", `conformance.ledger.rules.deletes`): registries MAY disable
deletes (and may allow deletion only by manifest); a disabled delete MUST answer 400 or 405 (the check is
then unsupported; the table's code `UNSUPPORTED` is noted, not judged). A successful delete MUST answer 202.
A blob delete of a blob that does not exist MUST answer 404, and so MUST a manifest delete in a repository
that does not exist; a delete of an unknown manifest in an existing repository is named by no keyword
(the endpoint table: advice). What a delete does afterwards ("Once deleted, a `GET` ... will return a 404")
has no keyword, and the 202 means "accepted for processing": a deleted thing still served right after the
202 is contested (advice by default, a failure under `--registry-strict-readings`, a note with
`--no-atomic-delete`). After a tag delete the manifest stays pullable by digest and by its other tags (the
pull rules judge it; a manifest dropped with the tag is advice). A 5xx to a delete of something missing
breaks the 404 MUST where one names it, else departs from HTTP semantics (SHOULD on main). The tag list
after a tag delete is read until it no longer lists the deleted tag, within `--registry-settle-time`
(`conformance.checks.settle`).
"""

from __future__ import annotations

import pytest

from conformance.checks.documents import check_gone, check_manifest_served, error_codes, push_children
from conformance.checks.errors import check_refusal
from conformance.checks.settle import settle, tags_showing
from conformance.client import Response
from conformance.content import Blob, Manifest, image_manifest, random_blob
from conformance.fixtures import Workspace
from conformance.ledger.model import Rule
from conformance.ledger.rules import deletes, general, manifests, pull, tags
from conformance.spec.digests import digest_bytes
from conformance.verdicts import judge, note, unsupported

pytestmark = [pytest.mark.content_management, pytest.mark.deletes, pytest.mark.writes,
              pytest.mark.rules(general.ERROR_ENVELOPE, general.ERROR_CODE_SHAPE, general.ERROR_CODE_TABLE,
                                general.ERROR_MESSAGE)]

DISABLED = (400, 405)
ACCESS_POLICY = (401, 403)


def _accepted_or_unsupported(
    response: Response, feature: str, workspace: Workspace, *, success: Rule, disabled: Rule
) -> None:
    """202 (recorded as supported), or 400/405 (recorded as unsupported, the check ends unsupported).

    Any other refusal of content that exists breaks `disabled` (a registry that does not delete refuses
    only with 400 or 405); a 2xx other than 202 breaks `success`; 401/403 is access policy (unsupported).
    """
    status = response.status_code
    if status in DISABLED:
        codes = error_codes(response)
        note(f"{feature} refused with {status} {codes or ''} (UNSUPPORTED is the table's code)")
        workspace.capabilities.record(feature, False, f"DELETE answered {status} {codes or ''}".strip(),
                                      evidence=response.describe(), source="deletes")
        unsupported(f"{feature}: {response.describe()} (400/405: deletion disabled)")
    if status in ACCESS_POLICY:
        unsupported(f"{feature}: {response.describe()}: deleting is not allowed to these credentials")
    if 200 <= status < 300:
        judge(success, status == 202, f"{response.describe()}, expected 202 Accepted")
    else:
        judge(disabled, False, f"{response.describe()}: a delete of content that exists either succeeds "
              "(202) or, disabled, answers 400 or 405")
    workspace.capabilities.record(feature, True, f"DELETE answered {status}", evidence=response.describe(),
                                  source="deletes")


def _refused_or_unsupported(response: Response, feature: str) -> None:
    """A delete of something missing: 400/405 (deletes disabled) or 401/403 end the check unsupported."""
    if response.status_code in DISABLED:
        unsupported(f"{feature}: {response.describe()} (400/405: deletion disabled)")
    if response.status_code in ACCESS_POLICY:
        unsupported(f"{feature}: {response.describe()}: deleting is not allowed to these credentials")


def _push_image(workspace: Workspace, image: Manifest, names: list[str]) -> None:
    """`image` pushed (children first) under each of `names`; its manifest is registered for cleanup."""
    push_children(workspace.client, workspace.repo, image, workspace.cleanup)
    for name in names:
        workspace.client.push_manifest(workspace.repo, name, image)
    workspace.cleanup.manifest(workspace.repo, image.digest)


def _push_blob(workspace: Workspace, size: int) -> Blob:
    blob = random_blob(workspace.content, size)
    workspace.client.push_blob(workspace.repo, blob)
    workspace.cleanup.blob(workspace.repo, blob.digest)
    return blob


def _still_served(response: Response, image: Manifest, workspace: Workspace, what: str) -> None:
    """After a tag delete, `image` by digest or another tag: a 404 is advice, any other answer a pull."""
    if response.status_code == 404:
        judge(deletes.TAG_DELETE_KEEPS_THE_MANIFEST, False,
              f"{what}: {response.describe()} after deleting another tag of the manifest")
        return
    check_manifest_served(response, image, workspace.config)


def _check_tag_list(workspace: Workspace, doomed: str, kept: str) -> None:
    """The tag list after the delete: the kept tag listed (MUST), the deleted one gone (contested)."""
    config = workspace.config
    if not config.enabled("tags_list"):
        note(f"tag list not checked ({config.off_reason('tags_list')})")
        return
    client, repo = workspace.client, workspace.repo
    listed = settle("tags", "tags/list after a tag delete", lambda: client.tags_list(repo),
                    tags_showing([kept], [doomed]))
    if listed.status_code != 200:
        note(f"tags/list after a tag delete: {listed.describe()}; not judged here (the tag checks judge it)")
        return
    try:
        names = listed.json().get("tags") or []
    except ValueError:
        note(f"tags/list after a tag delete: {listed.describe()} is not JSON (the tag checks judge it)")
        return
    judge(tags.TAGS_LIST_FORMAT, kept in names,
          f"after deleting {doomed}, tags/list lists {names}, not the tag {kept} that was kept")
    if doomed not in names:
        return
    if not config.enabled("atomic_delete"):
        note(f"tags/list still lists {doomed} right after its delete (deletes declared non-atomic)")
        return
    judge(tags.TAGS_LIST_REFLECTS_DELETES, False, f"tags/list lists {names} right after {doomed} was deleted")


@pytest.mark.feature("tag_delete")
@pytest.mark.rules(deletes.TAG_DELETE_202, deletes.TAG_DELETE_DISABLED, deletes.TAG_DELETE_GONE,
                   deletes.TAG_DELETE_KEEPS_THE_MANIFEST, pull.MANIFEST_GET_200, pull.MANIFEST_DIGEST_HEADER,
                   pull.MANIFEST_CONTENT_TYPE, pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH,
                   pull.MANIFEST_CONTENT_TYPE_NO_PARAMETERS, manifests.MANIFEST_EXACT_BYTES,
                   tags.TAGS_LIST_FORMAT, tags.TAGS_LIST_REFLECTS_DELETES,
                   general.CATEGORY_CLAIM)
def test_tag_delete_removes_only_that_tag(workspace: Workspace) -> None:
    client, repo, config = workspace.client, workspace.repo, workspace.config
    workspace.capabilities.require("tag_delete")
    image = image_manifest(workspace.content, layer_size=32)
    doomed, kept = (f"{name}-{workspace.content.getrandbits(24):06x}" for name in ("doomed", "kept"))
    _push_image(workspace, image, [doomed, kept])
    workspace.cleanup.tag(repo, kept)
    _accepted_or_unsupported(client.manifest_delete(repo, doomed), "tag_delete", workspace,
                             success=deletes.TAG_DELETE_202, disabled=deletes.TAG_DELETE_DISABLED)
    check_gone(client.manifest_get(repo, doomed), config, "GET of the deleted tag",
               rule=deletes.TAG_DELETE_GONE)
    _still_served(client.manifest_get(repo, image.digest), image, workspace, "GET by digest")
    _still_served(client.manifest_get(repo, kept), image, workspace, f"GET of the other tag {kept}")
    _check_tag_list(workspace, doomed, kept)


@pytest.mark.feature("manifest_delete")
@pytest.mark.rules(deletes.MANIFEST_DELETE_202, deletes.MANIFEST_DELETE_DISABLED,
                   deletes.MANIFEST_DELETE_GONE, general.CATEGORY_CLAIM)
def test_manifest_delete_removes_the_digest_and_every_tag(workspace: Workspace) -> None:
    client, repo, config = workspace.client, workspace.repo, workspace.config
    workspace.capabilities.require("manifest_delete")
    image = image_manifest(workspace.content, layer_size=32)
    names = [f"gone{index}-{workspace.content.getrandbits(24):06x}" for index in range(2)]
    _push_image(workspace, image, names)
    _accepted_or_unsupported(client.manifest_delete(repo, image.digest), "manifest_delete", workspace,
                             success=deletes.MANIFEST_DELETE_202, disabled=deletes.MANIFEST_DELETE_DISABLED)
    gone = deletes.MANIFEST_DELETE_GONE
    check_gone(client.manifest_get(repo, image.digest), config, "GET by digest", rule=gone)
    check_gone(client.manifest_head(repo, image.digest), config, "HEAD by digest", rule=gone)
    for name in names:
        check_gone(client.manifest_get(repo, name), config, f"GET of tag {name} that pointed to it",
                   rule=gone)


@pytest.mark.feature("blob_delete")
@pytest.mark.rules(deletes.BLOB_DELETE_202, deletes.BLOB_DELETE_DISABLED, deletes.BLOB_DELETE_GONE,
                   general.CATEGORY_CLAIM)
def test_blob_delete_answers_202_and_the_blob_is_gone(workspace: Workspace) -> None:
    client, repo, config = workspace.client, workspace.repo, workspace.config
    workspace.capabilities.require("blob_delete")
    blob = _push_blob(workspace, 100)
    _accepted_or_unsupported(client.blob_delete(repo, blob.digest), "blob_delete", workspace,
                             success=deletes.BLOB_DELETE_202, disabled=deletes.BLOB_DELETE_DISABLED)
    check_gone(client.blob_head(repo, blob.digest), config, "HEAD of the deleted blob",
               rule=deletes.BLOB_DELETE_GONE)
    check_gone(client.blob_get(repo, blob.digest), config, "GET of the deleted blob",
               rule=deletes.BLOB_DELETE_GONE)


@pytest.mark.feature("manifest_delete")
@pytest.mark.rules(general.ENDPOINT_TABLE, general.SERVER_ERROR_FOR_CLIENT_ERROR, pull.MANIFEST_MISSING_CODE,
                   general.CATEGORY_CLAIM)
def test_delete_of_an_unknown_manifest_is_404(workspace: Workspace) -> None:
    workspace.capabilities.require("manifest_delete")
    _push_blob(workspace, 32)
    response = workspace.client.manifest_delete(workspace.repo, digest_bytes(workspace.content.randbytes(32)))
    _refused_or_unsupported(response, "manifest_delete")
    # no sentence with a keyword names the answer to a DELETE of an unknown manifest in an existing repository
    check_refusal(response, (404,), "DELETE of an unknown manifest", status_rule=general.ENDPOINT_TABLE,
                  codes=("MANIFEST_UNKNOWN",), code_rule=pull.MANIFEST_MISSING_CODE)


@pytest.mark.feature("blob_delete")
@pytest.mark.rules(deletes.BLOB_DELETE_NOT_FOUND_404, pull.BLOB_MISSING_CODE, general.CATEGORY_CLAIM)
def test_delete_of_an_unknown_blob_is_404(workspace: Workspace) -> None:
    workspace.capabilities.require("blob_delete")
    _push_blob(workspace, 32)
    response = workspace.client.blob_delete(workspace.repo, digest_bytes(workspace.content.randbytes(32)))
    _refused_or_unsupported(response, "blob_delete")
    rule = deletes.BLOB_DELETE_NOT_FOUND_404
    check_refusal(response, (404,), "DELETE of an unknown blob", status_rule=rule, server_error_rule=rule,
                  codes=("BLOB_UNKNOWN",), code_rule=pull.BLOB_MISSING_CODE)


@pytest.mark.feature("manifest_delete")
@pytest.mark.rules(deletes.MANIFEST_DELETE_NO_REPOSITORY_404, pull.REPOSITORY_MISSING_CODE)
def test_manifest_delete_in_a_missing_repository_is_404(workspace: Workspace) -> None:
    workspace.capabilities.require("manifest_delete")
    response = workspace.client.manifest_delete(f"{workspace.repo}/never-pushed",
                                                digest_bytes(workspace.content.randbytes(32)))
    _refused_or_unsupported(response, "manifest_delete")
    rule = deletes.MANIFEST_DELETE_NO_REPOSITORY_404
    check_refusal(response, (404,), "DELETE in a repository that does not exist", status_rule=rule,
                  server_error_rule=rule, codes=("NAME_UNKNOWN", "MANIFEST_UNKNOWN"),
                  code_rule=pull.REPOSITORY_MISSING_CODE)
