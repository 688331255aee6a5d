"""Authentication checks' setup and helpers: who signs in where, and how an auth answer is judged.

`AuthTarget` is the registry the auth checks talk to and the identities they use:

- a registry URL was given: that registry, with the run's credentials (OCI_USERNAME/OCI_PASSWORD or Docker's
  config.json) pushing under the run's namespace, and an optional second user (OCI_USERNAME2/OCI_PASSWORD2)
  pushing under OCI_NAMESPACE2 (default ``<username2>/conformance-<random>``, ghcr.io's ``OWNER/IMAGE``);
  without credentials the checks are unsupported;
- the bundled server: `start_bundled_token_server` starts a SECOND bundled reference server with
  ``--auth token``, a short token lifetime (`BUNDLED_TOKEN_TTL`) and two generated users (random passwords
  held only in memory and a bcrypt users file), each pushing under their own namespace.

Judging helpers: `challenges_of` (parsed `WWW-Authenticate`), `check_challenge` (grammar of Basic and
Bearer challenges: absolute realm, service, scopes), `check_refused` (a refused request: 401 with a
challenge or 403; optionally 404 where hiding existence is allowed), `fetch_token` (an explicit token
request for chosen scopes), `assert_no_secret` (credentials never in a transcript).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import bcrypt

import schemas
from conformance import registries
from conformance.client import Credentials, RegistryClient, Response, Transcript
from conformance.client.auth import Challenge, ChallengeParseError, parse_www_authenticate
from conformance.verdicts import HarnessError, must, note, should

TOKEN_SPEC = "distribution docs/spec/auth/token.md"
SCOPE_SPEC = "distribution docs/spec/auth/scope.md"
CHALLENGE_RFC = "RFC 7235 section 4.1 / RFC 6750 section 3"
BUNDLED_TOKEN_TTL = 2
SECOND_USER_ENV = ("OCI_USERNAME2", "OCI_PASSWORD2")
SECOND_NAMESPACE_ENV = "OCI_NAMESPACE2"
_SCOPE_RE = re.compile(r"[a-z0-9]+(?:\([a-z0-9]+\))?:[^\s]+:[a-z*]*(?:,[a-z*]*)*")


@dataclass
class AuthTarget:
    """The registry the auth checks use and the identities they sign in with."""

    url: str
    verify: bool | str
    timeout: float
    credentials: Credentials | None
    namespace: str
    credentials2: Credentials | None = None
    namespace2: str | None = None
    bundled: bool = False
    process: registries.RegistryProcess | None = None
    secrets_seen: set[str] = field(default_factory=set, repr=False)
    requires_auth: bool | None = None

    def check_requires_auth(self, transcript: Transcript) -> bool:
        """Whether anonymous clients are challenged (GET /v2/) or refused a push; asked once per session."""
        if self.requires_auth is None:
            with self.client(transcript) as anonymous:
                ping = anonymous.request("GET", "/v2/", auth=False)
                if ping.status_code == 401:
                    self.requires_auth = True
                else:
                    repo = self.repository("probe")
                    push = anonymous.request("POST", f"/v2/{repo}/blobs/uploads/", auth=False)
                    self.requires_auth = push.status_code in (401, 403)
                    if push.location and push.status_code == 202:
                        anonymous.request("DELETE", push.location, auth=False)
        return self.requires_auth

    def client(self, transcript: Transcript, *, who: Credentials | None = None) -> RegistryClient:
        """A client signing in as `who` (None: anonymous), recording into `transcript`."""
        return RegistryClient(self.url, credentials=who, verify=self.verify, timeout=self.timeout,
                              transcript=transcript)

    def repository(self, label: str, *, second: bool = False) -> str:
        """A fresh repository under the first (or second) user's namespace."""
        namespace = self.namespace2 if second else self.namespace
        if namespace is None:
            raise HarnessError("no namespace for the second user")
        return f"{namespace}/auth-{label}-{secrets.token_hex(3)}"


def second_credentials(environ: dict[str, str] | None = None) -> tuple[Credentials | None, str | None]:
    """The optional second user (OCI_USERNAME2/OCI_PASSWORD2) and their namespace."""
    env = dict(os.environ) if environ is None else environ
    user_variable, password_variable = SECOND_USER_ENV
    username = env.get(user_variable)
    if not username:
        return None, None
    namespace = env.get(SECOND_NAMESPACE_ENV) or f"{username.lower()}/conformance-{secrets.token_hex(3)}"
    return Credentials(username, env.get(password_variable, "")), namespace.strip("/")


@contextmanager
def start_bundled_token_server(timeout: float) -> Iterator[AuthTarget]:
    """A bundled reference server in token mode with two generated users; stopped on exit."""
    workdir = Path(tempfile.mkdtemp(prefix="registry-harness-auth-"))
    users = {name: Credentials(name, secrets.token_urlsafe(12)) for name in ("alice", "bob")}
    users_file = workdir / "users.htpasswd"
    users_file.write_text("".join(
        f"{name}:{bcrypt.hashpw(user.password.encode(), bcrypt.gensalt(5)).decode()}\n"
        for name, user in users.items()
    ))
    process = registries.start_reference_server(extra_args=[
        "--auth", "token", "--users-file", str(users_file), "--token-ttl", str(BUNDLED_TOKEN_TTL),
    ])
    run = secrets.token_hex(3)
    try:
        yield AuthTarget(process.url, True, timeout, users["alice"], f"alice/conformance-{run}",
                         users["bob"], f"bob/conformance-{run}", bundled=True, process=process)
    finally:
        process.stop()
        users_file.unlink(missing_ok=True)
        workdir.rmdir()


def challenges_of(response: Response) -> list[Challenge]:
    """Every challenge of the response's `WWW-Authenticate` headers; a malformed one fails the check."""
    found: list[Challenge] = []
    for value in response.headers.get_list("www-authenticate"):
        try:
            found += parse_www_authenticate(value)
        except ChallengeParseError as exc:
            must(False, f"unparseable WWW-Authenticate {value!r}: {exc}", ref=CHALLENGE_RFC)
    return found


def check_challenge(response: Response, what: str, *, repository: str | None = None,
                    action: str | None = None) -> Challenge:
    """A 401's challenge: present, Basic or Bearer, well formed; the one a client would answer."""
    challenges = challenges_of(response)
    must(challenges, f"{what}: 401 without a WWW-Authenticate challenge", ref=CHALLENGE_RFC)
    usable = [c for c in challenges if c.scheme in ("basic", "bearer")]
    must(usable, f"{what}: no Basic or Bearer challenge among {[c.scheme for c in challenges]}",
         ref=CHALLENGE_RFC)
    bearer = next((c for c in usable if c.scheme == "bearer"), None)
    if bearer is None:
        note(f"{what}: Basic challenge (realm {usable[0].realm!r})")
        return usable[0]
    realm = bearer.realm or ""
    parts = urlsplit(realm)
    must(parts.scheme in ("http", "https") and bool(parts.netloc),
         f"{what}: Bearer realm {realm!r} is not an absolute http(s) URL", ref=TOKEN_SPEC)
    should(bool(bearer.service), f"{what}: Bearer challenge without a service parameter", ref=TOKEN_SPEC)
    for scope in bearer.scopes:
        must(_SCOPE_RE.fullmatch(scope) is not None,
             f"{what}: challenge scope {scope!r} does not follow type:name:actions", ref=SCOPE_SPEC)
    if repository is not None and action is not None:
        named = [s for s in bearer.scopes if s.startswith(f"repository:{repository}:")]
        should(any(action in s.rsplit(":", 1)[1].split(",") for s in named),
               f"{what}: challenge scope {bearer.scopes} does not name repository:{repository}:{action}",
               ref=SCOPE_SPEC)
    return bearer


def check_refused(response: Response, what: str, *, hidden_ok: bool = False) -> None:
    """A refused request: 401 with a challenge or 403 (or 404 when `hidden_ok`); JSON is an envelope."""
    allowed = (401, 403, 404) if hidden_ok else (401, 403)
    must(response.status_code in allowed,
         f"{what}: {response.describe()}, expected one of {allowed}", ref=TOKEN_SPEC)
    if response.status_code == 401:
        check_challenge(response, what)
    if response.content.lstrip()[:1] == b"{":
        try:
            body = response.json()
        except ValueError:
            must(False, f"{what}: the body looks like JSON but does not parse", ref="spec.md#error-codes")
        violations = schemas.validate(body, "error-envelope")
        must(not violations, f"{what}: the body is not an OCI error envelope: "
             + "; ".join(str(v) for v in violations), ref="spec.md#error-codes")


def bearer_challenge(client: RegistryClient) -> Challenge | None:
    """The registry's Bearer challenge from an anonymous `GET /v2/`, or None (Basic or no auth)."""
    response = client.request("GET", "/v2/", auth=False)
    if response.status_code != 401:
        return None
    return next((c for c in challenges_of(response) if c.scheme == "bearer" and c.realm), None)


@dataclass(frozen=True)
class FetchedToken:
    """A token service's answer: the status, and the token and lifetime when it issued one."""

    status: int
    token: str | None = field(repr=False)
    expires_in: float | None


def fetch_token(client: RegistryClient, challenge: Challenge, scopes: list[str],
                who: Credentials | None, target: AuthTarget) -> FetchedToken:
    """Ask the challenge's realm for a token for `scopes` as `who` (the transcript redacts it)."""
    params = ([("service", challenge.service)] if challenge.service else []) + [("scope", s) for s in scopes]
    headers = {"Accept": "application/json"}
    if who is not None:
        headers["Authorization"] = who.basic_header()
    response = client.request("GET", challenge.realm or "", params=params, headers=headers, auth=False)
    if response.status_code != 200:
        return FetchedToken(response.status_code, None, None)
    try:
        document = response.json()
    except ValueError:
        must(False, f"token response is not JSON: {response.describe()}", ref=TOKEN_SPEC)
    token = document.get("token") or document.get("access_token") if isinstance(document, dict) else None
    if not isinstance(token, str) or not token:
        must(False, "token response has neither 'token' nor 'access_token'", ref=TOKEN_SPEC)
        raise HarnessError("unreachable")
    target.secrets_seen.add(token)
    lifetime = document.get("expires_in")
    return FetchedToken(200, token, float(lifetime) if isinstance(lifetime, int | float) else None)


def assert_no_secret(transcript: Transcript, secrets_to_hide: set[str]) -> None:
    """Raise HarnessError when a secret appears in the rendered or serialised transcript."""
    rendered = transcript.render() + json.dumps(transcript.to_dicts())
    leaked = [secret for secret in secrets_to_hide if secret and secret in rendered]
    if leaked:
        raise HarnessError(f"{len(leaked)} credential(s) appear in the transcript: redaction is broken")
