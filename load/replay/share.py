"""A worker's share of a plan, and the seeding requests of a plan for clients that send one at a time.

`share_of(plan, index, count)`: chains numbered in time order, the share holding those whose number
modulo `count` is `index` (an upload session never splits), with only the content and the seeding its
steps need. Every chain is in exactly one share, so the shares' totals add up to the trace's.

`seed_steps(plan, store)` yields (step, request) pairs that push what the plan's reads need: each blob by
POST then PUT ?digest=, the shared config and base layer into every repository that holds manifests, then
the manifests. The caller sends each request and stores the answer's Location in `step.ref` before asking
for the next pair (a PUT goes to the Location its POST was answered with). Seeding steps have index -2.
"""

from __future__ import annotations

from collections.abc import Iterator

from load.content import BlobBody
from load.replay.exchange import Outgoing
from load.replay.plan import Plan, Step
from load.replay.synthetic import BASE_LAYER_KEY, ContentStore

SEED_INDEX = -2
OCTET = {"Content-Type": "application/octet-stream"}


def share_of(plan: Plan, index: int, count: int) -> Plan:
    """The part of `plan` that worker `index` of `count` replays."""
    if count <= 1:
        return plan
    mine = {chain for chain in range(len(plan.chains)) if chain % count == index}
    share = Plan(namespace=plan.namespace, size_sources=plan.size_sources)
    for chain in sorted(mine):
        positions = []
        for position in plan.chains[chain]:
            positions.append(len(share.steps))
            share.steps.append(plan.steps[position])
        share.chains.append(positions)
    share.seed_blobs = {k: v & mine for k, v in plan.seed_blobs.items() if v & mine}
    share.seed_manifests = {k: v & mine for k, v in plan.seed_manifests.items() if v & mine}
    share.manifest_repos = {k: v & mine for k, v in plan.manifest_repos.items() if v & mine}
    for (repo, _, _), chains in share.seed_manifests.items():  # a seeded manifest needs its repo's base blobs
        share.manifest_repos.setdefault(repo, set()).update(chains)
    blobs = {key for _, key in share.seed_blobs}
    manifests = {key for _, key, _ in share.seed_manifests}
    for step in share.steps:
        blobs.update(k for k in (step.body_blob, step.finish_blob) if k)
        if step.ref_kind == "blob" and step.ref:
            blobs.add(step.ref)
        if step.mount and step.mount[2]:
            blobs.add(step.mount[0])
        if step.ref_kind == "manifest" and step.ref:
            manifests.add(step.ref)
        if step.body_manifest:
            manifests.add(step.body_manifest)
    share.blob_sizes = {key: plan.blob_sizes[key] for key in blobs}
    share.manifest_sizes = {key: plan.manifest_sizes.get(key) for key in manifests}
    return share


def _upload(repo: str, digest: str, body: BlobBody | bytes) -> Iterator[tuple[Step, Outgoing]]:
    post = Step(SEED_INDEX, 0.0, "POST", "upload", 202, repo=repo)
    yield post, Outgoing("POST", f"/v2/{repo}/blobs/uploads/", {}, None, True, False)
    location = post.ref or ""
    separator = "&" if "?" in location else "?"
    put = Step(SEED_INDEX, 0.0, "PUT", "upload", 201, repo=repo)
    yield put, Outgoing("PUT", f"{location}{separator}digest={digest}", dict(OCTET), body, True, False)


def seed_steps(plan: Plan, store: ContentStore) -> Iterator[tuple[Step, Outgoing]]:
    """The seeding requests of `plan`, in order (see the module docstring)."""
    base = {(repo, BASE_LAYER_KEY) for repo in plan.manifest_repos}
    for repo, key in sorted(set(plan.seed_blobs) | base):
        blob = store.blob(key)
        yield from _upload(repo, blob.digest, blob.body() if blob.size else b"")
    for repo in sorted(plan.manifest_repos):
        yield from _upload(repo, store.config_digest, store.config)
    for repo, key, tag in sorted(plan.seed_manifests, key=lambda item: (item[0], item[1], item[2] or "")):
        document = store.manifest(key)
        step = Step(SEED_INDEX, 0.0, "PUT", "manifest", 201, repo=repo)
        yield step, Outgoing("PUT", f"/v2/{repo}/manifests/{tag or document.digest}",
                             {"Content-Type": document.media_type}, document.data, True, False)
