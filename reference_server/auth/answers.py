"""Answers the auth layer sends itself: challenges, refusals, JSON documents, complete ASGI responses.

Refusals go through `errors.render` (the one envelope renderer); the token and admin endpoints send JSON.

Refusals (see README "Authentication"):

- no or wrong credentials, missing/invalid/expired token -> 401 ``UNAUTHORIZED`` with a challenge
  (``Basic realm=...`` or ``Bearer realm=...,service=...,scope=...[,error=invalid_token]``);
- token mode, valid token without the needed actions -> 401 ``UNAUTHORIZED`` with
  ``error="insufficient_scope"`` in the challenge, as distribution answers;
- basic mode, signed-in user without access -> 403 ``DENIED``.
"""

from __future__ import annotations

import json
from typing import Any

from reference_server import errors
from reference_server.auth.scopes import ResourceScope
from reference_server.errors import Headers, OciError

API_VERSION_HEADER = (b"docker-distribution-api-version", b"registry/2.0")


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def bearer_challenge(
    realm: str, service: str, scope: ResourceScope | None, error: str | None = None
) -> bytes:
    """``Bearer realm="..",service="..",scope=".."[,error=".."]`` (RFC 6750 section 3)."""
    parts = [f"realm={_quote(realm)}", f"service={_quote(service)}"]
    if scope is not None:
        parts.append(f"scope={_quote(str(scope))}")
    if error is not None:
        parts.append(f"error={_quote(error)}")
    return ("Bearer " + ",".join(parts)).encode("latin-1", errors="replace")


def basic_challenge(realm: str) -> bytes:
    """``Basic realm=".."``."""
    return f"Basic realm={_quote(realm)}".encode("latin-1", errors="replace")


def _detail(scope: ResourceScope | None) -> list[dict[str, str]] | None:
    if scope is None:
        return None
    return [{"Type": scope.type, "Name": scope.name, "Action": action} for action in scope.actions]


def unauthorized(challenge: bytes, scope: ResourceScope | None, message: str) -> OciError:
    """401 UNAUTHORIZED carrying `challenge`."""
    return OciError("UNAUTHORIZED", message, _detail(scope), headers=[(b"www-authenticate", challenge)])


def denied(scope: ResourceScope | None, message: str) -> OciError:
    """403 DENIED."""
    return OciError("DENIED", message, _detail(scope))


async def send_error(send: Any, error: OciError, *, head: bool = False) -> None:
    """Render `error` with `errors.render` and send it."""
    rendered = errors.render(error)
    await send_complete(send, rendered.status, rendered.headers, b"" if head else rendered.body, head=head)


async def send_json(send: Any, status: int, document: object) -> None:
    """Send a JSON document (token and admin endpoints)."""
    body = json.dumps(document).encode()
    headers: Headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    await send_complete(send, status, headers, body)


async def send_complete(send: Any, status: int, headers: Headers, body: bytes, *, head: bool = False) -> None:
    """Send a whole response (Content-Length must already be among `headers`)."""
    await send({"type": "http.response.start", "status": status, "headers": [*headers, API_VERSION_HEADER]})
    await send({"type": "http.response.body", "body": b"" if head else body})
