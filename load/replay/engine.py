"""The one-machine replay engine: asyncio + httpx, open model, against one registry on loopback.

`replay(plan_share, store, target, settings)` first seeds what the share's reads need (blobs by POST +
PUT, the shared config and base layer into every repository that holds manifests, then the manifests),
then starts the clock: every chain is started at its recorded time divided by `--speed`, whether or not
earlier ones finished, and the steps of an upload session follow each other at their recorded times or
as soon as the step before was answered. Each request has a total deadline (`--request-timeout`). The
schedule lag of each chain start is measured against the clock (the generator's own lag), apart from
the wait of a session step for the step before it (the registry's time). Client CPU over the replay is
reported, and a run whose generator was the limit (CPU at a core, or p99 schedule lag over 100 ms) says
so. Bodies are streamed from the content pool; response bodies are read in chunks and counted (sha256
checked for manifests and a share of blobs).

Credentials as everywhere in load/ (`load.auth`: --bearer-token / OCI_TOKEN, OCI_USERNAME/OCI_PASSWORD,
docker config.json); a Bearer challenge is answered with a token from its (loopback) realm, one retry.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from load.auth import authorization, bearer_challenge, parse_token_answer, repository_of, token_url
from load.content import BlobBody
from load.replay.exchange import Answer, ChainRun, Outgoing
from load.replay.plan import Plan, Step
from load.replay.stats import ReplayStats
from load.replay.synthetic import ContentStore
from load.target import check_host

SEED_CONCURRENCY = 8
POOL_CONNECTIONS = 8
LIMITED_CPU = 0.9
LIMITED_LAG_MS = 100.0


class SeedError(RuntimeError):
    """Seeding what the trace reads failed; the message names the request and the answer."""


@dataclass
class EngineSettings:
    """How the engine sends."""

    speed: float = 1.0
    request_timeout: float = 120.0
    max_connections: int = 512
    verify_share: float = 0.1
    bearer_token: str = ""
    docker_config: str = ""


@dataclass
class RunResult:
    """Figures of one engine run."""

    stats: ReplayStats
    clock_start: float
    seeding: dict[str, Any] = field(default_factory=dict)
    cpu_percent: float = 0.0
    auth_required: bool = False


class Sender:
    """Sends `Outgoing` requests with httpx: credentials, the token flow, total deadlines, body counting."""

    def __init__(self, url: str, settings: EngineSettings) -> None:
        check_host(url)
        self.url = url.rstrip("/")
        self.settings = settings
        self.auth = authorization(urlsplit(self.url).netloc, settings.bearer_token, settings.docker_config)
        self.tokens: dict[str, str] = {}
        self.route: dict[str, str] = {}
        self.extra: dict[str, int] = {"token GET": 0}
        # httpcore's pool walks all its connections and queued requests on every event (measured here: at
        # ~300 requests/s and a few hundred open connections that was most of the client CPU), so the
        # connections are spread over small pools and each request goes to the least busy one.
        per_pool = min(POOL_CONNECTIONS, settings.max_connections)
        limits = httpx.Limits(max_connections=per_pool, max_keepalive_connections=per_pool)
        timeout = httpx.Timeout(settings.request_timeout, connect=min(10.0, settings.request_timeout))
        verify = ssl.create_default_context()
        self.clients = [httpx.AsyncClient(limits=limits, timeout=timeout, follow_redirects=False,
                                          verify=verify, headers={"Accept-Encoding": "identity"})
                        for _ in range(max(1, settings.max_connections // per_pool))]
        self.busy = [0] * len(self.clients)
        self.client = self.clients[0]

    async def close(self) -> None:
        """Close the connection pools."""
        for client in self.clients:
            await client.aclose()

    def absolute(self, url: str) -> str:
        """A path or Location on the target as an absolute URL; another host is refused."""
        absolute = urljoin(self.url + "/", url)
        if urlsplit(absolute).netloc != urlsplit(self.url).netloc:
            raise httpx.InvalidURL(f"Location {url!r} points away from the target {self.url}")
        return absolute

    async def auth_required(self) -> bool:
        """Whether the target answers an anonymous `GET /v2/` with 401."""
        response = await self.client.get(self.url + "/v2/")
        return response.status_code == 401

    async def _token(self, challenge: str, credentials: str | None) -> str | None:
        parsed = bearer_challenge(challenge)
        if parsed is None or self.settings.bearer_token:
            return None
        key = f"{parsed.realm}|{parsed.service}|{' '.join(parsed.scopes)}"
        if key in self.tokens:
            return self.tokens[key]
        realm = urljoin(self.url + "/", parsed.realm)
        check_host(realm)
        headers = {"Authorization": credentials} if credentials and credentials.startswith("Basic ") else {}
        self.extra["token GET"] += 1
        response = await self.client.get(token_url(realm, parsed.service, parsed.scopes), headers=headers)
        if response.status_code != 200:
            return None
        token, _ = parse_token_answer(response.content)
        self.tokens[key] = token
        return token

    @staticmethod
    async def _stream(body: BlobBody) -> AsyncIterator[bytes]:
        for part in body:
            yield part  # type: ignore[misc]  # memoryview slices of the pool; httpcore writes them as given

    async def _once(self, out: Outgoing, authorization_value: str | None, answer: Answer,
                    client: httpx.AsyncClient) -> httpx.Response:
        headers = dict(out.headers)
        if authorization_value:
            headers["Authorization"] = authorization_value
        content: Any = None
        if isinstance(out.body, BlobBody):
            headers["Content-Length"] = str(len(out.body))
            content = self._stream(out.body)
        elif out.body is not None:
            content = out.body
        request = client.build_request(out.method, self.absolute(out.url), headers=headers, content=content)
        response = await client.send(request, stream=True)
        try:
            hasher = hashlib.sha256() if out.expect_digest else None
            received = 0
            async for part in response.aiter_raw():
                received += len(part)
                if hasher is not None:
                    hasher.update(part)
            answer.received, answer.sent = received, out.body_length
            answer.digest = "sha256:" + hasher.hexdigest() if hasher is not None and out.read_body else None
        finally:
            await response.aclose()
        return response

    async def send(self, out: Outgoing) -> Answer:
        """Send one request (with a total deadline); never raises, the Answer carries errors."""
        answer = Answer(None)
        started = time.perf_counter()
        repo = repository_of(self.absolute(out.url)) or ""
        credentials = None
        if out.credentials:
            credentials = "Bearer " + self.route[repo] if repo in self.route else self.auth
        pool = min(range(len(self.clients)), key=self.busy.__getitem__)
        self.busy[pool] += 1
        client = self.clients[pool]
        try:
            async with asyncio.timeout(self.settings.request_timeout):
                response = await self._once(out, credentials, answer, client)
                if response.status_code == 401 and out.credentials:
                    token = await self._token(response.headers.get("WWW-Authenticate", ""), self.auth)
                    if token:
                        self.route[repo] = token
                        response = await self._once(out, "Bearer " + token, answer, client)
            answer.status = response.status_code
            answer.location = response.headers.get("Location")
        except (httpx.HTTPError, TimeoutError, OSError) as exc:
            answer.error = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            self.busy[pool] -= 1
        answer.latency = time.perf_counter() - started
        return answer


async def _seed_blob(sender: Sender, repo: str, key: str, store: ContentStore) -> None:
    blob = store.blob(key)
    post = await sender.send(Outgoing("POST", f"/v2/{repo}/blobs/uploads/", {}, None, True, False))
    if post.status != 202 or not post.location:
        raise SeedError(f"seeding blob {key} into {repo}: POST answered {post.status} {post.error or ''}")
    separator = "&" if "?" in post.location else "?"
    put = await sender.send(Outgoing("PUT", f"{post.location}{separator}digest={blob.digest}",
                                     {"Content-Type": "application/octet-stream"},
                                     blob.body() if blob.size else b"", True, False))
    if put.status != 201:
        raise SeedError(f"seeding blob {key} ({blob.size} bytes) into {repo}: PUT answered {put.status} "
                        f"{put.error or ''}")


async def _seed_config(sender: Sender, repo: str, store: ContentStore) -> None:
    post = await sender.send(Outgoing("POST", f"/v2/{repo}/blobs/uploads/", {}, None, True, False))
    if post.status != 202 or not post.location:
        raise SeedError(f"seeding the config into {repo}: POST answered {post.status} {post.error or ''}")
    separator = "&" if "?" in post.location else "?"
    put = await sender.send(Outgoing("PUT", f"{post.location}{separator}digest={store.config_digest}",
                                     {"Content-Type": "application/octet-stream"}, store.config, True, False))
    if put.status != 201:
        raise SeedError(f"seeding the config into {repo}: PUT answered {put.status} {put.error or ''}")


async def seed(sender: Sender, plan: Plan, store: ContentStore) -> dict[str, Any]:
    """Push everything the plan's reads need; figures of the seeding."""
    started = time.perf_counter()
    gate = asyncio.Semaphore(SEED_CONCURRENCY)

    async def gated(job: Any) -> None:
        async with gate:
            await job

    base = [(repo, "base-layer") for repo in plan.manifest_repos]
    blobs = sorted(set(plan.seed_blobs) | set(base))
    await asyncio.gather(*(gated(_seed_blob(sender, repo, key, store)) for repo, key in blobs))
    await asyncio.gather(*(gated(_seed_config(sender, repo, store)) for repo in sorted(plan.manifest_repos)))

    async def manifest(repo: str, key: str, tag: str | None) -> None:
        document = store.manifest(key)
        out = Outgoing("PUT", f"/v2/{repo}/manifests/{tag or document.digest}",
                       {"Content-Type": document.media_type}, document.data, True, False)
        answer = await sender.send(out)
        if answer.status != 201:
            raise SeedError(f"seeding manifest {key} into {repo}: PUT answered {answer.status} "
                            f"{answer.error or ''}")

    await asyncio.gather(*(gated(manifest(*item)) for item in sorted(plan.seed_manifests,
                                                                     key=lambda i: (i[0], i[1], i[2] or ""))))
    return {"blobs": len(blobs), "manifests": len(plan.seed_manifests),
            "repositories": len(plan.manifest_repos),
            "bytes": sum(store.blob(key).size for _, key in blobs),
            "seconds": round(time.perf_counter() - started, 3)}


@dataclass
class Clock:
    """The replay clock: loop time and epoch of t=0, and the speed factor."""

    t0: float
    wall0: float
    speed: float


async def _run_chain(sender: Sender, run: ChainRun, steps: list[Step], clock: Clock,
                     stats: ReplayStats) -> None:
    loop = asyncio.get_running_loop()
    for position, step in enumerate(steps):
        due = clock.t0 + step.due / clock.speed
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        started = loop.time()
        out = run.request(step)
        if out is None:
            stats.unsent(step, "its upload session got no Location")
            continue
        answer = await sender.send(out)
        run.answered(step, answer)
        stats.record(step, out, answer, lag=started - due, started=clock.wall0 + (started - clock.t0),
                     dependent=position > 0)


async def _replay(url: str, plan: Plan, store: ContentStore, settings: EngineSettings,
                  stats: ReplayStats) -> RunResult:
    sender = Sender(url, settings)
    try:
        auth = await sender.auth_required()
        seeding = await seed(sender, plan, store)
        loop = asyncio.get_running_loop()
        chains = [[plan.steps[p] for p in positions if plan.steps[p].intent != "skip"]
                  for positions in plan.chains]
        chains = sorted((c for c in chains if c), key=lambda c: c[0].due)
        cpu0 = time.process_time()
        t0, wall0 = loop.time() + 0.05, time.time() + 0.05
        for chain in chains:
            for step in chain:
                stats.scheduled(wall0 + step.due / settings.speed)
        tasks = []
        for chain in chains:
            delay = t0 + chain[0].due / settings.speed - loop.time() - 0.002
            if delay > 0:
                await asyncio.sleep(delay)
            clock = Clock(t0, wall0, settings.speed)
            tasks.append(asyncio.create_task(_run_chain(sender, ChainRun(store, settings.verify_share),
                                                        chain, clock, stats)))
        await asyncio.gather(*tasks)
        wall = time.time() - wall0
        cpu = (time.process_time() - cpu0) / wall if wall > 0 else 0.0
        seeding["token_requests"] = sender.extra["token GET"]
        return RunResult(stats, wall0, seeding, round(cpu * 100, 1), auth)
    finally:
        await sender.close()


def replay(url: str, plan: Plan, store: ContentStore, settings: EngineSettings,
           stats: ReplayStats | None = None) -> RunResult:
    """Seed, then replay `plan` against `url` on its schedule; the measured figures."""
    stats = stats or ReplayStats()
    stats.plan(plan.steps)
    return asyncio.run(_replay(url, plan, store, settings, stats))


async def probe_auth(url: str, settings: EngineSettings) -> bool:
    """Whether `url` requires credentials (anonymous `GET /v2/` answers 401)."""
    sender = Sender(url, settings)
    try:
        return await sender.auth_required()
    finally:
        await sender.close()


def generator_verdict(summary: dict[str, Any], cpu_percent: float) -> dict[str, Any]:
    """Whether the load generator, not the registry, may have limited the run, and why."""
    reasons = []
    if cpu_percent >= LIMITED_CPU * 100:
        reasons.append(f"client CPU {cpu_percent:.0f}% of a core")
    if summary["lag"]["p99_ms"] > LIMITED_LAG_MS:
        reasons.append(f"p99 schedule lag {summary['lag']['p99_ms']:.0f} ms")
    return {"cpu_percent_of_one_core": cpu_percent, "limited": bool(reasons), "reasons": reasons}
