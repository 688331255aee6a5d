"""Property checks (Hypothesis): rules that hold for ANY content, chunking, tag or referrer set.

Each check draws many examples and sends each to the registry under test, with a fresh client, repository,
transcript and cleanup per example (`conformance.checks.properties`); a failure is shrunk to a minimal
example whose HTTP transcript is the check's report. The rules: any valid manifest (OCI image, artifact,
index, Docker schema 2) and any blob (sha256, and sha512 where supported) round-trips byte for byte with
the right `Docker-Content-Digest` (spec.md "Pulling manifests", "Pulling blobs", content addressing); any
chunk plan (1-byte chunks, final chunk in the PUT or not) yields the same blob, with `Range: 0-<end>` exactly
after each PATCH (spec.md "Pushing a blob in chunks"), and a chunk at the wrong offset MUST get 416; for
any tag set and any `n`, walking pages via `Link` (or `last`) yields exactly the tags in spec order, each
page at most `n` long (spec.md "Listing Tags"); the referrers of any set of artifacts, filtered by any
`artifactType`, equal the model's answer (spec.md "Listing Referrers"). Optional features absent in an
allowed way (sha512 refused with 400, no referrers API, no filtering) are recorded, never failed. Bad input
(any invalid name, tag or digest) has its own property checks: `test_properties_bad_input.py`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import reject as reject_example
from hypothesis import strategies as st

from conformance.capabilities import Capabilities
from conformance.checks.documents import (
    check_error_response,
    check_manifest_pushed,
    check_manifest_served,
    check_own_document,
    is_spec_order,
)
from conformance.checks.example_uploads import CHUNK_PLAN_RULES, SHA512_BLOB_RULES

# Helpers imported `as _name` keep the names the checks' bodies call them by: an unchanged body keeps its
# Hypothesis example-database key (a digest of the check's source), so saved failing examples still replay.
from conformance.checks.example_uploads import push_blobs_and_children as _push_blobs_and_children
from conformance.checks.example_uploads import push_sha512_blobs as _sha512_blobs_pushed
from conformance.checks.example_uploads import send_chunk_plan as _send_plan
from conformance.checks.example_uploads import sha512_refused as _sha512_refused
from conformance.checks.listings import WALK_RULES as TAG_WALK_RULES
from conformance.checks.listings import referrer_entries as _referrer_entries
from conformance.checks.listings import walk_tag_pages as _walk_tags
from conformance.checks.properties import PropertyRun, property_client_fixture  # noqa: F401 (fixture)
from conformance.checks.settle import referrers_showing as _referrers_showing
from conformance.checks.transfers import (
    CREATED_RULES,
    SESSION_RULES,
    check_blob_created,
    check_digest_header,
    check_session_progress,
    chunk_min_length,
    content_range,
    session_location,
)
from conformance.client import RegistryClient
from conformance.content import Manifest, image_manifest, random_blob
from conformance.hypothesis_profiles import check_settings
from conformance.ledger.model import Rule
from conformance.ledger.rules import general, grammar, pull, uploads
from conformance.ledger.rules import manifests as manifest_rules
from conformance.ledger.rules import referrers as referrer_rules
from conformance.ledger.rules import tags as tag_rules
from conformance.options import RunConfig
from conformance.spec.digests import algorithm_of
from conformance.spec.media_types import OCI_INDEX
from conformance.strategies import (
    BuiltDocument,
    ChunkPlan,
    artifact_types,
    artifacts,
    chunk_plans,
    manifests,
    tag_sets,
)
from conformance.verdicts import judge, note, unsupported

pytestmark = [pytest.mark.properties, pytest.mark.writes]

MANIFEST_SERVED_RULES = (
    pull.MANIFEST_GET_200, pull.HEAD_200, pull.HEAD_CONTENT_LENGTH, manifest_rules.MANIFEST_EXACT_BYTES,
    pull.MANIFEST_DIGEST_HEADER, pull.HEAD_DIGEST_HEADER, pull.MANIFEST_CONTENT_TYPE,
    pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH, pull.MANIFEST_CONTENT_TYPE_NO_PARAMETERS,
)
"""What `check_manifest_served` judges of a GET and a HEAD."""
MANIFEST_PUSHED_RULES = (manifest_rules.MANIFEST_PUT_201, manifest_rules.MANIFEST_PUT_DIGEST_HEADER,
                         manifest_rules.MANIFEST_PUT_DIGEST_HEADER_PRESENT)
"""What `check_manifest_pushed` judges."""


def _run(client: RegistryClient, config: RunConfig, capabilities: Capabilities, label: str,
         test: Callable[..., Any]) -> PropertyRun:
    return PropertyRun(client, config, capabilities, label, test)


# round trips ---------------------------------------------------------------------------------------
@pytest.mark.push
@pytest.mark.pull
@pytest.mark.rules(*MANIFEST_PUSHED_RULES, *MANIFEST_SERVED_RULES, *SHA512_BLOB_RULES,
                   grammar.SHA512_OPTIONAL, general.CATEGORY_CLAIM)
@check_settings(scale=1.0)
@given(built=manifests(algorithms=("sha256", "sha512")), by_tag=st.booleans(),
       tag=st.from_regex(r"\A[a-z0-9][a-z0-9._-]{0,20}\Z"))
@example(built=BuiltDocument(image_manifest(512, layer_size=8, algorithm="sha512"),
                             "image manifest (explicit example: sha512 throughout)"), by_tag=False, tag="x")
def test_any_valid_manifest_round_trips_byte_identically(
    *, property_client: RegistryClient, registry_config: RunConfig, capabilities: Capabilities,
    built: BuiltDocument, by_tag: bool, tag: str,
) -> None:
    manifest = built.manifest
    check_own_document(manifest)
    sha512 = manifest.algorithm == "sha512"
    if sha512:
        if not registry_config.enabled("sha512") or capabilities.supported("sha512") is False:
            reject_example()
        by_tag = False  # pushed by tag, a registry names a manifest by its canonical (sha256) digest
    run = _run(property_client, registry_config, capabilities, "manifest-round-trip",
               test_any_valid_manifest_round_trips_byte_identically)
    with run.example(manifest=built, pushed_by="tag " + tag if by_tag else "digest") as example:
        if sha512:
            if not _sha512_blobs_pushed(example, manifest, run):
                return
        else:
            _push_blobs_and_children(example, example.repo, manifest)
        reference = tag if by_tag else manifest.digest
        pushed = example.client.manifest_put(example.repo, reference, manifest.data, manifest.media_type)
        if sha512 and pushed.status_code == 400:
            run.note_once(f"a manifest PUT by its sha512 digest answered 400 (sha512 manifests unsupported, "
                          f"allowed): {pushed.text[:120]}")
            return
        check_manifest_pushed(pushed, manifest)
        example.cleanup.manifest(example.repo, manifest.digest)
        for served_by in {manifest.digest, reference}:
            check_manifest_served(example.client.manifest_get(example.repo, served_by), manifest,
                                  registry_config)
            check_manifest_served(example.client.manifest_head(example.repo, served_by), manifest,
                                  registry_config)


@pytest.mark.push
@pytest.mark.pull
@pytest.mark.rules(uploads.UPLOAD_POST_202, uploads.UPLOAD_PUT_201, *CREATED_RULES, pull.BLOB_GET_200,
                   pull.BLOB_DIGEST_HEADER, pull.BLOB_DIGEST_HEADER_MATCHES_BODY, pull.HEAD_200,
                   pull.HEAD_CONTENT_LENGTH, pull.HEAD_DIGEST_HEADER, grammar.SHA256_PREFERRED,
                   grammar.SHA512_OPTIONAL, uploads.DIGEST_INVALID_400)
@check_settings(scale=1.0)
@given(size=st.one_of(st.integers(0, 4), st.integers(0, 70_000)), seed=st.integers(0, 2**32 - 1),
       algorithm=st.sampled_from(["sha256", "sha512"]))
def test_any_blob_round_trips_byte_identically_with_its_digest(
    *, property_client: RegistryClient, registry_config: RunConfig, capabilities: Capabilities,
    size: int, seed: int, algorithm: str,
) -> None:
    sha512_off = not registry_config.enabled("sha512") or capabilities.supported("sha512") is False
    if algorithm == "sha512" and sha512_off:
        algorithm = "sha256"
    blob = random_blob(seed, size, algorithm=algorithm)
    run = _run(property_client, registry_config, capabilities, "blob-round-trip",
               test_any_blob_round_trips_byte_identically_with_its_digest)
    with run.example(size=size, algorithm=algorithm, digest=blob.digest) as example:
        client, repo = example.client, example.repo
        params = {"digest-algorithm": algorithm} if algorithm != "sha256" else None
        started = client.upload_start(repo, params=params)
        if algorithm != "sha256" and _sha512_refused(started, run, "POST ?digest-algorithm=sha512"):
            return
        location = session_location(started, what="POST /blobs/uploads/")
        finished = client.upload_put(location, blob.digest, blob.data)
        if algorithm != "sha256" and _sha512_refused(finished, run, "the closing PUT of a sha512 blob"):
            return
        example.cleanup.blob(repo, blob.digest)
        check_blob_created(client, blob, finished, what=f"upload of {size} bytes ({algorithm})")
        if algorithm != "sha256":
            capabilities.record("sha512", True, "a sha512 blob round-tripped", source="test_properties")
        pulled = client.blob_get(repo, blob.digest)
        judge(pull.BLOB_GET_200, pulled.status_code == 200 and pulled.content == blob.data,
              f"{pulled.describe()}: {len(pulled.content)} bytes, expected 200 with the {size} uploaded")
        required = registry_config.enabled("digest_header")
        check_digest_header(pulled, blob.data, blob.digest, required=required, what="blob GET")
        served = pulled.content_digest
        if algorithm == "sha256" and served is not None:
            judge(grammar.SHA256_PREFERRED, algorithm_of(served.strip()) == "sha256",
                  f"{pulled.describe()}: Docker-Content-Digest {served} names sha256 content in another "
                  "algorithm")
        head = client.blob_head(repo, blob.digest)
        judge(pull.HEAD_200, head.status_code == 200, f"{head.describe()}, expected 200")
        length = head.header("content-length")
        judge(pull.HEAD_CONTENT_LENGTH, length is not None and length.strip() == str(size),
              f"{head.describe()}: Content-Length {length!r}, expected {size}")
        check_digest_header(head, blob.data, blob.digest, required=required, what="blob HEAD",
                            rule=pull.HEAD_DIGEST_HEADER, value_rule=pull.HEAD_DIGEST_HEADER)


# chunked uploads -----------------------------------------------------------------------------------
@pytest.mark.push
@pytest.mark.uploads
@pytest.mark.rules(*CHUNK_PLAN_RULES, uploads.CHUNKED_CLOSE_201, *CREATED_RULES, pull.BLOB_GET_200)
@check_settings(scale=1.5)
@given(plan=chunk_plans(), seed=st.integers(0, 2**32 - 1))
def test_any_chunk_plan_yields_the_same_blob(
    *, property_client: RegistryClient, registry_config: RunConfig, capabilities: Capabilities,
    plan: ChunkPlan, seed: int,
) -> None:
    capabilities.require("chunked_upload")
    run = _run(property_client, registry_config, capabilities, "chunk-plan",
               test_any_chunk_plan_yields_the_same_blob)
    with run.example(plan=plan) as example:
        started = example.client.upload_start(example.repo)
        plan = plan.honouring(chunk_min_length(started))  # as drawn unless the POST advertises a minimum
        blob = random_blob(seed, plan.total)
        example.drawn.update(plan=plan, digest=blob.digest)
        finished = _send_plan(example, plan, blob, started)
        example.cleanup.blob(example.repo, blob.digest)
        check_blob_created(example.client, blob, finished, what=f"closing PUT of {plan}",
                           rule=uploads.CHUNKED_CLOSE_201)
        pulled = example.client.blob_get(example.repo, blob.digest)
        judge(pull.BLOB_GET_200, pulled.status_code == 200 and pulled.content == blob.data,
              f"GET {blob.digest} after {plan}: {pulled.describe()}, {len(pulled.content)} bytes "
              f"{'equal to' if pulled.content == blob.data else 'differing from'} the {blob.size} uploaded")


@pytest.mark.push
@pytest.mark.uploads
@pytest.mark.rules(*SESSION_RULES, uploads.CHUNK_OUT_OF_ORDER_416, general.ERROR_ENVELOPE,
                   general.ERROR_CODE_TABLE)
@check_settings(scale=0.75)
@given(plan=chunk_plans(max_chunks=3, max_chunk=64), shift=st.integers(-8, 8).filter(bool),
       seed=st.integers(0, 2**32 - 1))
def test_any_chunk_at_a_wrong_offset_gets_416(
    *, property_client: RegistryClient, registry_config: RunConfig, capabilities: Capabilities,
    plan: ChunkPlan, shift: int, seed: int,
) -> None:
    capabilities.require("chunked_upload")
    run = _run(property_client, registry_config, capabilities, "chunk-offset",
               test_any_chunk_at_a_wrong_offset_gets_416)
    with run.example(plan=plan) as example:
        client = example.client
        started = client.upload_start(example.repo)
        location = session_location(started, what="POST /blobs/uploads/")
        # every planned chunk is followed by the stray one, so all of them honour an advertised minimum
        plan = plan.honouring(chunk_min_length(started), last_too=True)
        stored = plan.total
        start = stored + shift
        if start < 0:
            start = stored + 1  # a gap instead of a negative offset
        blob = random_blob(seed, stored + 16)
        example.drawn.update(plan=plan, stray_chunk=content_range(start, 8))
        for chunk_start, length in plan.spans():
            patched = client.upload_patch(location, blob.data[chunk_start:chunk_start + length],
                                          content_range=content_range(chunk_start, length))
            location = check_session_progress(patched, chunk_start + length,
                                              what=f"PATCH {content_range(chunk_start, length)}")
        stray = client.upload_patch(location, blob.data[:8], content_range=content_range(start, 8))
        check_error_response(stray, (416,), (), f"PATCH with Content-Range {content_range(start, 8)} after "
                             f"{stored} bytes stored (out of order)",
                             status_rule=uploads.CHUNK_OUT_OF_ORDER_416)
        client.upload_cancel(location)


# tag listing ---------------------------------------------------------------------------------------
@pytest.mark.content_discovery
@pytest.mark.tags
@pytest.mark.feature("tags_list")
@pytest.mark.rules(*TAG_WALK_RULES, general.CATEGORY_CLAIM)
@check_settings(scale=1.0)
@given(tags=tag_sets(min_size=1, max_size=10), n=st.integers(1, 12), seed=st.integers(0, 2**16))
def test_any_tag_set_pages_into_exactly_the_sorted_tags(
    *, property_client: RegistryClient, registry_config: RunConfig, capabilities: Capabilities,
    tags: frozenset[str], n: int, seed: int,
) -> None:
    run = _run(property_client, registry_config, capabilities, "tag-pages",
               test_any_tag_set_pages_into_exactly_the_sorted_tags)

    def once(rule: Rule, condition: object, message: str) -> bool:
        return run.judge_once(rule, condition, "tag-pages", message)

    with run.example(tags=sorted(tags), n=n) as example:
        client, repo = example.client, example.repo
        image = image_manifest(seed, layer_size=8)
        _push_blobs_and_children(example, repo, image)
        order = sorted(tags)
        random.Random(seed).shuffle(order)
        for tag in order:
            client.push_manifest(repo, tag, image)
        example.cleanup.manifest(repo, image.digest)
        pages = _walk_tags(client, repo, n, tags, judge_with=once)
        listed = [tag for page in pages for tag in page]
        once(tag_rules.TAGS_LAST_AFTER, sorted(set(listed)) == sorted(tags),
             f"walking tags/list?n={n} gave {listed}, the repository has {sorted(tags)}")
        once(tag_rules.TAGS_LAST_AFTER, is_spec_order(listed),
             f"walking tags/list?n={n} gave {listed}: the pages together are in neither lexical nor "
             "ASCIIbetical order")


# referrers -----------------------------------------------------------------------------------------
REFERRERS_PROPERTY_RULES = (
    referrer_rules.REFERRERS_200, referrer_rules.REFERRERS_NO_404, referrer_rules.REFERRERS_CONTENT_TYPE,
    referrer_rules.REFERRERS_INDEX_BODY, referrer_rules.REFERRERS_LINK_FORMAT,
    referrer_rules.REFERRERS_INCLUDE_NEW, referrer_rules.REFERRERS_INDEX_REFERRERS_LISTED,
    referrer_rules.REFERRERS_EACH_DESCRIPTOR, referrer_rules.REFERRERS_DESCRIPTOR_VALUES,
    referrer_rules.REFERRERS_ARTIFACT_TYPE, referrer_rules.REFERRERS_ARTIFACT_TYPE_FROM_CONFIG,
    referrer_rules.REFERRERS_INDEX_ARTIFACT_TYPE_OMITTED, referrer_rules.REFERRERS_ANNOTATIONS,
    referrer_rules.REFERRERS_FILTERING, referrer_rules.REFERRERS_FILTER_HEADER,
)
"""What the referrers property judges (the listing helper's page rules included)."""


def _check_referrer_entry(entry: dict[str, Any], expected: Manifest) -> None:
    """One descriptor of the referrers list describes `expected` (the spec's descriptor fields)."""
    __tracebackhide__ = True
    rr = referrer_rules
    judge(rr.REFERRERS_DESCRIPTOR_VALUES,
          entry.get("mediaType") == expected.media_type and entry.get("size") == expected.size,
          f"referrers descriptor {entry} does not describe {expected.digest} (mediaType "
          f"{expected.media_type}, size {expected.size})")
    if expected.artifact_type is None:
        rule = rr.REFERRERS_INDEX_ARTIFACT_TYPE_OMITTED
    elif expected.document.get("artifactType"):
        rule = rr.REFERRERS_ARTIFACT_TYPE
    else:
        rule = rr.REFERRERS_ARTIFACT_TYPE_FROM_CONFIG
    judge(rule, entry.get("artifactType") == expected.artifact_type,
          f"referrers descriptor {entry}: artifactType {entry.get('artifactType')!r}, expected "
          f"{expected.artifact_type!r} for {expected.digest}")
    annotations = expected.document.get("annotations") or {}
    listed = entry.get("annotations") or {}
    missing = {key: value for key, value in annotations.items() if listed.get(key) != value}
    judge(rr.REFERRERS_ANNOTATIONS, not missing,
          f"referrers descriptor {entry} lacks the annotations {missing} of {expected.digest}")


@pytest.mark.content_discovery
@pytest.mark.referrers
@pytest.mark.feature("referrers")
@pytest.mark.rules(*REFERRERS_PROPERTY_RULES, general.CATEGORY_CLAIM)
@check_settings(scale=0.75)
@given(data=st.data(), count=st.integers(0, 5), artifact_type=st.none() | artifact_types())
def test_referrers_of_any_artifact_set_match_the_model(
    *, property_client: RegistryClient, registry_config: RunConfig, capabilities: Capabilities,
    referrers_supported: bool, data: st.DataObject, count: int, artifact_type: str | None,
) -> None:
    capabilities.require("referrers")
    if not referrers_supported:
        unsupported("referrers: the registry has no referrers API (404; clients use the referrers tag "
                    "schema)")
    rr = referrer_rules
    subject = image_manifest(data.draw(st.integers(0, 2**32 - 1), label="subject seed"), layer_size=8)
    referrers = [data.draw(artifacts(subject=subject), label=f"referrer {i}") for i in range(count)]
    run = _run(property_client, registry_config, capabilities, "referrers",
               test_referrers_of_any_artifact_set_match_the_model)
    with run.example(referrers=referrers, artifact_type_filter=artifact_type) as example:
        client, repo = example.client, example.repo
        _push_blobs_and_children(example, repo, subject)
        client.push_manifest(repo, None, subject)
        example.cleanup.manifest(repo, subject.digest)
        for built in referrers:
            _push_blobs_and_children(example, repo, built.manifest)
            client.push_manifest(repo, None, built.manifest)
            example.cleanup.manifest(repo, built.manifest.digest)
        pushed = [built.manifest.digest for built in referrers
                  if artifact_type in (None, built.manifest.artifact_type)]
        entries, applied = _referrer_entries(client, repo, subject.digest, artifact_type,
                                             shows=_referrers_showing(pushed))
        model = {built.manifest.digest: built.manifest for built in referrers}
        listed = sorted(str(entry.get("digest", "?")) for entry in entries)
        what = (f"referrers of {subject.digest} (artifactType={artifact_type}, filter "
                f"{'applied' if applied else 'not applied'})")
        if artifact_type is not None:
            matching = {digest: m for digest, m in model.items() if m.artifact_type == artifact_type}
            others = [digest for digest in listed if digest in model and digest not in matching]
            if applied:
                run.judge_once(rr.REFERRERS_FILTER_HEADER, not others, "filter-header",
                               f"{what}: OCI-Filters-Applied: artifactType, but other artifact types are "
                               f"listed: {others}")
                model = matching
            elif matching != model and set(listed) == set(matching):
                run.judge_once(rr.REFERRERS_FILTER_HEADER, False, "filter-header", f"{what}: the answer was "
                               "filtered but carries no OCI-Filters-Applied: artifactType")
                model = matching
            else:
                capabilities.record("referrers_filtering", False, "no OCI-Filters-Applied: artifactType",
                                    source="test_properties")
                run.judge_once(rr.REFERRERS_FILTERING, False, "filtering", "referrers?artifactType= without "
                               "OCI-Filters-Applied: the registry SHOULD support filtering by artifactType")
        missing = [digest for digest in sorted(model) if digest not in listed]
        images = [digest for digest in missing if model[digest].media_type != OCI_INDEX]
        judge(rr.REFERRERS_INCLUDE_NEW, not images,
              f"{what}: listed {listed}, the image manifests {images} pushed with the subject are missing")
        run.judge_once(rr.REFERRERS_INDEX_REFERRERS_LISTED, not [d for d in missing if d not in images],
                       "index-listed", f"{what}: listed {listed}, the indexes with the subject among "
                       f"{missing} are missing")
        extra = [digest for digest in listed if digest not in model]
        run.judge_once(rr.REFERRERS_EACH_DESCRIPTOR, not extra, "extra",
                       f"{what}: listed {extra}, which are no (matching) referrers of the subject")
        for entry in entries:
            expected = model.get(str(entry.get("digest")))
            if expected is not None:
                _check_referrer_entry(entry, expected)
        if not entries:
            note("an empty referrers list was checked")
