"""Credentials for load traffic, and the pieces of the Docker token flow that need no HTTP client.

Credentials: a static Bearer token, OCI_USERNAME/OCI_PASSWORD, or a docker config.json entry.

Token flow (distribution `docs/spec/auth/token.md`, RFC 7235 / RFC 6750 challenges): `parse_challenges`
reads a `WWW-Authenticate` value (several challenges, quoted or unquoted parameters), `bearer_challenge`
picks the Bearer one, `token_url` builds `<realm>?service=..&scope=..` (one `scope` parameter per scope),
`parse_token_answer` takes `token` or `access_token` and `expires_in` (60 s when absent), and `TokenCache`
keeps one user's tokens per (realm, service, scope) with their expiry and remembers which token serves
which repository. The HTTP requests themselves are sent by the users (`users/base.py`), so they are
counted in Locust's stats. Tokens are kept out of every repr and message here.

Written here rather than imported from `conformance.client`: that package pulls in httpx/httpcore, which
cannot be imported once gevent has monkey-patched `select` inside a Locust process.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit


def basic_header(username: str, password: str) -> str:
    """`Basic base64(user:password)`."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def _host_key(key: str) -> str:
    host = key.strip()
    for prefix in ("https://", "http://"):
        host = host.removeprefix(prefix)
    return host.split("/", 1)[0].lower()


def docker_config_path(setting: str, environ: Mapping[str, str]) -> Path:
    """`setting` (config.json or its folder), else $DOCKER_CONFIG/config.json, else ~/.docker/config.json."""
    chosen = setting or environ.get("DOCKER_CONFIG", "")
    if chosen:
        path = Path(chosen)
        return path if path.suffix == ".json" else path / "config.json"
    return Path.home() / ".docker" / "config.json"


def from_docker_config(host: str, path: Path) -> str | None:
    """The Basic header for `host` (`host:port`) from a docker config `auths` entry, if there is one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    auths = document.get("auths") if isinstance(document, dict) else None
    if not isinstance(auths, dict):
        return None
    for key, entry in auths.items():
        if _host_key(key) != host.lower() or not isinstance(entry, dict):
            continue
        if isinstance(entry.get("auth"), str) and entry["auth"]:
            try:
                user, _, password = base64.b64decode(entry["auth"]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                continue
            return basic_header(user, password)
        if isinstance(entry.get("username"), str):
            return basic_header(entry["username"], str(entry.get("password", "")))
    return None


def authorization(host: str, bearer_token: str = "", docker_config: str = "",
                  environ: Mapping[str, str] | None = None) -> str | None:
    """The `Authorization` value to send to `host` (`host:port`), or None for anonymous access."""
    env = os.environ if environ is None else environ
    if bearer_token:
        return "Bearer " + bearer_token
    if env.get("OCI_USERNAME"):
        return basic_header(env["OCI_USERNAME"], env.get("OCI_PASSWORD", ""))
    return from_docker_config(host, docker_config_path(docker_config, env))


# ---- challenges -------------------------------------------------------------------------------------

DEFAULT_EXPIRES_IN = 60.0
"""Token lifetime when the answer has no `expires_in` (distribution token spec)."""

_TCHAR = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_ACTIONS = re.compile(r"[a-z*]+")
_REPOSITORY_PATH = re.compile(r"/v2/(.+?)/(?:blobs|manifests|tags|referrers)/")


@dataclass(frozen=True)
class Challenge:
    """One challenge of a `WWW-Authenticate` value: scheme (lower case), parameters (names lower case)."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)
    token68: str | None = None


@dataclass(frozen=True)
class BearerChallenge:
    """What a Bearer challenge asks for: the token realm, the service and the scopes (maybe none)."""

    realm: str
    service: str | None
    scopes: tuple[str, ...]
    error: str | None = None


def _skip(text: str, pos: int, chars: str) -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


def _quoted(text: str, pos: int) -> tuple[str, int]:
    """The quoted-string starting at `pos` (on the opening quote), unescaped; and the position after it."""
    out: list[str] = []
    pos += 1
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            out.append(text[pos + 1])
            pos += 2
            continue
        if char == '"':
            return "".join(out), pos + 1
        out.append(char)
        pos += 1
    return "".join(out), pos  # unterminated: take what there is


def _unquoted(text: str, pos: int) -> tuple[str, int]:
    """A bare value: up to the next comma or white space (lenient: realm URLs hold ':' and '/')."""
    end = pos
    while end < len(text) and text[end] not in ", \t":
        end += 1
    return text[pos:end], end


def _param_value(value: str, pos: int) -> tuple[str, bool, int]:
    """The value at `pos` (after `=`): (text, was it unquoted, position after it)."""
    if pos < len(value) and value[pos] == '"':
        text, pos = _quoted(value, pos)
        return text, False, pos
    text, pos = _unquoted(value, pos)
    return text, True, pos


def _challenge_body(value: str, pos: int) -> tuple[dict[str, str], str | None, int]:
    """The parameters (or token68) of the challenge whose scheme ended before `pos`; where the next starts."""
    params: dict[str, str] = {}
    last_bare: str | None = None  # the name of the previous parameter if its value was unquoted
    first = True
    probe = _skip(value, pos, " \t,")  # empty list elements before the first parameter (RFC 7230 #rule)
    name = _TCHAR.match(value, probe)
    if probe != pos and name and value[_skip(value, name.end(), " \t") :].startswith("="):
        pos, first = probe, False
    while pos < len(value):
        start = pos
        name = _TCHAR.match(value, pos)
        if name is None:
            break
        key = name.group().lower()
        after = _skip(value, name.end(), " \t")
        ends = after >= len(value) or value[after] == ","
        if after < len(value) and value[after] == "=":
            blob = _TOKEN68.match(value, start)
            rest = _skip(value, blob.end(), " \t") if blob else start
            if first and blob and (rest >= len(value) or value[rest] == ","):
                return params, blob.group(), rest  # `Basic dXNlcjo=` (ends in "=", no value follows)
            param, bare, pos = _param_value(value, _skip(value, after + 1, " \t"))
            last_bare = key if bare else None
            if key == "scope" and key in params:
                params[key] += " " + param  # several scope parameters: all of them count
            else:
                params.setdefault(key, param)
        elif first and ends:
            return params, name.group(), after  # `Basic dXNlcjpwYXNz`
        elif last_bare == "scope" and ends and _ACTIONS.fullmatch(name.group()):
            params["scope"] += "," + name.group()  # unquoted action list: scope=repository:x:pull,push
            pos = after
        else:
            return params, None, start  # a new challenge begins here
        first = False
        pos = _skip(value, pos, " \t")
        if pos < len(value) and value[pos] == ",":
            pos = _skip(value, pos + 1, " \t")
    return params, None, pos


def parse_challenges(value: str) -> list[Challenge]:
    """Every challenge of a `WWW-Authenticate` value (several headers may be joined with commas).

    `auth-scheme [ token68 | auth-param *( "," auth-param ) ]` per RFC 7235, challenges separated by
    commas. Lenient where servers are sloppy: unquoted values may hold any character but comma and space,
    and an unquoted `scope=repository:x:pull,push` keeps its action list (the `push` after the comma
    would otherwise read as a new scheme).
    """
    challenges: list[Challenge] = []
    pos = 0
    while True:
        pos = _skip(value, pos, " \t,")
        if pos >= len(value):
            return challenges
        scheme = _TCHAR.match(value, pos)
        if scheme is None:
            pos += 1  # garbage: skip a character
            continue
        params, token68, pos = _challenge_body(value, _skip(value, scheme.end(), " \t"))
        challenges.append(Challenge(scheme.group().lower(), params, token68))


def bearer_challenge(value: str) -> BearerChallenge | None:
    """The first Bearer challenge with a realm in a `WWW-Authenticate` value, or None."""
    for challenge in parse_challenges(value):
        realm = challenge.params.get("realm", "").strip()
        if challenge.scheme == "bearer" and realm:
            scopes = tuple(challenge.params.get("scope", "").split())
            return BearerChallenge(realm, challenge.params.get("service") or None, scopes,
                                   challenge.params.get("error") or None)
    return None


# ---- token requests ---------------------------------------------------------------------------------


class TokenAnswerError(ValueError):
    """The token endpoint's answer holds no usable token (the message never quotes the body)."""


def repository_of(url: str) -> str | None:
    """The repository name of a registry API URL (`/v2/<name>/blobs/...`), or None."""
    found = _REPOSITORY_PATH.match(urlsplit(url).path)
    return found.group(1) if found else None


def mount_scope(url: str) -> str | None:
    """`repository:<from>:pull` for a cross-repository mount URL (`?mount=..&from=..`), else None."""
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    source = query.get("from")
    return f"repository:{source}:pull" if "mount" in query and source else None


def token_url(realm: str, service: str | None, scopes: tuple[str, ...]) -> str:
    """`<realm>?service=S&scope=A&scope=B`, keeping any query the realm already has."""
    params = [("service", service)] if service else []
    params += [("scope", scope) for scope in scopes]
    if not params:
        return realm
    return realm + ("&" if "?" in realm else "?") + urlencode(params)


def parse_token_answer(body: bytes) -> tuple[str, float]:
    """(token, expires_in seconds) from a token endpoint answer: `token`, else `access_token`."""
    try:
        document = json.loads(body)
    except ValueError:
        raise TokenAnswerError("the token answer is not JSON") from None
    if not isinstance(document, dict):
        raise TokenAnswerError("the token answer is not a JSON object")
    token = document.get("token") or document.get("access_token")
    if not isinstance(token, str) or not token:
        raise TokenAnswerError("the token answer has neither 'token' nor 'access_token'")
    expires_in = document.get("expires_in")
    if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool) and expires_in > 0:
        return token, float(expires_in)
    return token, DEFAULT_EXPIRES_IN


# ---- the per-user cache -----------------------------------------------------------------------------


def normal_scope(scope: str) -> str:
    """`type:name:actions` with its actions sorted and deduplicated (distribution sends `push,pull` too)."""
    head, sep, actions = scope.rpartition(":")
    if not sep or ":" not in head:
        return scope
    return f"{head}:{','.join(sorted({action for action in actions.split(',') if action}))}"


@dataclass(frozen=True)
class TokenKey:
    """What a token was asked for: realm, service and the scopes (sorted, so their order does not matter)."""

    realm: str
    service: str | None
    scopes: tuple[str, ...]

    @classmethod
    def of(cls, realm: str, service: str | None, scopes: tuple[str, ...]) -> TokenKey:
        """The key for a request of `scopes`, each in `normal_scope` form, duplicates dropped."""
        return cls(realm, service, tuple(sorted({normal_scope(scope) for scope in scopes})))


@dataclass
class CachedToken:
    """A token, when to stop using it (monotonic seconds), and whether the registry ever accepted it."""

    token: str = field(repr=False)
    refresh_at: float
    accepted: bool = False


class TokenCache:
    """One user's tokens per `TokenKey`, and which key serves which repository (or other resource).

    A token is used until `refresh_at`: its lifetime minus a fifth of it (at most 10 s), so a token does
    not run out while a large body is on the wire.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._tokens: dict[TokenKey, CachedToken] = {}
        self._routes: dict[str, TokenKey] = {}

    def __repr__(self) -> str:
        return f"TokenCache({len(self._tokens)} tokens)"

    def put(self, key: TokenKey, token: str, expires_in: float) -> CachedToken:
        """Keep `token` for `key`, valid for `expires_in` seconds from now."""
        entry = CachedToken(token, self.clock() + expires_in - min(10.0, expires_in / 5))
        self._tokens[key] = entry
        return entry

    def get(self, key: TokenKey) -> CachedToken | None:
        """The token for `key` if there is one that has not reached its refresh time."""
        entry = self._tokens.get(key)
        return entry if entry is not None and self.clock() < entry.refresh_at else None

    def route(self, resource: str, key: TokenKey) -> None:
        """Use the token of `key` for requests on `resource` from now on."""
        self._routes[resource] = key

    def key_for(self, resource: str) -> TokenKey | None:
        """The key whose token serves `resource`, if a challenge for it was answered before."""
        return self._routes.get(resource)

    def accept(self, key: TokenKey, token: str) -> None:
        """The registry accepted `token` (sent for `key`): a later 401 with it means fetch a new one."""
        entry = self._tokens.get(key)
        if entry is not None and entry.token == token:
            entry.accepted = True

    def should_fetch(self, key: TokenKey, sent: str | None) -> bool:
        """Whether a fresh token for `key` is worth a request, after a 401 on a request that carried `sent`.

        Yes when there is no valid token, or when the valid one is what was just refused after having
        worked before (expired early, the registry's key changed). A token that was refused without ever
        having worked is not fetched again until it expires: the scope is simply not granted.
        """
        entry = self.get(key)
        if entry is None:
            return True
        if entry.token != sent:
            return False  # another token for this key is at hand: retry with it
        return entry.accepted
