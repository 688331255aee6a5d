"""The authentication flow: Basic and Docker-style Bearer tokens, with a per-scope token cache.

How a request gets its `Authorization` header (see `Authenticator`):

1. Before any 401 nothing is sent (a registry may allow anonymous access).
2. A 401 carries challenges. Bearer (preferred) -> `GET <realm>?service=..&scope=..` (one `scope`
   parameter per scope, the request's own scopes merged with the challenge's), with Basic
   credentials when configured and anonymously otherwise; the token is `token` or `access_token`.
   Basic -> the configured credentials. The request is retried ONCE with that header.
3. Later requests reuse the challenge: a token cached per (realm, service, scope set) until it
   expires (`expires_in`, default 60 s), or Basic credentials.
4. A 401 despite a cached token (expired or revoked) drops that token and re-authenticates once,
   unless the challenge says `error="insufficient_scope"` for the very scopes that token was
   issued for. A 401 after a fresh token or after Basic credentials is returned as it is: never
   a loop.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from conformance.client.auth import (
    Challenge,
    ChallengeParseError,
    Credentials,
    merge_scopes,
    parse_www_authenticate,
)

DEFAULT_TOKEN_LIFETIME = 60.0


class TokenResponse(Protocol):
    """What the token fetcher returns (the client's Response)."""

    status_code: int

    @property
    def content(self) -> bytes:
        """Body of the token response."""
        ...

    def annotate(self, note: str) -> None:
        """Add a note to the transcript entry of this exchange."""
        ...


TokenFetcher = Callable[[str, list[tuple[str, str]], dict[str, str]], TokenResponse]
"""`fetch(realm, query params, headers)`: performs the token GET (recorded in the transcript)."""


@dataclass
class _CachedToken:
    token: str
    expires_at: float


class Authenticator:
    """Holds credentials, the registry's last challenge and the token cache for one client."""

    def __init__(self, credentials: Credentials | None, fetch: TokenFetcher) -> None:
        self.credentials = credentials
        self._fetch = fetch
        self.challenge: Challenge | None = None
        self._tokens: dict[tuple[str, str, frozenset[str]], _CachedToken] = {}
        self.token_requests = 0

    def authorization(self, scopes: Sequence[str]) -> str | None:
        """The header to send up front for a request needing `scopes`, from what earlier 401s taught."""
        challenge = self.challenge
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            return self.credentials.basic_header() if self.credentials else None
        return self._bearer(challenge, tuple(scopes), use_cache=True)

    def handle_unauthorized(
        self, www_authenticate: Sequence[str], scopes: Sequence[str], sent: str | None
    ) -> str | None:
        """After a 401: the header to retry with once, or None when retrying cannot help."""
        challenges: list[Challenge] = []
        for value in www_authenticate:
            try:
                challenges += parse_www_authenticate(value)
            except ChallengeParseError:
                continue
        bearer = next((c for c in challenges if c.scheme == "bearer" and c.realm), None)
        if bearer is not None:
            self.challenge = bearer
            needed = merge_scopes(tuple(scopes), bearer.scopes)
            key = self._key(bearer, needed)
            cached = self._tokens.get(key)
            if sent is not None and cached is not None and sent == f"Bearer {cached.token}":
                if bearer.error == "insufficient_scope":
                    return None  # this very scope set was granted short: asking again cannot help
                del self._tokens[key]  # expired or revoked: one fresh token
            # otherwise no token, or one for other scopes: get one for what the challenge needs
            return self._bearer(bearer, needed, use_cache=False)
        basic = next((c for c in challenges if c.scheme == "basic"), None)
        if basic is not None and self.credentials is not None:
            self.challenge = basic
            header = self.credentials.basic_header()
            return None if sent == header else header
        return None

    @staticmethod
    def _key(challenge: Challenge, scopes: Sequence[str]) -> tuple[str, str, frozenset[str]]:
        return (challenge.realm or "", challenge.service or "", frozenset(scopes))

    def _bearer(self, challenge: Challenge, scopes: tuple[str, ...], *, use_cache: bool) -> str | None:
        scopes = merge_scopes(scopes)
        key = self._key(challenge, scopes)
        cached = self._tokens.get(key)
        if use_cache and cached is not None and cached.expires_at > time.monotonic():
            return f"Bearer {cached.token}"
        token = self._request_token(challenge, scopes)
        if token is None:
            return None
        self._tokens[key] = token
        return f"Bearer {token.token}"

    def _request_token(self, challenge: Challenge, scopes: tuple[str, ...]) -> _CachedToken | None:
        params: list[tuple[str, str]] = []
        if challenge.service:
            params.append(("service", challenge.service))
        params += [("scope", scope) for scope in scopes]
        headers = {"Authorization": self.credentials.basic_header()} if self.credentials else {}
        self.token_requests += 1
        started = time.monotonic()
        response = self._fetch(challenge.realm or "", params, headers)
        if response.status_code != 200:
            response.annotate(f"token request refused with {response.status_code}")
            return None
        try:
            document = json.loads(response.content)
        except (UnicodeDecodeError, json.JSONDecodeError):
            response.annotate("token response is not JSON")
            return None
        token = document.get("token") or document.get("access_token") if isinstance(document, dict) else None
        if not isinstance(token, str) or not token:
            response.annotate("token response has neither 'token' nor 'access_token'")
            return None
        lifetime = document.get("expires_in", DEFAULT_TOKEN_LIFETIME)
        if not isinstance(lifetime, int | float) or lifetime <= 0:
            lifetime = DEFAULT_TOKEN_LIFETIME
        margin = min(5.0, float(lifetime) / 10)
        return _CachedToken(token, started + float(lifetime) - margin)
