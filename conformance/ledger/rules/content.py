"""Rules of stored content: the image-spec sentences that bind storing implementations, and Docker's.

A registry stores manifests, so the image-spec sentences addressed to "implementations storing or copying"
content, or to implementations that must "support" a media type, bind it; the sentences addressed to the
author of a document (`schemaVersion` MUST be 2, `layers` SHOULD have an entry, annotation key syntax) or to
whoever runs or verifies content (digest and size checks on retrieval, platform choice) do not, and are not
listed. media-types.md has no sentence for a registry. Docker's manifest-v2-2.md has no RFC 2119 keyword at
all: what it says the registry "will" do is advice here.

Where a refusal of a pushed manifest breaks one of these rules, the format checks
(`suites/test_manifest_formats.py`) name the rule per case.
"""

from __future__ import annotations

from conformance.ledger.documents import (
    ANNOTATIONS,
    DESCRIPTOR,
    DOCKER_MANIFEST_V2_2,
    IMAGE_CONFIG,
    IMAGE_CONSIDERATIONS,
    IMAGE_INDEX,
    IMAGE_MANIFEST,
)
from conformance.ledger.model import Keyword, Rule

# image-spec manifest.md ----------------------------------------------------------------------------
IMAGE_MEDIA_TYPES_SUPPORTED = Rule(
    "image-media-types-supported", IMAGE_MANIFEST, "image-manifest-property-descriptions", Keyword.MUST,
    "Implementations MUST support at least the following media types: "
    "`application/vnd.oci.image.config.v1+json` ... Implementations MUST support at least the following "
    "media types: `application/vnd.oci.image.layer.v1.tar` `application/vnd.oci.image.layer.v1.tar+gzip`",
    position="For a registry, supporting a config or layer media type means storing (and serving back) a "
    "manifest that uses it: refusing a valid image manifest with an OCI config and tar or tar+gzip layers "
    "whose blobs were all pushed breaks this sentence.",
)
NONDISTRIBUTABLE_MEDIA_TYPES_SUPPORTED = Rule(
    "nondistributable-media-types-supported", IMAGE_MANIFEST,
    "image-manifest-property-descriptions", Keyword.MUST,
    "Implementations MUST support at least the following media types: ... "
    "`application/vnd.oci.image.layer.nondistributable.v1.tar` (deprecation notice) "
    "`application/vnd.oci.image.layer.nondistributable.v1.tar+gzip` (deprecation notice)",
    contested=True,
    position="Non-distributable layers are \"typically downloaded directly from a distributor but never "
    "uploaded\" and \"Implementations are expected to support preexisting images with non-distributable "
    "layers\" (layer.md), so a strict reading fails a registry that refuses a manifest because such a "
    "layer's blob is absent. spec.md, written for registries, allows refusing a manifest whose descriptors "
    "reference blobs the registry does not hold (missing-references-may-reject) provided the errors name "
    "MANIFEST_BLOB_UNKNOWN: by default that refusal is advice and the check ends unsupported; "
    "--registry-strict-readings makes it a failure.",
)
ZSTD_LAYERS_SUPPORTED = Rule(
    "zstd-layers-supported", IMAGE_MANIFEST, "image-manifest-property-descriptions", Keyword.SHOULD,
    "Implementations SHOULD also support the following media types: "
    "`application/vnd.oci.image.layer.v1.tar+zstd`",
)
UNKNOWN_ARTIFACT_TYPE = Rule(
    "unknown-artifact-type", IMAGE_MANIFEST, "image-manifest-property-descriptions", Keyword.MUST_NOT,
    "Implementations storing or copying image manifests MUST NOT error on encountering an `artifactType` "
    "that is unknown to the implementation.",
)
UNKNOWN_CONFIG_MEDIA_TYPE = Rule(
    "unknown-config-media-type", IMAGE_MANIFEST, "image-manifest-property-descriptions", Keyword.MUST_NOT,
    "Implementations storing or copying image manifests MUST NOT error on encountering a value that is "
    "unknown to the implementation.",
    position="The sentence is about `config.mediaType`; the check pushes a config of arbitrary bytes under "
    "an unknown type, so a registry that parsed it (\"MUST NOT attempt to parse the referenced content\") "
    "would refuse it too.",
)
CONFIG_NOT_PARSED = Rule(
    "config-not-parsed", IMAGE_MANIFEST, "image-manifest-property-descriptions", Keyword.MUST_NOT,
    "Implementations MUST NOT attempt to parse the referenced content if this media type is unknown and "
    "instead consider the referenced content as arbitrary binary data (e.g.: as "
    "`application/octet-stream`).",
    unchecked="a registry's parsing is visible only as a refusal of the manifest, which "
    "unknown-config-media-type judges (the artifact-unknown-config-type case pushes a config of random "
    "bytes)",
)
UNKNOWN_LAYER_MEDIA_TYPE = Rule(
    "unknown-layer-media-type", IMAGE_MANIFEST, "image-manifest-property-descriptions", Keyword.MUST_NOT,
    "Implementations storing or copying image manifests MUST NOT error on encountering a `mediaType` that "
    "is unknown to the implementation.",
)

# image-spec image-index.md -------------------------------------------------------------------------
INDEX_MANIFEST_TYPE_SUPPORTED = Rule(
    "index-manifest-type-supported", IMAGE_INDEX, "image-index-property-descriptions", Keyword.MUST,
    "Implementations MUST support at least the following media types: "
    "`application/vnd.oci.image.manifest.v1+json`",
    position="Supporting means storing an index whose entries are image manifests (pushed before it): "
    "refusing such a valid index breaks this sentence.",
)
INDEX_NESTED_SUPPORTED = Rule(
    "index-nested-supported", IMAGE_INDEX, "image-index-property-descriptions", Keyword.SHOULD,
    "Also, implementations SHOULD support the following media types: "
    "`application/vnd.oci.image.index.v1+json` (nested index)",
)
INDEX_UNKNOWN_MEDIA_TYPE = Rule(
    "index-unknown-media-type", IMAGE_INDEX, "image-index-property-descriptions", Keyword.MUST_NOT,
    "An encountered `mediaType` that is unknown to the implementation MUST NOT generate an error.",
    position="The check's index lists, beside an image manifest, an entry of an unknown media type whose "
    "content was pushed as a blob: nothing it references is missing, so a refusal is an error on the type.",
)
INDEX_UNKNOWN_ENTRY_AS_MISSING = Rule(
    "index-unknown-entry-as-missing", IMAGE_INDEX, "image-index-property-descriptions", Keyword.MUST_NOT,
    "An encountered `mediaType` that is unknown to the implementation MUST NOT generate an error.",
    contested=True,
    position="Content of an unknown type cannot be pushed through the manifest endpoint, so the check "
    "pushes it as a blob. A registry that looks index entries up among the repository's manifests does not "
    "find it and refuses the index as referencing a manifest that does not exist, naming "
    "MANIFEST_BLOB_UNKNOWN (distribution 3.1.1 does): spec.md allows that refusal "
    "(missing-references-may-reject), so by default it is advice and the check ends unsupported; "
    "--registry-strict-readings reads it as an error on the unknown type and fails it. A refusal that names "
    "no MANIFEST_BLOB_UNKNOWN fails on index-unknown-media-type.",
)
INDEX_MAY_BE_EMPTY = Rule(
    "index-may-be-empty", IMAGE_INDEX, "image-index-property-descriptions", Keyword.MAY,
    "While this property MUST be present, the size of the array MAY be zero.",
    position="The MAY allows an index without entries; no sentence makes a registry store one, so a refusal "
    "is advice and the check ends unsupported.",
)
INDEX_FIRST_MATCH = Rule(
    "index-first-match", IMAGE_INDEX, "image-index-property-descriptions", Keyword.SHOULD,
    "If multiple manifests match a client or runtime's requirements, the first matching entry SHOULD be "
    "used.",
    unchecked="binds whoever picks a platform; a registry picks one only in the Docker-era fallback by tag, "
    "where the client states no platform (the negotiation checks note which child was served)",
)

# image-spec descriptor.md, annotations.md, config.md, considerations.md ---------------------------
DATA_NOT_POPULATED = Rule(
    "data-not-populated", DESCRIPTOR, "embedded-content", Keyword.MUST_NOT,
    "For example, a registry MUST NOT arbitrarily populate `data` fields within uploaded manifests, as that "
    "would modify the content identifier of those manifests.",
)
UNKNOWN_ANNOTATION_KEY = Rule(
    "unknown-annotation-key", ANNOTATIONS, "rules", Keyword.MUST_NOT,
    "Consumers MUST NOT generate an error if they encounter an unknown annotation key.",
)
CONFIG_EXTRA_FIELDS = Rule(
    "config-extra-fields", IMAGE_CONFIG, "properties", Keyword.MUST_NOT,
    "Any extra fields in the Image JSON struct are considered implementation specific and MUST NOT generate "
    "an error by any implementations which are unable to interpret them.",
)
CONTENT_NOT_MODIFIED = Rule(
    "content-not-modified", IMAGE_CONSIDERATIONS, "extensibility", Keyword.MUST_NOT,
    "Implementations storing or copying content MUST NOT modify or alter the content in a way that would "
    "change the digest of the content.",
    position="The section names \"A registry implementing the distribution specification\" as such an "
    "implementation: a manifest served by tag or digest must hash to the digest it was pushed with.",
)
UNKNOWN_PROPERTY = Rule(
    "unknown-property", IMAGE_CONSIDERATIONS, "extensibility", Keyword.SHOULD_NOT,
    "Implementations processing content SHOULD NOT generate an error if they encounter an unknown property "
    "in a known media type.",
    position="A registry that validates a pushed manifest processes it: refusing a manifest or index only "
    "because it carries fields the image spec does not define breaks this sentence (a warning: the sentence "
    "is a SHOULD NOT).",
)

# distribution manifest-v2-2.md (no RFC 2119 keywords) ---------------------------------------------
DOCKER_FORMATS_ACCEPTED = Rule(
    "docker-formats-accepted", DOCKER_MANIFEST_V2_2, "backward-compatibility", Keyword.NONE,
    "The registry will continue to accept uploads of manifests in both the old and new formats.",
    position="The OCI spec requires no Docker media type: a registry refusing Docker schema 2 manifests or "
    "manifest lists with a 4xx does not support them (unsupported, with this advice). One that accepts them "
    "must store and serve them exactly, like any manifest.",
)
DOCKER_FOREIGN_LAYERS = Rule(
    "docker-foreign-layers", DOCKER_MANIFEST_V2_2, "image-manifest-field-descriptions", Keyword.NONE,
    "Layers of type `application/vnd.docker.image.rootfs.foreign.diff.tar.gzip` may be pulled from a remote "
    "location but they should never be pushed.",
    position="A foreign layer's blob is never pushed, so a registry MAY refuse the manifest as referencing "
    "a blob it does not hold (missing-references-may-reject, then MANIFEST_BLOB_UNKNOWN); no sentence "
    "requires accepting it.",
)
