"""Authentication checks' setup: the registry the auth checks talk to, who signs in there, and their content.

`AuthTarget` is the registry the auth checks talk to and the identities they use:

- a registry URL was given: that registry, with the run's credentials (OCI_USERNAME/OCI_PASSWORD or Docker's
  config.json) pushing under the run's namespace, and an optional second user (OCI_USERNAME2/OCI_PASSWORD2)
  pushing under OCI_NAMESPACE2 (default ``<username2>/conformance-<random>``, ghcr.io's ``OWNER/IMAGE``);
  without credentials the checks are unsupported;
- the bundled server: `start_bundled_token_server` starts a SECOND bundled reference server with
  ``--auth token``, a short token lifetime (`BUNDLED_TOKEN_TTL`) and two generated users (random passwords
  held only in memory and a bcrypt users file), each pushing under their own namespace.

Owner content: `private_image(target, transcript, owner, repo)` pushes a small image as `owner` and deletes
it afterwards (quietly: cleanup never changes a verdict).

How answers are judged lives in `auth_challenges` (challenges, refusals) and `auth_tokens` (token requests,
token answers, what a token grants).
"""

from __future__ import annotations

import os
import random
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt

from conformance import registries
from conformance.checks.auth_challenges import token_challenge
from conformance.client import Credentials, RegistryClient, Transcript, WriteScope
from conformance.client.auth import Challenge
from conformance.content import image_manifest
from conformance.verdicts import HarnessError, note

BUNDLED_TOKEN_TTL = 2
SECOND_USER_ENV = ("OCI_USERNAME2", "OCI_PASSWORD2")
SECOND_NAMESPACE_ENV = "OCI_NAMESPACE2"


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
    _token_challenge: tuple[Challenge | None] | None = field(default=None, init=False, repr=False)

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

    def token_challenge(self, transcript: Transcript) -> Challenge | None:
        """The registry's Docker token auth challenge (anonymous `GET /v2/`), None without; asked once."""
        if self._token_challenge is None:
            with self.client(transcript) as anonymous:
                self._token_challenge = (token_challenge(anonymous),)
        return self._token_challenge[0]

    def client(self, transcript: Transcript, *, who: Credentials | None = None) -> RegistryClient:
        """A client signing in as `who` (None: anonymous), recording into `transcript`.

        It writes only under the two users' namespaces (the run's namespace, and OCI_NAMESPACE2's).
        """
        return RegistryClient(self.url, credentials=who, verify=self.verify, timeout=self.timeout,
                              transcript=transcript,
                              write_scope=WriteScope.of(self.namespace, self.namespace2))

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




@contextmanager
def private_image(
    target: AuthTarget, transcript: Transcript, owner: Credentials, repo: str
) -> Iterator[tuple[RegistryClient, str]]:
    """`owner`'s client and the digest of a small image it pushed into `repo`, deleted (quietly) afterwards.

    A refused push is a refused setup step (`SetupFailed`: category-claim).
    """
    with target.client(transcript, who=owner) as client:
        manifest = image_manifest(random.Random(repo), layer_size=64)
        client.push_image(repo, manifest)
        try:
            yield client, manifest.digest
        finally:
            _delete_quietly(client, repo, manifest.digest)


def _delete_quietly(client: RegistryClient, repo: str, digest: str) -> None:
    try:
        response = client.manifest_delete(repo, digest)
    except Exception as exc:  # cleanup never changes a verdict
        note(f"cleanup: DELETE {repo}@{digest} failed: {exc}")
        return
    if response.status_code not in (202, 404):
        note(f"cleanup: DELETE {repo}@{digest} answered {response.status_code}; content left behind")
