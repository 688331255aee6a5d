"""Rules of the referrers API and its fallback (end-12a, end-12b).

spec.md sections "Listing Referrers", "Pushing Manifests with Subject", "Unavailable Referrers API",
"Referrers Tag Schema" and "Enabling the Referrers API".

The API is optional (added in 1.1): a registry without it answers 404, which is "not supported" (the checks
end unsupported) and makes the referrers tag schema the client's duty. The MUSTs bind a registry that has
the API: 200 with an image index of the referrers (`Content-Type` the index type), 400 for an invalid digest,
never 404, the descriptor fields (`artifactType`, annotations), every newly pushed image manifest with a
subject listed, `Link` pages, `OCI-Filters-Applied` when a filter was applied, and `OCI-Subject` on the push
of an image manifest with a subject. Filtering is a SHOULD. What each descriptor is ("of an image manifest
or index ... with a `subject` field that specifies the value of `<digest>`") has no keyword: a descriptor of
anything else is a contested reading (advice by default), and so is a referrer still listed right after
its accepted (202) delete. `OCI-Subject` from a registry WITHOUT the API is bound by no sentence but misleads
clients into skipping the tag schema (docker/hub-feedback#2372): contested, advice by default.

Without the API, the tag schema's index is the clients' ("Maintaining the content of this tag is the
responsibility of clients"): what binds the registry there is storing, serving and listing it like any
manifest (the manifest and tag rules, `test_referrers_fallback.py`); an index a registry writes under the tag
itself is held to a sentence without keyword (tag-schema-registry-maintained).
"""

from __future__ import annotations

from conformance.ledger.documents import DESCRIPTOR, HARNESS, IMAGE_INDEX, RFC8288, SPEC
from conformance.ledger.model import Keyword, Reference, Rule, Sentence, SpecVersion

_LIST = "listing-referrers"
_SUBJECT = "pushing-manifests-with-subject"
_BODY = "Upon success, the response MUST be a JSON body with an image index containing a list of descriptors."

REFERRERS_200 = Rule(
    "referrers-200", SPEC, _LIST, Keyword.MUST,
    "Assuming a repository is found, this request MUST return a `200 OK` response code.",
    position="Binds a registry with the referrers API (the API is optional: a 404 to the capability probe, "
    "for a manifest the registry serves, means it is not supported and the referrers checks end "
    "unsupported).",
)
REFERRERS_NO_404 = Rule(
    "referrers-no-404", SPEC, _LIST, Keyword.MUST_NOT,
    "If the registry supports the referrers API, the registry MUST NOT return a `404 Not Found` to a "
    "referrers API requests.",
    position="Once the registry answered the API with 200 (the probe), every later 404 of it fails, also for "
    "a subject that does not exist.",
)
REFERRERS_INVALID_400 = Rule(
    "referrers-invalid-400", SPEC, _LIST, Keyword.MUST,
    "If the request is invalid, such as a `<digest>` with an invalid syntax, a `400 Bad Request` MUST be "
    "returned.",
    position="Invalid syntax includes an encoded part that breaks its registered algorithm's pattern "
    "(`sha256:` needs 64 lower-case hex digits, image-spec descriptor.md MUST), as well as a string without "
    "`algorithm:`. A 5xx is no 400 and fails too.",
)
REFERRERS_INDEX_BODY = Rule(
    "referrers-index-body", SPEC, _LIST, Keyword.MUST, _BODY,
    position="The body MUST parse as JSON and be a valid image index whose entries are descriptors of image "
    "manifests or indexes (schemas/must/referrers.json).",
)
REFERRERS_CONTENT_TYPE = Rule(
    "referrers-content-type", SPEC, _LIST, Keyword.MUST,
    "The `Content-Type` header MUST be set to `application/vnd.oci.image.index.v1+json`.",
    position="The media type decides; parameters after it (`; charset=utf-8`) are noted.",
)
REFERRERS_EACH_DESCRIPTOR = Rule(
    "referrers-each-descriptor", SPEC, _LIST, Keyword.MUST, _BODY,
    contested=True,
    position="The next sentence says, without a keyword, which descriptors: 'Each descriptor is of an image "
    "manifest or index in the same `<name>` namespace with a `subject` field that specifies the value of "
    "`<digest>`.' By default a descriptor of anything else (a manifest without that subject, one of another "
    "repository, a referrer deleted by an accepted delete, whose 202 means 'accepted for processing') is "
    "advice; the strict reading makes the MUST body that list and fails it.",
)
REFERRERS_INDEX_REFERRERS_LISTED = Rule(
    "referrers-index-referrers-listed", SPEC, _LIST, Keyword.NONE,
    "Each descriptor is of an image manifest or index in the same `<name>` namespace with a `subject` field "
    "that specifies the value of `<digest>`.",
    position="An image manifest with a subject MUST be listed (referrers-include-new), but that MUST names "
    "image manifests only: an image index with a subject that is not listed is advice.",
)
REFERRERS_DESCRIPTOR_VALUES = Rule(
    "referrers-descriptor-values", DESCRIPTOR, "properties", Keyword.REQUIRED,
    "`mediaType` ... This REQUIRED property contains the media type of the referenced content. ... `size` "
    "... This REQUIRED property specifies the size, in bytes, of the raw content.",
    position="The registry writes each descriptor of the referrers index: its mediaType and size are those "
    "of the referrer it describes (the digest names it).",
)
REFERRERS_ARTIFACT_TYPE = Rule(
    "referrers-artifact-type", SPEC, _LIST, Keyword.MUST,
    "The descriptors MUST include an `artifactType` field that is set to the value of the `artifactType` in "
    "the image manifest or index, if present.",
)
REFERRERS_ARTIFACT_TYPE_FROM_CONFIG = Rule(
    "referrers-artifact-type-from-config", SPEC, _LIST, Keyword.MUST,
    "If the `artifactType` is empty or missing in the image manifest, the value of `artifactType` MUST be "
    "set to the config descriptor `mediaType` value.",
)
REFERRERS_INDEX_ARTIFACT_TYPE_OMITTED = Rule(
    "referrers-index-artifact-type-omitted", SPEC, _LIST, Keyword.MUST,
    "If the `artifactType` is empty or missing in an index, the `artifactType` MUST be omitted.",
)
REFERRERS_ANNOTATIONS = Rule(
    "referrers-annotations", SPEC, _LIST, Keyword.MUST,
    "The descriptors MUST include annotations from the image manifest or index.",
    position="Every annotation of the referrer, with its value (an empty string included); more annotations "
    "on the descriptor are allowed.",
)
REFERRERS_EMPTY = Rule(
    "referrers-empty", SPEC, _LIST, Keyword.MUST,
    "If a query results in no matching referrers, an empty manifest list MUST be returned.",
)
REFERRERS_INDEX_MEDIA_TYPE = Rule(
    "referrers-index-media-type", IMAGE_INDEX, "image-index-property-descriptions", Keyword.SHOULD,
    "This property SHOULD be used and remain compatible with earlier versions of this specification and with "
    "other similar external formats.",
    position="The registry writes the referrers index, so the image index's SHOULD on `mediaType` binds it; "
    "the other SHOULDs of the index schema concern annotations copied from the referrers (the pusher's).",
)
REFERRERS_LINK_REQUIRED = Rule(
    "referrers-link-required", SPEC, _LIST, Keyword.MUST,
    "A `Link` header MUST be included in the response when the descriptor list cannot be returned in a "
    "single manifest.",
    unchecked="from outside, a list cut short without a Link is a list that misses referrers, which "
    "referrers-include-new judges",
)
REFERRERS_PAGES_DIFFERENT = Rule(
    "referrers-pages-different", SPEC, _LIST, Keyword.NONE,
    "Each response is an image index with different descriptors in the `manifests` field.",
    position="No keyword: a descriptor listed twice (on one page or across Link pages) is advice.",
)
REFERRERS_LINK_FORMAT = Rule(
    "referrers-link-format", SPEC, _LIST, Keyword.MUST,
    "The `Link` header MUST be set according to RFC5988 with the Relation Type `rel=\"next\"`.",
    main=Sentence(Keyword.MUST, "The `Link` header MUST be set according to RFC 5988 with the Relation Type "
                                "`rel=\"next\"`."),
    refers_to=Reference(RFC8288, "section-3", "Link = #link-value; link-value = \"<\" URI-Reference \">\" "
                                              "*( OWS \";\" OWS link-param )"),
    position="A Link that does not parse, or a rel=\"next\" chain that loops or never ends, breaks it.",
)
REFERRERS_FILTERING = Rule(
    "referrers-filtering", SPEC, _LIST, Keyword.SHOULD,
    "The registry SHOULD support filtering on `artifactType`.",
    position="An answer to ?artifactType= without `OCI-Filters-Applied: artifactType` is unfiltered: a "
    "warning (its unfiltered list is still judged).",
)
REFERRERS_FILTER_HEADER = Rule(
    "referrers-filter-header", SPEC, _LIST, Keyword.MUST,
    "If filtering is requested and applied, the response MUST include a header `OCI-Filters-Applied: "
    "artifactType` denoting that an `artifactType` filter was applied.",
    position="A filtered answer (only the asked type listed, the others left out) without the header breaks "
    "it, and so does the header on an answer that still lists other artifact types (it denotes a filter "
    "that was not applied).",
)
REFERRERS_FILTERS_LIST = Rule(
    "referrers-filters-list", SPEC, _LIST, Keyword.MUST,
    "If multiple filters are applied, the header MUST contain a comma separated list of applied filters.",
    unchecked="the spec defines a single filter (artifactType); the header is read as a comma separated list",
)
REFERRERS_FALLBACK_CLIENT = Rule(
    "referrers-fallback-client", SPEC, _LIST, Keyword.MUST,
    "If the referrers API returns a 404, the client MUST fallback to pulling the referrers tag schema.",
    unchecked="binds clients; a registry's 404 to the API only tells the client to fall back",
)
REFERRERS_TAG_RESPONSE = Rule(
    "referrers-tag-response", SPEC, _LIST, Keyword.SHOULD,
    "The response SHOULD be an image index with the same content that would be expected from the referrers "
    "API.",
    unchecked="the tag schema's index is written by clients ('Maintaining the content of this tag is the "
    "responsibility of clients'); the registry stores and serves it like any manifest, which "
    "test_referrers_fallback.py judges by the rules of pushing and pulling manifests; a registry that writes "
    "the tag itself is held to tag-schema-registry-maintained (no keyword)",
)
SUBJECT_HEADER = Rule(
    "subject-header", SPEC, _SUBJECT, Keyword.MUST,
    "When processing a request for an image manifest with the `subject` field, a registry implementation "
    "that supports the referrers API MUST respond with the response header `OCI-Subject: <subject digest>`",
)
SUBJECT_HEADER_WITHOUT_API = Rule(
    "subject-header-without-api", SPEC, _SUBJECT, Keyword.MUST,
    "When processing a request for an image manifest with the `subject` field, a registry implementation "
    "that supports the referrers API MUST respond with the response header `OCI-Subject: <subject digest>`",
    contested=True,
    position="The sentence binds registries with the referrers API only; no sentence forbids the header "
    "elsewhere. But the header tells the client that 'the registry processed the request's subject', so a "
    "client skips the referrers tag schema and, without the API, the reference is lost (Docker Hub, "
    "docker/hub-feedback#2372). By default OCI-Subject from a registry without the API is advice; the strict "
    "reading takes the header as the API's promise and fails it. The same holds for an index with a subject.",
)
SUBJECT_HEADER_FOR_INDEX = Rule(
    "subject-header-for-index", HARNESS, "", Keyword.NONE,
    "A registry with the referrers API acknowledges an image index pushed with a subject with OCI-Subject, "
    "as it must for an image manifest; otherwise clients also maintain the referrers tag schema for it.",
)
SUBJECT_CLIENT_FALLBACK = Rule(
    "subject-client-fallback", SPEC, _SUBJECT, Keyword.MUST,
    "When pushing a manifest with the `subject` field and the `OCI-Subject` header was not set, the client "
    "MUST:",
    unchecked="binds clients (the referrers tag schema steps)",
)
UNAVAILABLE_API_CLIENT = Rule(
    "unavailable-api-client", SPEC, "unavailable-referrers-api", Keyword.MUST,
    "A client querying the referrers API and receiving a `404 Not Found` MUST fallback to using an image "
    "index pushed to a tag described by the referrers tag schema.",
    unchecked="binds clients",
)
TAG_SCHEMA_NAME = Rule(
    "tag-schema-name", SPEC, "referrers-tag-schema", Keyword.MUST,
    "The Referrers Tag associated with a Content Digest MUST match the Truncated Algorithm, a `-` character, "
    "and the Truncated Encoded section, with any characters not allowed by `<tag-or-digest>` tags replaced "
    "with `-`.",
    since=SpecVersion.MAIN,
    unchecked="binds clients (how the tag is named); the suite names its tag-schema tag this way",
)
TAG_SCHEMA_CLIENTS_MAINTAIN = Rule(
    "tag-schema-clients-maintain", SPEC, "referrers-tag-schema", Keyword.NONE,
    "Maintaining the content of this tag is the responsibility of clients pushing and deleting image "
    "manifests that contain a `subject` field.",
    unchecked="binds clients; the registry's part is storing and serving the tag like any other, which "
    "test_referrers_fallback.py judges by the rules of pushing and pulling manifests",
)
TAG_SCHEMA_REGISTRY_MAINTAINED = Rule(
    "tag-schema-registry-maintained", SPEC, "referrers-tag-schema", Keyword.NONE,
    "This tag should return an image index matching the expected response of the referrers API.",
    position="The 'should' is lower case (no RFC 2119 keyword), and the tag's content is the clients' duty "
    "('Maintaining the content of this tag is the responsibility of clients'), so a registry without the "
    "API that writes the referrers tag itself does more than the spec asks and no keyword binds what it "
    "writes: an index that is no valid image index, or misses a pushed referrer or one of its descriptor "
    "fields (the API's artifactType and annotations rules), is advice. A client that saw no OCI-Subject "
    "still pulls the tag and appends what is missing.",
)
REFERRERS_INCLUDE_PREEXISTING = Rule(
    "referrers-include-preexisting", SPEC, "enabling-the-referrers-api", Keyword.MUST,
    "Registries MUST include preexisting image manifests that are listed in an image index tagged with the "
    "referrers tag schema and have a valid `subject` field in the referrers API response.",
    unchecked="needs the registry before and after its API was enabled; a run sees only one of them",
)
REFERRERS_INCLUDE_ALL_PREEXISTING = Rule(
    "referrers-include-all-preexisting", SPEC, "enabling-the-referrers-api", Keyword.MAY,
    "Registries MAY include all preexisting image manifests with a `subject` field in the referrers API "
    "response.",
    unchecked="a MAY about content from before the API was enabled",
)
REFERRERS_INCLUDE_NEW = Rule(
    "referrers-include-new", SPEC, "enabling-the-referrers-api", Keyword.MUST,
    "After the referrers API is enabled, Registries MUST include all newly pushed image manifests with a "
    "valid `subject` field in the referrers API response.",
    position="Every image manifest the check pushed with the subject (after the API answered 200) is listed, "
    "across all Link pages; with an artifactType filter applied, every one of that type.",
)
