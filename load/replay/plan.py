"""The replay plan: every trace record as a step with what it addresses, what it sends, what it expects.

Mapping (deterministic from the trace):

- repositories: `<namespace>/<trace name>` when the trace name is a valid repository name, else
  `<namespace>/r<n>`; the namespace carries a run id, so a recorded 404 is never answered by content an
  earlier run left behind;
- every blob digest of the trace is one synthetic blob (`b:<digest>`) of the size its reads recorded;
  a pushed blob whose digest the trace does not show is `u:<chain>` of the size the upload recorded;
- every manifest reference is a sequence of versions (a tag moves with each recorded PUT); the version
  a reference has at its first successful read is seeded before the clock, so reads never depend on
  whether the replayed push finished in time; the recorded push still uploads its bytes;
- recorded 404s address things that never exist (a digest that is the hash of a name, a `missing-` tag,
  an unknown upload session, a `missing/` repository); recorded 401s are sent without credentials when
  the target requires them and are otherwise marked not reproducible (still sent, never faked);
- DELETEs get their own seeded victims, so they never remove what later reads need;
- a manifest read that the client of a manifest PUT of the same reference sent at the same recorded moment
  (logs keep whole seconds: the order within one is the log's) runs after that PUT, in its chain, so a
  registry that is rewriting the tag is not read mid-write by a request the client sent after it;
- upload sessions (POST, PATCHes, closing PUT) are one chain that runs in order; a session whose POST is
  not in the trace gets an added POST (reported as added, not as a trace request).

Statuses that cannot be provoked on purpose here (3xx, 400, 403, 405, 409, 416, 429, 5xx, ...) are sent
in their normal form and reported as not reproducible. Non-registry paths are skipped and reported.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field

from load.replay.records import Record, Route, classify, op_class, status_class

_NAME = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
_DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
DEFAULT_UPLOAD_SIZE = 1024 * 1024
DEFAULT_OBJECT_SIZE = 4096
VICTIM_SIZE = 1024


@dataclass
class Step:
    """One request of the replay (a trace record, or a POST the plan added)."""

    index: int
    due: float
    method: str
    kind: str
    recorded: int
    intent: str = "normal"  # normal | missing | anonymous | skip
    reproducible: bool = True
    note: str = ""
    repo: str | None = None
    ref_kind: str | None = None  # tag | manifest | blob | missing-tag | missing-digest | session
    ref: str | None = None
    body_blob: str | None = None
    body_range: tuple[int, int] | None = None
    body_manifest: str | None = None
    finish_blob: str | None = None  # whose digest goes into ?digest=
    mount: tuple[str, str, bool] | None = None  # (blob key, from repo, exists)
    expect_size: int | None = None
    recorded_request_size: int | None = None
    range: tuple[int, int] | None = None
    chain: int = -1
    added: bool = False

    @property
    def op(self) -> str:
        """Operation class, e.g. `blob GET`."""
        return f"{self.kind} {self.method}"

    @property
    def recorded_class(self) -> str:
        """Status class the trace recorded (`added` for an added step)."""
        return "added" if self.added else status_class(self.recorded)


@dataclass
class Plan:
    """Steps, chains, content specs and what to seed, for the whole trace."""

    steps: list[Step] = field(default_factory=list)
    chains: list[list[int]] = field(default_factory=list)
    blob_sizes: dict[str, int] = field(default_factory=dict)
    manifest_sizes: dict[str, int | None] = field(default_factory=dict)
    seed_blobs: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    seed_manifests: dict[tuple[str, str, str | None], set[int]] = field(default_factory=dict)
    manifest_repos: dict[str, set[int]] = field(default_factory=dict)
    size_sources: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    namespace: str = ""


def decide(record: Record, route: Route, auth: bool) -> tuple[str, bool, str]:
    """(intent, reproducible, note) for a record of `route`, the target requiring auth or not."""
    status = record.status
    if route.kind == "other":
        return "skip", False, "not a registry API path"
    if status == 401:
        return ("anonymous", True, "") if auth else ("normal", False, "401 but the target requires no auth")
    if status == 404:
        if route.kind in ("blob", "manifest") and record.method in ("GET", "HEAD", "DELETE"):
            return "missing", True, ""
        if route.kind == "tags" or (route.kind == "upload" and route.upload):
            return "missing", True, ""
        return "normal", False, f"404 on {record.method} {route.kind} cannot be provoked"
    if 200 <= status < 300:
        return "normal", True, ""
    return "normal", False, f"status {status} cannot be provoked here"


class _Builder:
    """Walks the records in time order and fills a Plan."""

    def __init__(self, namespace: str, auth: bool, upload_size: int, object_size: int) -> None:
        self.plan = Plan(namespace=namespace)
        self.auth = auth
        self.upload_size = upload_size
        self.object_size = object_size
        self.repos: dict[str, str] = {}
        self.read_sizes: dict[str, int] = {}
        self.versions: dict[tuple[str, str], int] = {}
        self.seeded_refs: set[tuple[str, str]] = set()
        self.sessions: dict[tuple[str, str], int] = {}
        self.pending: dict[str, list[tuple[str | None, int]]] = defaultdict(list)
        self.session_blob: dict[int, str] = {}
        self.last_put: dict[tuple[str, str], tuple[str | None, float, int]] = {}

    # ---- names ------------------------------------------------------------------------------------

    def repo(self, name: str) -> str:
        """The synthetic repository of a trace repository name."""
        mapped = self.repos.get(name)
        if mapped is None:
            lowered = name.lower().strip("/")
            keep = _NAME.fullmatch(lowered) and len(lowered) + len(self.plan.namespace) < 200
            mapped = f"{self.plan.namespace}/{lowered if keep else f'r{len(self.repos):05d}'}"
            self.repos[name] = mapped
        return mapped

    @staticmethod
    def tag(ref: str) -> str:
        """The tag sent for a trace tag (kept when valid)."""
        return ref if _TAG.fullmatch(ref) else "t" + hashlib.sha256(ref.encode()).hexdigest()[:20]

    # ---- steps and chains -------------------------------------------------------------------------

    def new_chain(self) -> int:
        self.plan.chains.append([])
        return len(self.plan.chains) - 1

    def attach(self, step: Step, chain: int | None = None) -> Step:
        step.chain = self.new_chain() if chain is None else chain
        self.plan.chains[step.chain].append(len(self.plan.steps))
        self.plan.steps.append(step)
        return step

    def need_blob(self, repo: str, key: str, chain: int) -> None:
        self.plan.seed_blobs.setdefault((repo, key), set()).add(chain)

    def need_manifest(self, repo: str, key: str, tag: str | None, chain: int) -> None:
        self.plan.seed_manifests.setdefault((repo, key, tag), set()).add(chain)
        self.plan.manifest_repos.setdefault(repo, set()).add(chain)
        self.plan.manifest_sizes.setdefault(key, None)

    def add(self, record: Record) -> None:
        """Plan one record."""
        route = classify(record.path)
        intent, reproducible, note = decide(record, route, self.auth)
        step = Step(record.index, record.t, record.method, route.kind, record.status, intent, reproducible,
                    note, recorded_request_size=record.request_size)
        if route.repo is not None:
            step.repo = self.repo(route.repo)
        if intent == "skip" or route.kind in ("base", "catalog", "other"):
            self.attach(step)
        elif route.kind == "tags":
            self.tags(step, record)
        elif route.kind == "manifest":
            self.manifest(step, record, route)
        elif route.kind in ("blob", "referrers"):
            self.blob(step, record, route)
        else:
            self.upload(step, record, route)

    def tags(self, step: Step, record: Record) -> None:
        assert step.repo is not None
        if step.intent == "missing":
            step.repo = f"{self.plan.namespace}/missing/{step.repo.rsplit('/', 1)[-1]}"
            self.attach(step)
            return
        self.attach(step)
        self.need_manifest(step.repo, f"m:{step.repo}:tags", "seed", step.chain)

    def manifest(self, step: Step, record: Record, route: Route) -> None:
        assert step.repo is not None and route.ref is not None
        ref = route.ref
        by_digest = bool(_DIGEST.fullmatch(ref)) and ":" in ref
        if step.intent == "missing":
            step.ref_kind, step.ref = ("missing-digest", f"m:{step.repo}:{ref}") if by_digest else \
                ("missing-tag", "missing-" + hashlib.sha256(f"{step.repo}:{ref}".encode()).hexdigest()[:16])
            self.attach(step)
            return
        if record.method == "DELETE":
            key = f"del:{record.index}"
            victim_tag = None if by_digest else f"del-{record.index}"
            step.ref_kind, step.ref = ("manifest", key) if by_digest else ("tag", victim_tag)
            self.attach(step)
            self.need_manifest(step.repo, key, victim_tag, step.chain)
            return
        version = self.versions.get((step.repo, ref), 0)
        if record.method == "PUT" and 200 <= record.status < 300 and not by_digest:
            version += 1
            self.versions[(step.repo, ref)] = version
        key = f"m:{step.repo}:{ref}:{version}"
        tag = None if by_digest else self.tag(ref)
        step.ref_kind, step.ref = ("manifest", key) if by_digest else ("tag", tag)
        write = self.last_put.get((step.repo, ref))
        same_moment = write is not None and record.method != "PUT" and write[0] == record.client \
            and write[1] == step.due
        self.attach(step, write[2] if same_moment and write is not None else None)
        sizes = self.plan.manifest_sizes
        if record.method == "PUT":
            self.last_put[(step.repo, ref)] = (record.client, step.due, step.chain)
            step.body_manifest = key
            self.plan.manifest_repos.setdefault(step.repo, set()).add(step.chain)
            if record.request_size:
                sizes[key] = sizes.get(key) or record.request_size
            else:
                sizes.setdefault(key, None)
            return
        if record.method == "GET" and 200 <= record.status < 300 and record.size:
            sizes[key] = sizes.get(key) or record.size
            step.expect_size = record.size
        if (step.repo, ref) not in self.seeded_refs:
            self.seeded_refs.add((step.repo, ref))
            self.need_manifest(step.repo, key, tag, step.chain)
        else:
            self.plan.seed_manifests.get((step.repo, key, tag), set()).add(step.chain)
            sizes.setdefault(key, None)

    def blob(self, step: Step, record: Record, route: Route) -> None:
        assert step.repo is not None and route.ref is not None
        key = f"b:{route.ref}"
        if step.intent == "missing":
            step.ref_kind, step.ref = "missing-digest", key
            self.attach(step)
            return
        if route.kind == "referrers":
            step.ref_kind, step.ref = "manifest", f"m:{step.repo}:{route.ref}:0"
            self.attach(step)
            self.need_manifest(step.repo, step.ref, None, step.chain)
            return
        if record.method == "DELETE":
            key = f"del:{record.index}"
            self.read_sizes[key] = VICTIM_SIZE
        step.ref_kind, step.ref = "blob", key
        self.attach(step)
        self.need_blob(step.repo, key, step.chain)
        if record.method == "GET" and record.size and 200 <= record.status < 300:
            self.read_sizes[key] = max(self.read_sizes.get(key, 0), record.size)
            step.expect_size = record.size
            if record.status == 206:
                step.range = (0, record.size - 1)

    def upload(self, step: Step, record: Record, route: Route) -> None:
        assert step.repo is not None
        repo, client = step.repo, record.client
        if route.upload is None:  # POST: a session, a single-request upload, or a mount
            digest, mount = route.query.get("digest"), route.query.get("mount")
            self.attach(step)
            if digest and step.intent == "normal":
                step.body_blob = step.finish_blob = f"b:{digest}"
                self.session_blob[step.chain] = step.body_blob
            elif mount and step.intent == "normal":
                source = self.repo(route.query.get("from") or route.repo or "")
                exists = record.status == 201
                step.mount = (f"b:{mount}", source, exists)
                if exists:
                    self.need_blob(source, f"b:{mount}", step.chain)
            if record.status == 202 and step.intent == "normal":
                self.pending[repo].append((client, step.chain))
            return
        if step.intent == "missing":
            step.ref_kind, step.ref = "session", "missing"
            self.attach(step)
            return
        chain = self.sessions.get((repo, route.upload))
        if chain is None:
            chain = self.bind(repo, client)
            self.sessions[(repo, route.upload)] = chain
        step.ref_kind = "session"
        self.attach(step, chain)
        if record.method == "PUT":
            digest = route.query.get("digest")
            if digest:
                self.session_blob[chain] = f"b:{digest}"

    def bind(self, repo: str, client: str | None) -> int:
        """The chain of the POST that opened a newly seen session (same client first), else a new chain."""
        waiting = self.pending[repo]
        for position, (opener, chain) in enumerate(waiting):
            if client is None or opener is None or opener == client:
                del waiting[position]
                return chain
        chain = self.new_chain()
        return chain

    # ---- sizes ------------------------------------------------------------------------------------

    def close(self) -> Plan:
        """Give every upload chain its blob and byte ranges, and every blob its size."""
        plan = self.plan
        for chain, positions in enumerate(plan.chains):
            steps = [plan.steps[p] for p in positions]
            if not steps or steps[0].kind != "upload":
                continue
            first = steps[0]
            if first.method != "POST" and first.ref_kind == "session" and first.intent != "missing":
                opener = Step(-1, first.due, "POST", "upload", 202, repo=first.repo, chain=chain, added=True)
                plan.steps.append(opener)
                positions.insert(0, len(plan.steps) - 1)
                steps.insert(0, opener)
            self.assign_bytes(chain, steps)
        for _, key in plan.seed_blobs:
            if key not in plan.blob_sizes:
                if key in self.read_sizes:
                    plan.size_sources["read"] += 1
                else:
                    plan.size_sources["assumed"] += 1
                plan.blob_sizes[key] = self.read_sizes.get(key, self.object_size)
        return plan

    def assign_bytes(self, chain: int, steps: list[Step]) -> None:
        carriers = [s for s in steps if s.method in ("PATCH", "PUT") and s.intent == "normal"]
        if steps[0].body_blob:  # single-request POST upload
            carriers = [steps[0]]
        if not carriers:
            return
        key = self.session_blob.get(chain, f"u:{chain}")
        recorded = [s.recorded_request_size for s in carriers]
        known = all(size is not None for size in recorded)
        total = sum(size or 0 for size in recorded) if known else None
        size = self.plan.blob_sizes.get(key) or self.read_sizes.get(key) or total
        if size is None:
            size = self.upload_size
            self.plan.size_sources["assumed"] += 1
        else:
            self.plan.size_sources["recorded" if size == total else "read"] += 1
        self.plan.blob_sizes[key] = size
        if known and total == size:
            parts = [int(s or 0) for s in recorded]
        else:
            data = [s for s in carriers if s.method == "PATCH"] or carriers[-1:]
            share, extra = divmod(size, len(data))
            parts = [share + (1 if i < extra else 0) if s in data else 0 for i, s in enumerate(carriers)]
        offset = 0
        for step, part in zip(carriers, parts, strict=True):
            step.body_blob, step.body_range = key, (offset, offset + part)
            offset += part
        carriers[-1].finish_blob = key


def build_plan(records: list[Record], *, namespace: str, auth: bool = False,
               upload_size: int = DEFAULT_UPLOAD_SIZE, object_size: int = DEFAULT_OBJECT_SIZE) -> Plan:
    """The plan of a whole trace (records sorted and numbered, see `records.finish`)."""
    builder = _Builder(namespace.strip("/"), auth, upload_size, object_size)
    for record in records:
        builder.add(record)
    return builder.close()


def op_of(record: Record) -> str:
    """Operation class of a raw record (for trace statistics without a plan)."""
    return op_class(record.method, classify(record.path))
