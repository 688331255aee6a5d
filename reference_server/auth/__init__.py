"""Authentication and authorization for the reference server (``--auth basic|token``; ``none`` = off).

Modules: `scopes` (scope grammar, the scope a request needs), `users` (htpasswd/bcrypt users file),
`access` (ghcr.io-like ownership and visibility), `keys` (ES256 signing key, certificate, libtrust key id),
`tokens` (JWT issue/verify), `service` (run-time state from `Config`), `answers` (challenges and refusals
through `errors.render`), `endpoints` (``/auth/token``, ``/admin/repositories/<name>/visibility``),
`middleware` (the ASGI wrapper), `cli` (command-line options).

`wrap(app, config)` is the one entry point the app factory uses.
"""

from __future__ import annotations

from typing import Any

from reference_server.auth.middleware import AuthMiddleware
from reference_server.auth.service import AuthService
from reference_server.config import Config


def wrap(app: Any, config: Config) -> Any:
    """`app` behind the auth middleware for ``--auth basic|token``; `app` itself for ``none``."""
    if config.auth == "none":
        return app
    return AuthMiddleware(app, AuthService.from_config(config))
