"""How the auth checks judge an answer to a request that must not get through: its challenge and its refusal.

The rules are in `conformance.ledger.rules.auth`, which also explains which document binds the registry.

- `challenges_of(response)`: the parsed `WWW-Authenticate` challenges (a 401 whose header does not parse
  carries no challenge: challenge-on-401).
- `check_challenge(response, what, ...)`: a 401's challenge: present, Basic (with a realm) or Bearer
  (auth-params, a token URL as realm, `service`, scopes in scope.md's grammar naming the repository and
  action; no `error` when the request carried no credentials). Other schemes end the check unsupported.
- `check_refused(response, what, access_rule=...)`: a request that must not get through: a 2xx breaks
  `access_rule` (the rule that makes this refusal a requirement, or advice where only policy does); otherwise
  the answer should be 401 with a challenge or 403 (404 where `hidden_ok`), its JSON body an OCI envelope.
- `check_invalid_token_refused(response, what)`: a token that fails verification (tampered, expired, for
  another audience) is refused, preferably 401 with an `error` attribute.
- `token_challenge(client)`: the Bearer challenge of an anonymous `GET /v2/` when its realm is a token URL
  (Docker token auth), else None; `is_token_url(realm)`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from conformance.checks.documents import error_codes
from conformance.client import RegistryClient, Response
from conformance.client.auth import Challenge, ChallengeParseError, parse_www_authenticate
from conformance.ledger.model import Rule
from conformance.ledger.rules import auth
from conformance.verdicts import judge, note, unsupported

_SCOPE_RE = re.compile(r"[a-z0-9]+(?:\([a-z0-9]+\))?:[^\s]+:[a-z*]*(?:,[a-z*]*)*")
"""scope.md's `resourcescope` (type with an optional class, a name that may hold one ':', actions); `*` is
accepted in actions for the common `registry:catalog:*`."""
SPOKEN_SCHEMES = ("basic", "bearer")
ERROR_PARAMS = ("error", "error_description", "error_uri")


def challenges_of(response: Response) -> list[Challenge]:
    """Every challenge of the response's `WWW-Authenticate` headers (a 401's unparseable value fails)."""
    found: list[Challenge] = []
    for value in response.headers.get_list("www-authenticate"):
        try:
            found += parse_www_authenticate(value)
        except ChallengeParseError as exc:
            if response.status_code == 401:
                judge(auth.CHALLENGE_ON_401, False,
                      f"{response.describe()}: WWW-Authenticate {value!r} holds no challenge: {exc}")
            else:
                note(f"{response.describe()}: unparseable WWW-Authenticate {value!r}: {exc}")
    return found


def is_token_url(realm: str | None) -> bool:
    """True when `realm` is an absolute http(s) URL (where Docker token auth sends clients for a token)."""
    parts = urlsplit(realm or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def check_challenge(
    response: Response,
    what: str,
    *,
    repository: str | None = None,
    action: str | None = None,
    anonymous: bool = False,
) -> Challenge:
    """Judge a 401's challenge; return the one a client would answer (Bearer preferred over Basic).

    `repository`/`action`: the scope the request needed (the challenge should name it). `anonymous`: the
    request carried no `Authorization`, so a Bearer challenge should carry no `error`.
    """
    __tracebackhide__ = True
    challenges = challenges_of(response)
    judge(auth.CHALLENGE_ON_401, challenges,
          f"{what}: {response.describe()} without a WWW-Authenticate challenge")
    usable = [c for c in challenges if c.scheme in SPOKEN_SCHEMES]
    if not usable:
        schemes = sorted({c.scheme for c in challenges})
        unsupported(f"{what}: the registry challenges with {schemes}; the harness speaks Basic and Bearer")
    bearer = next((c for c in usable if c.scheme == "bearer"), None)
    if bearer is None:
        basic = usable[0]
        judge(auth.BASIC_REALM, basic.realm is not None, f"{what}: Basic challenge without a realm")
        note(f"{what}: Basic challenge (realm {basic.realm!r})")
        return basic
    judge(auth.BEARER_AUTH_PARAMS, bool(bearer.params),
          f"{what}: a Bearer challenge without auth-params ({bearer.token68 or 'nothing'} follows it)")
    judge(auth.TOKEN_REALM, is_token_url(bearer.realm),
          f"{what}: Bearer realm {bearer.realm!r} is not an absolute http(s) URL of a token service")
    judge(auth.TOKEN_REALM, bool(bearer.service), f"{what}: Bearer challenge without a service parameter")
    for scope in bearer.scopes:
        judge(auth.SCOPE_GRAMMAR, _SCOPE_RE.fullmatch(scope) is not None,
              f"{what}: challenge scope {scope!r} does not follow type:name:actions")
    if repository is not None and action is not None:
        named = [s for s in bearer.scopes if s.startswith(f"repository:{repository}:")]
        judge(auth.SCOPE_CHALLENGE, any(action in s.rsplit(":", 1)[1].split(",") for s in named),
              f"{what}: challenge scope {list(bearer.scopes)} does not name repository:{repository}:{action}")
    if anonymous:
        sent = [name for name in ERROR_PARAMS if name in bearer.params]
        judge(auth.BEARER_NO_ERROR_WITHOUT_TOKEN, not sent,
              f"{what}: the challenge to a request without credentials carries {sent}")
    return bearer


def check_refused(
    response: Response,
    what: str,
    *,
    access_rule: Rule,
    bearer: bool,
    hidden_ok: bool = False,
    repository: str | None = None,
    action: str | None = None,
    anonymous: bool = False,
) -> bool:
    """Judge an answer to a request that must not get through; return whether it was refused.

    A 2xx breaks `access_rule`. A refusal should be 401 with a challenge or 403 (404 too when `hidden_ok`:
    a read may hide that a private repository exists), its JSON body an OCI error envelope; `bearer` says
    whether the registry uses Bearer challenges (a 403 of a Bearer registry should carry one too).
    """
    __tracebackhide__ = True
    status = response.status_code
    if 200 <= status < 300:
        judge(access_rule, False, f"{what}: {response.describe()}: the request was served")
        return False
    allowed = (401, 403, 404) if hidden_ok else (401, 403)
    judge(auth.REFUSAL_STATUS, status in allowed,
          f"{what}: {response.describe()}, expected {' or '.join(map(str, allowed))}")
    if status == 401:
        check_challenge(response, what, repository=repository, action=action, anonymous=anonymous)
    elif status == 403 and bearer:
        judge(auth.BEARER_CHALLENGE_ON_REFUSAL, any(c.scheme == "bearer" for c in challenges_of(response)),
              f"{what}: a 403 of a Bearer registry without a Bearer challenge")
    codes = error_codes(response)
    if codes is not None and status == 401:
        judge(auth.CODE_UNAUTHORIZED, "UNAUTHORIZED" in codes, f"{what}: a 401 body with codes {codes}")
    elif codes is not None and status == 403:
        judge(auth.CODE_DENIED, "DENIED" in codes, f"{what}: a 403 body with codes {codes}")
    return True


def check_invalid_token_refused(response: Response, what: str) -> None:
    """A token failing verification must be refused (token-verified); RFC 6750: 401 with an `error`."""
    __tracebackhide__ = True
    if not check_refused(response, what, access_rule=auth.TOKEN_VERIFIED, bearer=True, hidden_ok=True):
        return
    judge(auth.BEARER_INVALID_TOKEN_401, response.status_code == 401, f"{what}: {response.describe()}")
    if response.status_code == 401:
        challenge = check_challenge(response, what)
        judge(auth.BEARER_ERROR_ATTRIBUTE, challenge.error is not None,
              f"{what}: the challenge carries no error attribute")
        judge(auth.BEARER_ERROR_CODES, challenge.error in (None, "invalid_token"),
              f"{what}: the challenge's error is {challenge.error!r}, expected invalid_token")


def token_challenge(client: RegistryClient) -> Challenge | None:
    """The Bearer challenge of an anonymous `GET /v2/` whose realm is a token URL, or None (Basic, none)."""
    response = client.request("GET", "/v2/", auth=False)
    if response.status_code != 401:
        return None
    return next((c for c in challenges_of(response) if c.scheme == "bearer" and is_token_url(c.realm)), None)
