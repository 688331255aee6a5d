"""Answers that mean "later" in load runs: which are retried, how long to wait, what the registry announced.

A 429 Too Many Requests is how hosted registries shed load, and a 503 that says when to come back
(`Retry-After`) means the same; both are retried. A bare 5xx (a 503 without `Retry-After` included) is
how a broken registry looks: never retried, it stays a failure. `wait_for(status, retry_after, attempt,
waited, budget)` says how long to wait before the next attempt of one request, or None to give up:

- `Retry-After` in both forms of RFC 9110 section 10.2.3 (delay-seconds, or an HTTP-date);
- a 429 without it waits 0.5 s, 1 s, 2 s, ... (`FIRST_BACKOFF` doubled per attempt);
- the waits of one request (its retries of every kind, token retry included) stay within `budget`
  seconds (`--rate-limit-budget`): a wait that would cross it is not waited, the request gives up and
  its last 429/503 is a failure; at most `MAX_RETRIES` retries per request.

`announced_limits(headers)` picks the rate-limit headers a registry sends (`RateLimit-*` of the IETF
draft, Docker Hub's `ratelimit-*`, GitHub's and others' `X-RateLimit-*`). Written here rather than
imported from `conformance.client.retries`, which imports httpx (not importable under Locust's gevent);
`Retry-After` itself is read by `conformance.spec.retry_after`, shared with that client. This module never
imports locust.
"""

from __future__ import annotations

from typing import Any

RATE_LIMITED_TYPES = ("429", "503")
"""Locust row types of retried answers: a retried 429 is reported as row `429` / `GET <name>`."""
FIRST_BACKOFF = 0.5
MAX_RETRIES = 10
RATE_LIMIT_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "ratelimit-policy",
                      "ratelimit", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset",
                      "x-ratelimit-used", "x-ratelimit-resource")
ANNOUNCING = ("ratelimit-limit", "ratelimit-policy", "ratelimit", "x-ratelimit-limit")
"""A response carrying one of these announces limits; only then are all RATE_LIMIT_HEADERS read."""


def is_busy(status: int, retry_after: str | None) -> bool:
    """True for an answer meaning "later": any 429, a 503 only with a `Retry-After`."""
    return status == 429 or (status == 503 and retry_after is not None)


def wait_for(status: int, retry_after: float | None, attempt: int, waited: float,
             budget: float) -> float | None:
    """Seconds to wait before retry number `attempt` (from 1) of a busy answer, or None to give up.

    `retry_after` is the parsed header (None when absent or unreadable); `waited` is what this request has
    waited already; the wait never takes it past `budget`.
    """
    if status != 429 and not (status == 503 and retry_after is not None):
        return None
    if attempt > MAX_RETRIES:
        return None
    wait = retry_after if retry_after is not None else FIRST_BACKOFF * 2 ** (attempt - 1)
    if waited + wait > budget:
        return None
    return wait


def announced_limits(headers: Any) -> dict[str, str]:
    """The rate-limit headers of a response (names lower case), {} when it announces none.

    `headers` is any case-insensitive mapping with `.get` (requests' and geventhttpclient's both are).
    Two or three lookups on an answer without them; the whole set only when one is there.
    """
    if not any(headers.get(name) is not None for name in ANNOUNCING):
        return {}
    found = {}
    for name in RATE_LIMIT_HEADERS:
        value = headers.get(name)
        if value is not None:
            found[name] = str(value)
    return found
