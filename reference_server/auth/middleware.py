"""The ASGI middleware that puts authentication and authorization in front of `RegistryApp`.

Per request (``--auth basic`` or ``--auth token``):

1. ``/auth/token`` (token mode) and ``/admin/repositories/<name>/visibility`` go to `endpoints`.
2. Paths that are no registry route, and repository names that break the name grammar, pass through:
   the app answers 404 / 400 ``NAME_INVALID`` without touching any content.
3. The identity comes from ``Authorization``: Basic credentials checked against the users file (basic
   mode) or a Bearer token checked by `TokenVerifier` (token mode); none means anonymous.
4. The needed scope (`scopes.needed_scope`) must be allowed: in token mode by the token's ``access`` claim,
   in basic mode by the access model. ``/v2/`` needs any valid identity (an anonymous token will do).
5. A cross-repository mount whose ``from`` repository the caller may not pull (or without ``from``) is
   turned into a plain upload start (the mount parameters are dropped), so no blob leaks across owners.

Refusals are described in `answers`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from reference_server.auth import endpoints
from reference_server.auth.answers import (
    basic_challenge,
    bearer_challenge,
    denied,
    send_error,
    unauthorized,
)
from reference_server.auth.scopes import REPOSITORY, ResourceScope, needed_scope
from reference_server.auth.service import (
    ADMIN_PREFIX,
    BASIC_REALM,
    TOKEN_PATH,
    AuthService,
    bearer_of,
    credentials_of,
)
from reference_server.auth.tokens import InvalidTokenError, VerifiedToken
from reference_server.errors import OciError
from reference_server.grammar import NAME_RE
from reference_server.routes import Match, Route, match

ASGIApp = Any


def realm_of(service: AuthService, scope: dict[str, Any]) -> str:
    """The token endpoint URL: ``--token-realm``, else derived from the request's Host header."""
    if service.realm:
        return service.realm
    host = next((value.decode("latin-1") for key, value in scope["headers"] if key == b"host"), None)
    if not host:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}{TOKEN_PATH}"


def header_of(scope: dict[str, Any], name: bytes) -> str | None:
    """The first value of header `name` (lower-case bytes)."""
    return next((value.decode("latin-1") for key, value in scope["headers"] if key == name), None)


class AuthMiddleware:
    """Wraps the registry app; see the module docstring."""

    def __init__(self, app: ASGIApp, service: AuthService) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == TOKEN_PATH and self.service.mode == "token":
            await endpoints.token_endpoint(self.service, scope, receive, send)
            return
        if path.startswith(ADMIN_PREFIX):
            await endpoints.admin_endpoint(self.service, scope, receive, send)
            return
        raw_path = scope.get("raw_path")
        route = match(raw_path.decode("latin-1") if raw_path else path)
        if route is None or (route.route not in (Route.BASE, Route.CATALOG) and not _grammatical(route.name)):
            await self.app(scope, receive, send)
            return
        try:
            scope = self._authorize(scope, route)
        except OciError as error:
            await send_error(send, error, head=scope["method"] == "HEAD")
            return
        await self.app(scope, receive, send)

    def _authorize(self, scope: dict[str, Any], route: Match) -> dict[str, Any]:
        """The (possibly rewritten) ASGI scope to serve, or OciError."""
        needed = needed_scope(route, scope["method"])
        authorization = header_of(scope, b"authorization")
        if self.service.mode == "token":
            token = self._token(scope, authorization, needed)
            if needed is not None and not token.allows(needed):
                raise unauthorized(
                    bearer_challenge(realm_of(self.service, scope), self.service.service, needed,
                                     "insufficient_scope"),
                    needed,
                    "the token does not grant the access this request needs",
                )
            allows: Callable[[ResourceScope], bool] = token.allows
        else:
            user = self._basic_user(authorization, needed)
            if needed is not None and not self._basic_allows(user, needed):
                if user is None:
                    raise unauthorized(basic_challenge(BASIC_REALM), needed, "authentication required")
                raise denied(needed, f"user {user!r} may not {','.join(needed.actions)} here")
            allows = functools.partial(self._basic_allows, user)

        if route.route is Route.UPLOADS and scope["method"] == "POST":
            return _guard_mount(scope, allows)
        return scope

    def _token(
        self, scope: dict[str, Any], authorization: str | None, needed: ResourceScope | None
    ) -> VerifiedToken:
        realm = realm_of(self.service, scope)
        token = bearer_of(authorization)
        if token is None:
            raise unauthorized(bearer_challenge(realm, self.service.service, needed), needed,
                               "authentication required: get a token from the realm")
        assert self.service.verifier is not None
        try:
            return self.service.verifier.verify(token)
        except InvalidTokenError:
            raise unauthorized(bearer_challenge(realm, self.service.service, needed, "invalid_token"), needed,
                               "the token is invalid or expired") from None

    def _basic_user(self, authorization: str | None, needed: ResourceScope | None) -> str | None:
        """The signed-in user; None when anonymous; 401 for wrong or unusable credentials."""
        credentials = credentials_of(authorization)
        if not authorization or (credentials is not None and credentials == ("", "")):
            # no header, or the empty Basic pair clients send when they have nothing: anonymous
            if needed is None:
                raise unauthorized(basic_challenge(BASIC_REALM), None, "authentication required")
            return None
        if credentials is None or not self.service.users.check(*credentials):
            raise unauthorized(basic_challenge(BASIC_REALM), needed, "wrong user name or password")
        return credentials[0]

    def _basic_allows(self, user: str | None, wanted: ResourceScope) -> bool:
        granted = self.service.access.grant(user, wanted)
        return len(granted.actions) == len(wanted.actions)


def _grammatical(name: str) -> bool:
    return len(name) <= 255 and NAME_RE.fullmatch(name) is not None


def _guard_mount(scope: dict[str, Any], allows: Callable[[ResourceScope], bool]) -> dict[str, Any]:
    """Drop ``mount``/``from`` unless the caller may pull the ``from`` repository."""
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    keys = {key for key, _ in query}
    if "mount" not in keys:
        return scope
    source = next((value for key, value in query if key == "from"), None)
    if source is not None and _grammatical(source) and allows(ResourceScope(REPOSITORY, source, ("pull",))):
        return scope
    if source is not None and not _grammatical(source):
        return scope  # the app answers NAME_INVALID
    kept = [(key, value) for key, value in query if key not in ("mount", "from")]
    return {**scope, "query_string": urlencode(kept).encode("latin-1")}
