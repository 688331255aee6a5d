"""Tokens of Docker token auth as the auth checks see them (rules in `conformance.ledger.rules.auth`).

Asking for one, judging the token service's answer, and reading what a token grants:

- `fetch_token(client, challenge, scopes, who, target)`: an explicit token request for chosen scopes as `who`
  (None: anonymous), optionally for another `service`; a 200 must carry `token` or `access_token`.
- `check_token_answer(fetched, bundled=)`: the SHOULDs and descriptions of token.md's response fields.
- `read_claims(token)`: a JWT's `aud` and `access` claims, read WITHOUT verifying anything (the suite never
  judges a token's structure: tokens are opaque to clients); None for a token that is no JWT.
- `served_rule(token, repository, action)`: the rule a request served with `token` breaks when it should
  have been refused: scope-enforced when the token demonstrably lacks the action, else access-policy.
- `owner_token(...)`: a token for a user's own repository (a refusal is a refused workflow step);
  `bearer_headers(token)`; `tampered(token)`: the token with one signature character changed.
- `assert_no_secret(transcript, secrets)`: credentials and tokens never reach a transcript.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt
from rfc3339_validator import validate_rfc3339  # type: ignore[import-untyped]

from conformance.client import Credentials, RegistryClient, Transcript
from conformance.client.auth import Challenge, repository_scope
from conformance.ledger.model import Rule
from conformance.ledger.rules import auth, general
from conformance.verdicts import HarnessError, judge, note

if TYPE_CHECKING:
    from conformance.checks.auth import AuthTarget

OLD_CLIENT_MINIMUM_LIFETIME = 60.0


@dataclass(frozen=True)
class FetchedToken:
    """A token service's answer: the status, the token and lifetime when it issued one, the JSON document."""

    status: int
    token: str | None = field(repr=False)
    expires_in: float | None
    document: dict[str, Any] | None = field(default=None, repr=False)


def fetch_token(
    client: RegistryClient,
    challenge: Challenge,
    scopes: list[str],
    who: Credentials | None,
    target: AuthTarget,
    *,
    service: str | None = None,
) -> FetchedToken:
    """GET the challenge's realm for `scopes` as `who` (the transcript redacts the answer's tokens)."""
    __tracebackhide__ = True
    audience = service if service is not None else challenge.service
    params = ([("service", audience)] if audience else []) + [("scope", s) for s in scopes]
    headers = {"Accept": "application/json"}
    if who is not None:
        headers["Authorization"] = who.basic_header()
    response = client.request("GET", challenge.realm or "", params=params, headers=headers, auth=False)
    if response.status_code != 200:
        return FetchedToken(response.status_code, None, None)
    try:
        document: Any = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        document = None
    if not isinstance(document, dict):
        judge(auth.TOKEN_RESPONSE_TOKEN, False,
              f"the token response is no JSON object: {response.describe()}")
        raise HarnessError("unreachable: token-response-token is a MUST")
    values = [value for value in (document.get("token"), document.get("access_token"))
              if isinstance(value, str)]
    target.secrets_seen.update(value for value in values if value)
    token = next((value for value in values if value), None)
    judge(auth.TOKEN_RESPONSE_TOKEN, token is not None,
          f"the token response of {response.describe()} has neither 'token' nor 'access_token' "
          f"(fields: {sorted(document)})")
    lifetime = document.get("expires_in")
    seconds = None
    if isinstance(lifetime, int | float) and not isinstance(lifetime, bool):
        seconds = float(lifetime)
    return FetchedToken(200, token, seconds, document)


def check_token_answer(fetched: FetchedToken, *, bundled: bool) -> None:
    """token.md's response fields: `token` equal to `access_token`, >= 60 s to live, `issued_at`."""
    __tracebackhide__ = True
    document = fetched.document or {}
    token, access_token = document.get("token"), document.get("access_token")
    if token is not None and access_token is not None:
        judge(auth.TOKEN_RESPONSE_EQUAL, token == access_token, "the token response's 'token' and "
              "'access_token' differ")
    lifetime = document.get("expires_in")
    if lifetime is not None:
        judge(auth.TOKEN_EXPIRES_IN, fetched.expires_in is not None and fetched.expires_in > 0,
              f"expires_in is {lifetime!r}, not a positive number of seconds")
    if fetched.expires_in is not None and bundled:
        note(f"the bundled token server issues tokens for {fetched.expires_in:g} s: the harness started it "
             "so, to check expiry")
    elif fetched.expires_in is not None:
        judge(auth.TOKEN_MIN_LIFETIME, fetched.expires_in >= OLD_CLIENT_MINIMUM_LIFETIME,
              f"the token service issued a token with expires_in {fetched.expires_in:g}")
    issued_at = document.get("issued_at")
    if issued_at is not None:
        judge(auth.TOKEN_ISSUED_AT, isinstance(issued_at, str) and validate_rfc3339(issued_at),
              f"issued_at {issued_at!r} is no RFC 3339 date-time")


@dataclass(frozen=True)
class Claims:
    """What a JWT says it grants: its audiences and, per (type, name), the actions of its `access` claim."""

    audiences: tuple[str, ...]
    access: dict[tuple[str, str], frozenset[str]] | None

    def grants(self, repository: str, action: str) -> bool | None:
        """Whether the `access` claim grants `action` on `repository` (None: the token has no such claim)."""
        if self.access is None:
            return None
        actions = self.access.get(("repository", repository), frozenset())
        return action in actions or "*" in actions


def read_claims(token: str) -> Claims | None:
    """The `aud` and `access` claims of `token` if it is a JWT (nothing is verified), else None."""
    try:
        payload = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    audience = payload.get("aud")
    listed = audience if isinstance(audience, list) else [audience]
    audiences = tuple(entry for entry in listed if isinstance(entry, str))
    entries = payload.get("access")
    if not isinstance(entries, list):
        return Claims(audiences, None)
    access: dict[tuple[str, str], frozenset[str]] = {}
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("actions"), list):
            key = (str(entry.get("type", "")).split("(", 1)[0], str(entry.get("name", "")))
            access[key] = access.get(key, frozenset()) | {str(a) for a in entry["actions"]}
    return Claims(audiences, access)


def served_rule(token: str | None, repository: str, action: str) -> Rule:
    """The rule a request served with `token` (None: without one) breaks if it should have been refused."""
    claims = read_claims(token) if token else None
    grants = claims.grants(repository, action) if claims is not None else None
    return auth.SCOPE_ENFORCED if grants is False else auth.ACCESS_POLICY


def owner_token(
    client: RegistryClient,
    challenge: Challenge,
    repository: str,
    actions: tuple[str, ...],
    *,
    who: Credentials,
    target: AuthTarget,
) -> str:
    """A token for `who`'s own `repository`; a refusal is a refused step of the workflow (category-claim)."""
    __tracebackhide__ = True
    fetched = fetch_token(client, challenge, [repository_scope(repository, actions)], who, target)
    judge(general.CATEGORY_CLAIM, fetched.token is not None,
          f"the token service refused {who.username} a {','.join(actions)} token for {repository} in their "
          f"own namespace: it answered {fetched.status}")
    if fetched.token is None:
        raise HarnessError("unreachable: category-claim is a MUST")
    return fetched.token


def bearer_headers(token: str, **headers: str) -> dict[str, str]:
    """`Authorization: Bearer <token>` plus `headers`."""
    return {"Authorization": f"Bearer {token}", **headers}


def tampered(token: str) -> str:
    """`token` with its second-to-last character changed (inside a JWT's signature)."""
    last = token[-2]
    return token[:-2] + ("A" if last != "A" else "B") + token[-1]


def assert_no_secret(transcript: Transcript, secrets_to_hide: set[str]) -> None:
    """Raise HarnessError when a secret appears in the rendered or serialised transcript."""
    rendered = transcript.render() + json.dumps(transcript.to_dicts())
    leaked = [secret for secret in secrets_to_hide if secret and secret in rendered]
    if leaked:
        raise HarnessError(f"{len(leaked)} credential(s) appear in the transcript: redaction is broken")
