"""The Docker token flow of a load user: answer a Bearer challenge with a token from the realm, cache it.

A 401 with `WWW-Authenticate: Bearer realm=..,service=..,scope=..` makes the user GET
`<realm>?service=..&scope=..` (the realm must be on loopback, like the target) with the Basic credentials
when configured (OCI_USERNAME/OCI_PASSWORD, docker config.json), anonymously otherwise, with the request
timeout, for the challenge's scopes plus, on a cross-repository mount, `repository:<from>:pull`. The
request is then sent once more with the token (`RegistryOperations.call`); that 401 is part of the
protocol, not a failure.

Tokens are cached per user and (realm, service, scopes) (`load.auth.TokenCache`) and reused for later
requests on the same repository; a token is fetched anew shortly before it expires, so large bodies are
not sent into a 401. A refused token is fetched again only if it had worked before (not when the scope is
simply not granted); no request is retried more than once. Token requests are their own stats row
(`GET token`); tokens and passwords never appear in a row, a failure message or a log line. A static
`--bearer-token` is sent as given and never exchanged.
"""

from __future__ import annotations

import functools
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

from load.auth import (
    TokenAnswerError,
    TokenCache,
    TokenKey,
    bearer_challenge,
    mount_scope,
    parse_token_answer,
    repository_of,
    token_url,
)
from load.metrics import COUNTERS
from load.target import TargetError, check_host

TOKEN_ROW = "token"
BEARER = "Bearer "


class TokenRealmError(Exception):
    """A token was not asked for (the realm is not on loopback); the message says why, never a secret."""


@functools.lru_cache(maxsize=4096)
def resource_of(url: str) -> str:
    """What a token serves: the repository of a registry URL, else its path (`/v2/`, `/v2/_catalog`)."""
    return repository_of(url) or urlsplit(url).path


def _token_of(authorization: str | None) -> str | None:
    return authorization[len(BEARER):] if authorization and authorization.startswith(BEARER) else None


class TokenAuth:
    """Token flow of `RegistryOperations` (which provides `send`, `row`, `_fail` and `host`)."""

    host: str | None
    auth: str | None  # the configured Authorization value (RegistryOperations.on_start)

    def start_tokens(self, configured: str | None, *, exchange: bool) -> None:
        """A fresh cache; `configured` is the user's Authorization value (only Basic ones go to the realm)."""
        self.tokens = TokenCache()
        self.token_exchange = exchange
        self.token_credentials = configured if configured and configured.startswith("Basic ") else None

    # provided by RegistryOperations
    def send(self, method: str, url: str, name: str, *, headers: dict[str, str], body: Any,
             stream: bool) -> Any:
        """One request through the Locust client (a `catch_response` context manager)."""
        raise NotImplementedError

    def row(self, request_type: str, name: str, started: float, error: BaseException | None = None,
            length: int = 0) -> None:
        """Report an extra stats row."""
        raise NotImplementedError

    def _fail(self, response: Any, message: str) -> None:
        raise NotImplementedError

    # the flow

    def bearer_for_challenge(self, challenge: str, url: str = "", sent: str | None = None) -> str | None:
        """A token answering the `WWW-Authenticate` value of a 401 on `url` (which carried `sent`), or None.

        Returning a token makes `call` send the request once more with it.
        """
        parsed = bearer_challenge(challenge) if self.token_exchange else None
        if parsed is None:
            return None
        scopes = parsed.scopes
        source = mount_scope(url)
        if source and source not in scopes:
            scopes += (source,)
        key = TokenKey.of(urljoin((self.host or "") + "/", parsed.realm), parsed.service, scopes)
        sent_token = _token_of(sent)
        if self.tokens.should_fetch(key, sent_token):
            token = self.fetch_token(key)
        else:
            entry = self.tokens.get(key)
            token = entry.token if entry is not None and entry.token != sent_token else None
        if token:
            self.tokens.route(resource_of(url), key)
        return token

    def fetch_token(self, key: TokenKey) -> str | None:
        """GET a token for `key` from its realm (a `GET token` row) and cache it; None when that failed."""
        started = time.perf_counter()
        try:
            check_host(key.realm)
        except TargetError:
            COUNTERS.add_error("TOKEN_REALM_REFUSED")
            refused = TokenRealmError(f"token realm {key.realm!r} is not on loopback")
            self.row("GET", TOKEN_ROW, started, refused)
            return None
        headers = {"Authorization": self.token_credentials} if self.token_credentials else {}
        url = token_url(key.realm, key.service, key.scopes)
        with self.send("GET", url, TOKEN_ROW, headers=headers, body=None, stream=False) as response:
            if response.status_code != 200:
                self._fail(response, "GET token expected 200")
                return None
            try:
                token, expires_in = parse_token_answer(response.content or b"")
            except TokenAnswerError as exc:
                COUNTERS.add_error("TOKEN_ANSWER_INVALID")
                response.failure(f"GET token: {exc}")
                return None
            response.success()
        self.tokens.put(key, token, expires_in)
        return token

    def authorization_for(self, url: str) -> str | None:
        """The cached token serving `url` (fetched anew when due), else the configured credentials."""
        key = self.tokens.key_for(resource_of(url))
        if key is not None:
            entry = self.tokens.get(key)
            token = entry.token if entry is not None else self.fetch_token(key)
            if token:
                return BEARER + token
        return self.auth

    def token_worked(self, url: str, sent: str | None) -> None:
        """The registry accepted the request on `url` that carried `sent`: remember its token works."""
        token = _token_of(sent)
        key = self.tokens.key_for(resource_of(url)) if token else None
        if token and key is not None:
            self.tokens.accept(key, token)
