"""One registry request as a load user sends it: credentials, the token retry, rate-limit retries, redirects.

`Calls.call(method, url, name, expected)` sends a request and returns the answer when its status is
expected; otherwise the answer is a failed Locust row (OCI error codes counted) and `OperationError`
is raised. Around that:

- Auth: the user's Authorization (or a cached token) goes with every request to the target's origin; a
  401 with a Bearer challenge is answered once per request by the token flow (`users/tokens.py`).
- Rate limits (`load/rate_limits.py`): a 429, or a 503 with Retry-After, is retried after the wait it
  asks for, within `--rate-limit-budget` seconds of waiting per request. A retried answer is not a
  failure and not in the request's row: it is a row of its own, type `429` (or `503`), name
  `METHOD <row name>` (so Locust's table, web UI and report show it), and counted in `COUNTERS`. The
  request's row holds only the attempt that was not rate-limited, so its latency percentiles are of that
  attempt, not of the waits. When the budget is spent the last 429/503 is the request's failure.
- Redirects (`load/redirects.py`): GET and HEAD follow 301/302/303/307/308 (at most 5 hops, targets on
  loopback like the target itself); each followed hop is its own row (`<row name> (redirected)`), and the
  registry's Authorization never goes to another origin.

`attempt_started` is the perf_counter start of the last attempt (its redirects included): the TTFB and
XFER rows of a blob GET start there.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

import gevent

from conformance.spec.retry_after import retry_after_seconds
from load import rate_limits, redirects
from load.metrics import COUNTERS, parse_error_codes
from load.options import LoadSettings
from load.target import TargetError, check_host
from load.users.tokens import BEARER, TokenAuth

BUSY_STATUSES = frozenset({429, 503})
LIMITS_SAMPLE_EVERY = 32
"""Rate-limit headers are read from every busy answer and from every 32nd other answer of a user."""


DONE, WAIT, AGAIN, REDIRECT = "done", "wait", "again", "redirect"


@dataclass
class _Request:
    """One `call` across its attempts: what to send, and the retry state."""

    method: str
    target: str
    home: str
    name: str
    expected: tuple[int, ...]
    headers: dict[str, str]
    body: Any
    stream: bool
    scenario: str
    sent: int
    budget: float
    waited: float = 0.0
    retries: int = 0
    bearer: str | None = None
    token_tried: bool = False


class OperationError(Exception):
    """One step of an operation failed (already reported as a failed request row); the operation stops."""


def _close(response: Any) -> None:
    with contextlib.suppress(Exception):
        response.close()


class Calls(TokenAuth):
    """`call` over the Locust client (`send`), for `RegistryOperations`."""

    host: str | None
    settings: LoadSettings
    scenario: str
    attempt_started: float = 0.0
    _answers_seen: int = 0

    def send(self, method: str, url: str, name: str, *, headers: dict[str, str], body: Any,
             stream: bool) -> Any:
        """One request through the Locust client (a `catch_response` context manager); no redirects."""
        raise NotImplementedError

    def _fail(self, response: Any, message: str) -> None:
        status = getattr(response, "status_code", 0) or 0
        codes: list[str] = []
        if status:
            with contextlib.suppress(Exception):
                codes = parse_error_codes(response.content or b"")
        if codes:
            for code in codes:
                COUNTERS.add_error(code)
        elif status:
            COUNTERS.add_error(f"HTTP {status}")
        else:
            error = getattr(response, "error", None)
            COUNTERS.add_error(type(error).__name__ if error else "no response")
        detail = f" ({', '.join(codes)})" if codes else ""
        response.failure(f"{message}: HTTP {status}{detail}")

    def _note_limits(self, headers: Any, busy: bool) -> None:
        """Remember the rate-limit headers of a busy answer, and of a sample of the others."""
        self._answers_seen += 1
        if busy or self._answers_seen % LIMITS_SAMPLE_EVERY == 1:
            found = rate_limits.announced_limits(headers)
            if found:
                COUNTERS.add_limits(found)

    def call(self, method: str, url: str, name: str, expected: tuple[int, ...], *,
             headers: dict[str, str] | None = None, body: Any = None, stream: bool = False,
             scenario: str | None = None, bearer: str | None = None) -> Any:
        """Send one request (retries and redirects included, see the module docstring); the final answer."""
        target = url if url.startswith("http") else (self.host or "") + url
        request = _Request(method, target, self.host or target, name, expected, dict(headers or {}), body,
                           stream, scenario or self.scenario, len(body) if body is not None else 0,
                           self.settings.rate_limit_budget,
                           bearer=bearer, token_tried=bearer is not None)
        while True:
            self.attempt_started = time.perf_counter()
            kind, value = self._attempt(request)
            if kind == DONE:
                return value
            if kind == WAIT:
                request.waited += value
                gevent.sleep(value)

    def _attempt(self, request: _Request) -> tuple[str, Any]:
        """One attempt and the redirects it leads to: (DONE, answer), (WAIT, seconds) or (AGAIN, None)."""
        authorization = BEARER + request.bearer if request.bearer else self.authorization_for(request.target)
        url, row = request.target, request.name
        for hops in range(redirects.MAX_REDIRECTS + 1):
            hop_headers = dict(request.headers)
            if authorization and redirects.same_origin(url, request.home):
                hop_headers["Authorization"] = authorization
            with self.send(request.method, url, row, headers=hop_headers, body=request.body,
                           stream=request.stream) as response:
                kind, value = self._answer(request, response, url=url, row=row, hops=hops,
                                           authorization=authorization)
            if kind != REDIRECT:
                return kind, value
            url, row = value, request.name + redirects.REDIRECTED_SUFFIX
        raise AssertionError("unreachable: the last hop's redirect is a failure")  # pragma: no cover

    def _answer(self, request: _Request, response: Any, *, url: str, row: str, hops: int,
                authorization: str | None) -> tuple[str, Any]:
        """Decide on one answer (inside its `catch_response` block): its row's outcome and what comes next."""
        status = getattr(response, "status_code", 0) or 0
        answer_headers: Any = getattr(response, "headers", None) or {}  # None: no answer at all
        retry_after = answer_headers.get("Retry-After") if status in BUSY_STATUSES else None
        busy = rate_limits.is_busy(status, retry_after)
        self._note_limits(answer_headers, busy)
        if status and not busy:
            COUNTERS.add_up(request.scenario, request.sent)
        if busy:
            seconds = retry_after_seconds(retry_after)
            request.retries += 1
            wait = rate_limits.wait_for(status, seconds, request.retries, request.waited, request.budget)
            COUNTERS.add_rate_limited(f"{request.method} {row}", status, wait, seconds)
            if wait is not None:
                response.request_meta["request_type"] = str(status)
                response.request_meta["name"] = f"{request.method} {row}"
                response.success()
                _close(response)
                return WAIT, wait
        location = answer_headers.get("Location") if status in redirects.REDIRECT_STATUSES else None
        if redirects.is_followed(request.method, status, location) and hops < redirects.MAX_REDIRECTS:
            return REDIRECT, self._redirect(response, url, str(location), request.home)
        home = redirects.same_origin(url, request.home)
        if status == 401 and not request.token_tried and home:
            token = self.bearer_for_challenge(answer_headers.get("WWW-Authenticate", ""), request.target,
                                              authorization)
            if token:
                request.token_tried, request.bearer = True, token
                response.success()
                _close(response)
                return AGAIN, None
        if status not in request.expected:
            self._fail(response, self._failure_text(request, busy, hops))
            _close(response)
            raise OperationError(f"{request.method} {request.name}: HTTP {status}")
        if home:
            self.token_worked(request.target, authorization)
        response.success()
        return DONE, response

    def _redirect(self, response: Any, current: str, location: str, home: str) -> str:
        """Accept a redirect answer (its row succeeds) and return the next URL; off loopback is a failure."""
        following = redirects.next_hop(current, location)
        try:
            check_host(following)
        except TargetError:
            COUNTERS.add_error("REDIRECT_OFF_LOOPBACK")
            response.failure(f"redirect to {following.split('?', 1)[0]!r}, which is not on loopback")
            _close(response)
            raise OperationError("redirect off loopback") from None
        COUNTERS.add_redirect(not redirects.same_origin(following, home))
        response.success()
        _close(response)
        return following

    @staticmethod
    def _failure_text(request: _Request, busy: bool, hops: int) -> str:
        text = f"{request.method} {request.name} expected {'/'.join(map(str, request.expected))}"
        if busy:
            text += f" (rate-limited: gave up after {request.retries - 1} retries, {request.waited:g} s)"
        if hops:
            text += f" (after {hops} redirect{'s' if hops > 1 else ''})"
        return text
