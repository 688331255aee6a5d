"""The on/off switches of a conformance run: the official suite's four categories and the optional features.

A check belongs to a category through its marker (`@pytest.mark.push`) and depends on a feature through
`@pytest.mark.feature("referrers")`; `conformance.options` turns flags and OCI_* variables into their values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CATEGORIES = ("pull", "push", "content_discovery", "content_management")

SwitchKind = Literal["category", "feature"]


@dataclass(frozen=True)
class Switch:
    """One on/off switch: a category of checks or an optional feature, with its OCI_* equivalents.

    A check belongs to a category through its marker (`@pytest.mark.push`) and depends on a feature
    through `@pytest.mark.feature("referrers")`. A switched-off check is skipped as "disabled: ...".
    `env` variables are ANDed: any of them explicitly false switches the feature off. `parents` are
    other switches that, when off, switch this one off too (`--no-delete` covers every delete).
    """

    name: str
    kind: SwitchKind
    help: str
    env: tuple[str, ...] = ()
    default: bool = True
    parents: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        """The command-line flag: `--no-<name>` for default-on switches, `--with-<name>` for opt-in ones."""
        prefix = "--no-" if self.default else "--with-"
        return prefix + self.name.replace("_", "-")

    @property
    def dest(self) -> str:
        """The pytest option destination holding this switch's command-line value."""
        return "registry_switch_" + self.name


SWITCHES: tuple[Switch, ...] = (
    # The official suite's four categories.
    Switch("pull", "category", "skip the pull category", ("OCI_API_PULL", "OCI_TEST_PULL")),
    Switch("push", "category", "skip the push category and every check that writes",
           ("OCI_API_PUSH", "OCI_TEST_PUSH")),
    Switch("content_discovery", "category", "skip the content-discovery category (tag list, referrers)",
           ("OCI_TEST_CONTENT_DISCOVERY",)),
    Switch("content_management", "category", "skip the content-management category (deletes)",
           ("OCI_TEST_CONTENT_MANAGEMENT",)),
    # Optional APIs.
    Switch("ping", "feature", "skip GET /v2/ checks", ("OCI_API_PING",)),
    Switch("tags_list", "feature", "skip tag listing checks", ("OCI_API_TAGS_LIST",)),
    Switch("referrers", "feature", "skip referrers API checks (and the OCI-Subject expectation)",
           ("OCI_API_REFERRER",)),
    Switch("delete", "feature", "skip every delete check (blobs, manifests, tags)"),
    Switch("blob_delete", "feature", "skip blob delete checks", ("OCI_API_BLOBS_DELETE",),
           parents=("delete",)),
    Switch("manifest_delete", "feature", "skip manifest delete checks", ("OCI_API_MANIFESTS_DELETE",),
           parents=("delete",)),
    Switch("tag_delete", "feature", "skip tag delete checks", ("OCI_API_TAGS_DELETE",), parents=("delete",)),
    Switch("atomic_delete", "feature", "do not expect a 404 right after a delete",
           ("OCI_API_BLOBS_ATOMIC", "OCI_API_MANIFESTS_ATOMIC", "OCI_API_TAGS_ATOMIC"), parents=("delete",)),
    Switch("mount", "feature", "skip cross-repository mount checks"),
    Switch("mount_anonymous", "feature", "skip mount-without-from checks", ("OCI_API_BLOBS_MOUNT_ANONYMOUS",),
           parents=("mount",)),
    Switch("upload_cancel", "feature", "skip upload-session cancel checks", ("OCI_API_BLOBS_UPLOAD_CANCEL",)),
    Switch("tag_param", "feature", "skip PUT manifests/<digest>?tag= checks",
           ("OCI_API_MANIFESTS_TAG_PARAM",)),
    Switch("digest_header", "feature", "do not require Docker-Content-Digest on responses",
           ("OCI_API_BLOBS_DIGEST_HEADER", "OCI_API_MANIFESTS_DIGEST_HEADER")),
    Switch("auth", "feature", "skip authentication checks"),
    # Content kinds (the official OCI_DATA_* sets).
    Switch("sha512", "feature", "skip sha512 content", ("OCI_DATA_SHA512",)),
    Switch("index", "feature", "skip image index content", ("OCI_DATA_INDEX",)),
    Switch("nested_index", "feature", "skip index-of-index content", ("OCI_DATA_INDEX_LIST",),
           parents=("index",)),
    Switch("artifact", "feature", "skip artifact manifests", ("OCI_DATA_ARTIFACT",)),
    Switch("artifact_index", "feature", "skip artifact indexes", ("OCI_DATA_ARTIFACT_LIST",),
           parents=("artifact",)),
    Switch("subject", "feature", "skip manifests with a subject", ("OCI_DATA_SUBJECT",)),
    Switch("subject_index", "feature", "skip indexes with a subject", ("OCI_DATA_SUBJECT_LIST",),
           parents=("subject",)),
    Switch("subject_missing", "feature", "skip manifests whose subject does not exist",
           ("OCI_DATA_SUBJECT_MISSING",), parents=("subject",)),
    Switch("data_field", "feature", "skip descriptors with a data field", ("OCI_DATA_DATA_FIELD",)),
    Switch("nondistributable", "feature", "skip non-distributable / foreign layers",
           ("OCI_DATA_NONDISTRIBUTABLE",)),
    Switch("custom_fields", "feature", "skip documents with unknown fields", ("OCI_DATA_CUSTOM_FIELDS",)),
    Switch("empty_layers", "feature", "skip manifests with layers: []", ("OCI_DATA_NO_LAYERS",)),
    Switch("empty_blob", "feature", "skip the zero-byte blob", ("OCI_DATA_EMPTY_BLOB",)),
    Switch("large_manifest", "feature", "skip the ~4 MB manifest"),
    Switch("docker_formats", "feature", "skip Docker schema 2 / manifest list content"),
    Switch("sparse", "feature",
           "check manifests referencing unpushed content (a MANIFEST_BLOB_UNKNOWN refusal is advice)",
           ("OCI_DATA_SPARSE",), default=False),
)
SWITCHES_BY_NAME: dict[str, Switch] = {switch.name: switch for switch in SWITCHES}
