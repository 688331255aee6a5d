"""Issuing and verifying the registry's Bearer tokens: ES256 JWTs as distribution's token auth expects.

Claims: ``iss`` (the issuer name), ``sub`` (user name, empty for anonymous), ``aud`` (the service the
token was asked for), ``iat``, ``nbf`` (one second early, against clock rounding), ``exp`` (``iat`` +
``--token-ttl``), ``jti`` (random) and ``access`` (a list of ``{type, name, actions}``: the granted scopes).
Header: ``alg: ES256``, ``typ: JWT`` and ``kid`` (libtrust key id, see keys.py).

`TokenVerifier.verify` checks signature, issuer, audience and time window; verified tokens are remembered
(at most `CACHE_LIMIT`, until they expire) so a busy client costs one signature check per token.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass

import jwt

from reference_server.auth.keys import SigningKey
from reference_server.auth.scopes import ResourceScope

ALGORITHM = "ES256"
CACHE_LIMIT = 4096


@dataclass(frozen=True)
class IssuedToken:
    """A signed token and its lifetime."""

    token: str
    expires_in: int
    issued_at: float


@dataclass(frozen=True)
class VerifiedToken:
    """What a valid token says: who, until when, and the granted actions per (type, name)."""

    subject: str | None
    expires_at: float
    access: dict[tuple[str, str], frozenset[str]]

    def allows(self, scope: ResourceScope) -> bool:
        """True when every action of `scope` was granted."""
        granted = self.access.get((scope.type, scope.name), frozenset())
        return all(action in granted for action in scope.actions)


class InvalidTokenError(ValueError):
    """The token is malformed, badly signed, for another audience or issuer, or outside its time window."""


class TokenIssuer:
    """Signs tokens with the service's key."""

    def __init__(self, key: SigningKey, issuer: str, ttl: int) -> None:
        self.key = key
        self.issuer = issuer
        self.ttl = ttl

    def issue(self, subject: str | None, audience: str, granted: list[ResourceScope]) -> IssuedToken:
        """A token for `subject` (None = anonymous) valid at `audience` for the `granted` scopes."""
        started = time.time()
        now = int(started)
        claims = {
            "iss": self.issuer,
            "sub": subject or "",
            "aud": audience,
            "iat": now,
            "nbf": now - 1,
            "exp": math.ceil(started + self.ttl),  # whole seconds: never shorter than expires_in
            "jti": secrets.token_urlsafe(16),
            "access": [scope.claim() for scope in granted if scope.actions],
        }
        headers = {"kid": self.key.key_id}
        token = jwt.encode(claims, self.key.private_key, algorithm=ALGORITHM, headers=headers)
        return IssuedToken(token, self.ttl, float(now))


class TokenVerifier:
    """Checks tokens issued by `TokenIssuer` for one audience."""

    def __init__(self, key: SigningKey, issuer: str, audience: str) -> None:
        self.public_key = key.public_key
        self.issuer = issuer
        self.audience = audience
        self._cache: dict[str, VerifiedToken] = {}

    def verify(self, token: str) -> VerifiedToken:
        """The token's content, or InvalidTokenError."""
        cached = self._cache.get(token)
        now = time.time()
        if cached is not None:
            if cached.expires_at > now:
                return cached
            del self._cache[token]
            raise InvalidTokenError("token expired")
        try:
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "nbf", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(str(exc)) from None
        verified = VerifiedToken(claims["sub"] or None, float(claims["exp"]), _access(claims.get("access")))
        if len(self._cache) >= CACHE_LIMIT:
            self._cache = {key: value for key, value in self._cache.items() if value.expires_at > now}
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
        self._cache[token] = verified
        return verified


def _access(claim: object) -> dict[tuple[str, str], frozenset[str]]:
    if not isinstance(claim, list):
        raise InvalidTokenError("the access claim is not a list")
    access: dict[tuple[str, str], frozenset[str]] = {}
    for entry in claim:
        if not isinstance(entry, dict):
            raise InvalidTokenError("an access entry is not an object")
        kind, name, actions = entry.get("type"), entry.get("name"), entry.get("actions")
        if not isinstance(kind, str) or not isinstance(name, str) or not isinstance(actions, list):
            raise InvalidTokenError("an access entry lacks type, name or actions")
        key = (kind, name)
        access[key] = access.get(key, frozenset()) | frozenset(a for a in actions if isinstance(a, str))
    return access
