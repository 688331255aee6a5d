"""The token endpoint (Docker token spec, GET and OAuth2 POST) and the owners' visibility endpoint.

``GET /auth/token?service=S&scope=A&scope=B`` with optional ``Authorization: Basic``: anonymous without
credentials, 401 ``UNAUTHORIZED`` (Basic challenge) for wrong ones. The answer grants, per requested scope,
the intersection of the requested and the allowed actions (possibly nothing: refusals happen at the
registry). Body: ``{"token", "access_token", "expires_in", "issued_at"}``; the audience is ``service``
(default: this server's ``--token-service``), so one token service can serve other registries too.

``POST /auth/token`` (``application/x-www-form-urlencoded``, OAuth2): ``grant_type=password`` with
``username``/``password`` (or none: anonymous), ``service``, ``client_id``, ``scope`` (space separated);
answers ``{"access_token", "token_type": "Bearer", "scope", "expires_in", "issued_at"}``. No refresh tokens:
``grant_type=refresh_token`` answers 400 ``UNSUPPORTED``.

``GET|PUT /admin/repositories/<name>/visibility``: an owner of ``<name>`` (Basic credentials, or in token
mode a token granting ``push`` on it) reads or sets ``{"visibility": "public" | "private"}``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from reference_server.auth.answers import basic_challenge, denied, send_error, send_json, unauthorized
from reference_server.auth.scopes import REPOSITORY, ResourceScope, parse_scopes
from reference_server.auth.service import ADMIN_PREFIX, AuthService, bearer_of, credentials_of
from reference_server.auth.tokens import InvalidTokenError
from reference_server.errors import OciError
from reference_server.grammar import NAME_RE

TOKEN_REALM_NAME = "registry-harness token service"
MAX_FORM_BYTES = 64 * 1024
VISIBILITY_SUFFIX = "/visibility"


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    return next((value.decode("latin-1") for key, value in scope["headers"] if key == name), None)


async def _read_body(receive: Any, limit: int) -> bytes:
    pieces: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > limit:
            raise OciError("SIZE_INVALID", f"request body over {limit} bytes", status=413)
        pieces.append(chunk)
        if not message.get("more_body", False):
            return b"".join(pieces)


def _authenticate(service: AuthService, user: str | None, password: str | None) -> str | None:
    if not user and not password:
        return None  # anonymous (also the empty Basic pair some clients send)
    if not service.users.check(user or "", password or ""):
        raise unauthorized(basic_challenge(TOKEN_REALM_NAME), None, "wrong user name or password")
    return user


async def token_endpoint(service: AuthService, scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Serve ``/auth/token`` (GET or POST)."""
    try:
        document = await _token_answer(service, scope, receive)
    except OciError as error:
        await send_error(send, error)
        return
    await send_json(send, 200, document)


async def _token_answer(service: AuthService, scope: dict[str, Any], receive: Any) -> dict[str, Any]:
    method = scope["method"]
    if method == "GET":
        params = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        authorization = _header(scope, b"authorization")
        credentials = credentials_of(authorization)
        if authorization and credentials is None:
            raise unauthorized(basic_challenge(TOKEN_REALM_NAME), None, "only Basic credentials are accepted")
        user = _authenticate(service, *(credentials or (None, None)))
        requested = parse_scopes([value for key, value in params if key == "scope"])
        oauth = False
    elif method == "POST":
        form = dict(parse_qsl((await _read_body(receive, MAX_FORM_BYTES)).decode("utf-8", "replace")))
        params = list(form.items())
        grant_type = form.get("grant_type", "password")
        if grant_type != "password":
            raise OciError("UNSUPPORTED", f"grant_type {grant_type!r} is not supported (no refresh tokens)",
                           status=400)
        user = _authenticate(service, form.get("username") or None, form.get("password"))
        requested = parse_scopes([form.get("scope", "")])
        oauth = True
    else:
        raise OciError("UNSUPPORTED", f"method {method} not allowed here", {"allowed": ["GET", "POST"]},
                       headers=[(b"allow", b"GET, POST")])
    audience = next((value for key, value in params if key == "service" and value), service.service)
    granted = [service.access.grant(user, wanted) for wanted in requested]
    assert service.issuer is not None
    issued = service.issuer.issue(user, audience, granted)
    issued_at = datetime.fromtimestamp(issued.issued_at, UTC).isoformat().replace("+00:00", "Z")
    answer: dict[str, Any] = {
        "access_token": issued.token,
        "expires_in": issued.expires_in,
        "issued_at": issued_at,
    }
    if oauth:
        answer["token_type"] = "Bearer"
        answer["scope"] = " ".join(str(scope) for scope in granted if scope.actions)
    else:
        answer["token"] = issued.token
    return answer


async def admin_endpoint(service: AuthService, scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Serve ``/admin/repositories/<name>/visibility``."""
    try:
        status, document = await _admin_answer(service, scope, receive)
    except OciError as error:
        await send_error(send, error)
        return
    await send_json(send, status, document)


def _admin_user(service: AuthService, scope: dict[str, Any], name: str) -> str:
    authorization = _header(scope, b"authorization")
    wanted = ResourceScope(REPOSITORY, name, ("push",))
    token = bearer_of(authorization)
    if token is not None and service.verifier is not None:
        try:
            verified = service.verifier.verify(token)
        except InvalidTokenError:
            raise unauthorized(
                basic_challenge(service.service), wanted, "the token is invalid or expired"
            ) from None
        if not verified.allows(wanted) or verified.subject is None:
            raise denied(wanted, "only an owner of the repository may change its visibility")
        return verified.subject
    credentials = credentials_of(authorization)
    if credentials is None or not service.users.check(*credentials):
        raise unauthorized(basic_challenge(service.service), wanted, "an owner's credentials are required")
    if not service.access.owns(credentials[0], name):
        raise denied(wanted, "only an owner of the repository may change its visibility")
    return credentials[0]


async def _admin_answer(
    service: AuthService, scope: dict[str, Any], receive: Any
) -> tuple[int, dict[str, Any]]:
    path: str = scope["path"]
    if not path.endswith(VISIBILITY_SUFFIX):
        raise OciError("UNSUPPORTED", "unknown admin endpoint", status=404)
    name = unquote(path[len(ADMIN_PREFIX) : -len(VISIBILITY_SUFFIX)])
    if len(name) > 255 or NAME_RE.fullmatch(name) is None:
        raise OciError("NAME_INVALID", "invalid repository name", {"name": name[:300]})
    method = scope["method"]
    if method not in ("GET", "PUT"):
        raise OciError("UNSUPPORTED", f"method {method} not allowed here", {"allowed": ["GET", "PUT"]},
                       headers=[(b"allow", b"GET, PUT")])
    _admin_user(service, scope, name)
    if method == "PUT":
        try:
            document = json.loads(await _read_body(receive, MAX_FORM_BYTES))
        except ValueError:
            document = None
        visibility = document.get("visibility") if isinstance(document, dict) else None
        if visibility not in ("public", "private"):
            raise OciError("UNSUPPORTED", 'the body must be {"visibility": "public" | "private"}', status=400)
        service.access.visibility.set(name, visibility)
    current = "public" if service.access.is_public(name) else "private"
    return 200, {"name": name, "visibility": current}
