"""The plan: what each record addresses, sessions chained, sizes, recorded statuses turned into intents."""

from __future__ import annotations

import hashlib
from pathlib import Path

from load.content import ContentPool
from load.replay import formats
from load.replay.plan import Plan, build_plan
from load.replay.records import Record, finish
from load.replay.share import seed_steps, share_of
from load.replay.synthetic import ContentStore, make_manifest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "replay"


def plan_of(name: str, auth: bool = False) -> Plan:
    return build_plan(formats.load_trace(FIXTURES / name).records, namespace="replay/t", auth=auth)


def test_upload_session_is_one_chain_with_the_recorded_bytes() -> None:
    plan = plan_of("combined.log")
    post = next(s for s in plan.steps if s.method == "POST")
    chain = [plan.steps[p] for p in plan.chains[post.chain]]
    assert [s.method for s in chain] == ["POST", "PATCH", "PUT"]
    patch, put = chain[1], chain[2]
    assert patch.body_range == (0, 65536) and put.body_range == (65536, 65536)
    assert put.finish_blob == "b:sha256:" + "4" * 64 and plan.blob_sizes[put.finish_blob] == 65536


def test_recorded_404s_address_missing_things_and_401s_depend_on_auth() -> None:
    plan = plan_of("combined.log")
    missing = [s for s in plan.steps if s.recorded == 404]
    assert {s.intent for s in missing} == {"missing"} and len(missing) == 3
    assert all(s.ref_kind in ("missing-tag", "missing-digest") for s in missing)
    records = finish([Record(0.0, "GET", "/v2/a/manifests/v1", 401),
                      Record(1.0, "GET", "/v2/a/manifests/v1", 200)])
    without = build_plan(records, namespace="n", auth=False).steps[0]
    assert (without.intent, without.reproducible) == ("normal", False)
    assert build_plan(records, namespace="n", auth=True).steps[0].intent == "anonymous"


def test_orphan_session_gets_an_added_post_and_ibm_upload_a_fresh_blob() -> None:
    plan = plan_of("ibm_trace.json")
    put = next(s for s in plan.steps if s.method == "PUT" and s.kind == "upload")
    assert put.finish_blob == f"u:{put.chain}" and plan.blob_sizes[put.finish_blob] == 131072
    orphan = finish([Record(0.0, "PATCH", "/v2/a/blobs/uploads/x1", 202, request_size=10),
                     Record(0.5, "PUT", "/v2/a/blobs/uploads/x1", 201, request_size=0)])
    steps = build_plan(orphan, namespace="n").steps
    added = [s for s in steps if s.added]
    assert len(added) == 1 and added[0].method == "POST"


def test_manifest_version_seeded_is_the_one_first_read() -> None:
    records = finish([Record(0.0, "GET", "/v2/a/manifests/v1", 200, size=900),
                      Record(1.0, "PUT", "/v2/a/manifests/v1", 201, request_size=1100),
                      Record(2.0, "GET", "/v2/a/manifests/v1", 200, size=1100)])
    plan = build_plan(records, namespace="n")
    assert [key for _, key, _ in plan.seed_manifests] == ["m:n/a:v1:0"]
    assert plan.manifest_sizes == {"m:n/a:v1:0": 900, "m:n/a:v1:1": 1100}
    pool = ContentPool(1024 * 1024)
    store = ContentStore(pool, plan.blob_sizes, plan.manifest_sizes)
    assert store.manifest("m:n/a:v1:0").size == 900 and store.manifest("m:n/a:v1:1").size == 1100


def test_synthetic_content_is_deterministic_and_exact() -> None:
    pool = ContentPool(1024 * 1024)
    specs = {"b:x": 3 * 1024 * 1024 + 7, "b:y": 3 * 1024 * 1024 + 7, "b:z": 5, "b:e": 0}
    one, two = ContentStore(pool, specs, {}), ContentStore(ContentPool(1024 * 1024), specs, {})
    for key, size in specs.items():
        data = one.blob(key).to_bytes()
        assert len(data) == size and one.blob(key).digest == two.blob(key).digest
        assert one.blob(key).digest == "sha256:" + hashlib.sha256(data).hexdigest()
    assert one.blob("b:x").digest != one.blob("b:y").digest
    assert make_manifest("k", 10, one.base_layer).size > 10  # below the smallest document: smallest one


def test_shares_partition_the_trace() -> None:
    plan = plan_of("combined.log")
    shares = [share_of(plan, index, 2) for index in range(2)]
    assert sorted(id(s) for share in shares for s in share.steps) == sorted(id(s) for s in plan.steps)
    store = ContentStore(ContentPool(1024 * 1024), plan.blob_sizes, plan.manifest_sizes)
    pairs = list(seed_steps(plan, store))
    assert pairs[0][1].method == "POST" and pairs[-1][1].method == "PUT"


def test_a_read_of_a_tag_its_client_put_in_the_same_second_runs_after_the_put() -> None:
    plan = plan_of("combined.log")  # 13:55:40: the client PUTs manifests/latest, then GETs it
    put = next(s for s in plan.steps if s.method == "PUT" and s.kind == "manifest")
    get = next(s for s in plan.steps if s.method == "GET" and s.kind == "manifest" and s.ref == put.ref)
    chain = plan.chains[put.chain]
    assert get.chain == put.chain and chain.index(plan.steps.index(get)) > chain.index(plan.steps.index(put))
    records = finish([Record(0.0, "PUT", "/v2/a/manifests/v1", 201, request_size=500, client="c1"),
                      Record(0.0, "GET", "/v2/a/manifests/v1", 200, size=500, client="c2"),
                      Record(1.0, "GET", "/v2/a/manifests/v1", 200, size=500, client="c1")])
    steps = build_plan(records, namespace="n").steps
    assert len({step.chain for step in steps}) == 3  # another client, or a later moment: not chained
