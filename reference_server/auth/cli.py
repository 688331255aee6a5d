"""Command-line options of the auth layer, and the start-up step that runs before workers fork.

Options: ``--auth none|basic|token`` (none), ``--users-file PATH`` (htpasswd, bcrypt; required for basic
and token), ``--access-file PATH`` (organisations and public repositories, see `access`),
``--token-realm URL`` (default: ``<scheme>://<Host header>/auth/token``), ``--token-service NAME``
(``registry-harness``), ``--token-issuer NAME`` (``registry-harness-token-service``), ``--token-ttl
SECONDS`` (300), ``--token-key PEM`` (default: generated into ``DATA_DIR/auth/token-key.pem``).
Credentials are never options: users live in the users file. Without ``--token-realm`` the realm is built
from the client's Host header: set it when clients reach the server under a name they should not choose.
"""

from __future__ import annotations

import argparse
from typing import Any

from reference_server.auth.service import (
    DEFAULT_ISSUER,
    DEFAULT_SERVICE,
    MODES,
    AuthService,
    prepare_signing_key,
)
from reference_server.config import Config

DEFAULT_TOKEN_TTL = 300


def _ttl(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1 second")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the auth options on the serve parser."""
    group = parser.add_argument_group("authentication")
    group.add_argument("--auth", choices=MODES, default="none", help="authentication mode (default: none)")
    group.add_argument("--users-file", default=None, help="htpasswd file with bcrypt hashes (htpasswd -B)")
    group.add_argument("--access-file", default=None, help="YAML/JSON: organizations and public repositories")
    group.add_argument("--token-realm", default=None, help="token endpoint URL announced in challenges")
    group.add_argument("--token-service", default=None,
                       help=f"service name / token audience ({DEFAULT_SERVICE})")
    group.add_argument("--token-issuer", default=None, help=f"token issuer name ({DEFAULT_ISSUER})")
    group.add_argument("--token-ttl", type=_ttl, default=DEFAULT_TOKEN_TTL, help="token lifetime in seconds")
    group.add_argument("--token-key", default=None, help="ECDSA P-256 PEM key to sign tokens with")


def config_values(args: argparse.Namespace) -> dict[str, Any]:
    """The `Config` fields the auth options set."""
    return {
        "auth": args.auth,
        "users_file": args.users_file,
        "access_file": args.access_file,
        "token_realm": args.token_realm,
        "token_service": args.token_service,
        "token_issuer": args.token_issuer,
        "token_ttl": args.token_ttl,
        "token_key": args.token_key,
    }


def prepare(config: Config) -> str | None:
    """Check the auth files and create the signing key before serving; a line to print, or None.

    Raises ValueError (with a message for the user) when a file is missing or malformed.
    """
    if config.auth == "none":
        return None
    AuthService.from_config(config)  # reads users and access files: fail now, not in a worker
    if config.auth != "token":
        return f"reference_server: auth basic, users from {config.users_file}"
    key = prepare_signing_key(config)
    return f"reference_server: auth token, token signing certificate: {key.certificate_path}"
