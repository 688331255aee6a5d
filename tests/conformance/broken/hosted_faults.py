"""Faults of hosted registries' legal manners, for the rigs: rate limits and listings that trail writes.

`RateLimitEveryNth` answers every `every`-th request 429 with `Retry-After: 1` and a RateLimit-Limit header;
`LaggingTagLists` leaves a pushed tag out of `tags/list` answers for `lag` seconds (and keeps a deleted one
listed as long), the way an object-store-backed registry's listing can trail its writes. Neither is
non-conformance: the suite (with retries, and with `--registry-settle-time`) must pass through them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
import time
from urllib.parse import parse_qsl

from tests.conformance.broken.faults import MANIFEST, TAGS
from tests.conformance.broken.proxy import Exchange, Fault

EVERY = 20
LAG = 2.0
DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")


class RateLimitEveryNth(Fault):
    """Answer every `every`-th request 429 with Retry-After: 1 and a RateLimit-Limit header."""

    name = "rate-limit-5-percent"

    def __init__(self, every: int = EVERY) -> None:
        self.every = every
        self.counter = itertools.count(1)
        self.lock = threading.Lock()
        self.limited = 0

    def on_request(self, exchange: Exchange) -> None:
        with self.lock:
            number = next(self.counter)
        if number % self.every == 0:
            with self.lock:
                self.limited += 1
            exchange.answer(429, b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}',
                            [("Content-Type", "application/json"), ("Retry-After", "1"),
                             ("RateLimit-Limit", "20;w=1")])


class LaggingTagLists(Fault):
    """`tags/list` answers trail the writes by `lag` seconds: new tags hidden, deleted tags still listed.

    Every other answer (manifests by tag included) is the registry's own: only the listing lags. A tag's
    digest is remembered from its PUT, so a DELETE by digest makes each tag that pointed to it linger.
    When the registry already answers 404 for a repository whose lingering tags are all deleted, the
    stale view is served as 200 with those tags.
    """

    name = "lagging-tag-lists"

    def __init__(self, lag: float = LAG) -> None:
        self.lag = lag
        self.lock = threading.Lock()
        self.pushed: dict[tuple[str, str], float] = {}
        self.deleted: dict[tuple[str, str], float] = {}
        self.points_to: dict[tuple[str, str], str] = {}
        self.edited = 0

    def on_response(self, exchange: Exchange) -> None:
        now = time.monotonic()
        manifest, tags = MANIFEST.match(exchange.path), TAGS.match(exchange.path)
        with self.lock:
            if manifest and exchange.method == "PUT" and exchange.status == 201:
                self._pushed(exchange, manifest["name"], manifest["reference"], now)
            elif manifest and exchange.method == "DELETE" and exchange.status == 202:
                self._deleted(manifest["name"], manifest["reference"], now)
            elif tags and exchange.method == "GET" and exchange.status in (200, 404):
                self._stale_view(exchange, tags["name"], now)

    def _pushed(self, exchange: Exchange, repo: str, reference: str, now: float) -> None:
        digest = exchange.header("docker-content-digest") or (
            "sha256:" + hashlib.sha256(exchange.request_body).hexdigest())
        names = [value for key, value in parse_qsl(exchange.query) if key == "tag"]
        if not DIGEST.match(reference):
            names.append(reference)
        for tag in names:
            key = (repo, tag)
            if key not in self.points_to:  # a new tag (a moved one was listed already)
                self.pushed[key] = now
            self.deleted.pop(key, None)
            self.points_to[key] = digest

    def _deleted(self, repo: str, reference: str, now: float) -> None:
        if DIGEST.match(reference):
            keys = [key for key, digest in self.points_to.items() if key[0] == repo and digest == reference]
        else:
            keys = [(repo, reference)] if (repo, reference) in self.points_to else []
        for key in keys:
            del self.points_to[key]
            self.pushed.pop(key, None)
            self.deleted[key] = now

    def _stale_view(self, exchange: Exchange, repo: str, now: float) -> None:
        def recent(events: dict[tuple[str, str], float]) -> set[str]:
            return {tag for (name, tag), when in events.items() if name == repo and now - when < self.lag}

        hidden, lingering = recent(self.pushed), recent(self.deleted)
        if not hidden and not lingering:
            return
        if exchange.status == 404:
            if not lingering:
                return
            document: dict[str, object] = {"name": repo, "tags": []}
            exchange.status = 200
            exchange.set_header("Content-Type", "application/json")
        else:
            document = json.loads(exchange.body)
        listed = [str(tag) for tag in document.get("tags") or []]  # type: ignore[attr-defined]
        document["tags"] = sorted((set(listed) - hidden) | lingering)
        exchange.body = json.dumps(document).encode()
        self.edited += 1
