"""Everything auth needs at run time, built once per worker from the server `Config`.

`AuthService.from_config` reads the users file, the access file and the signing key (token mode), and
holds the access model, token issuer and verifier. `credentials_of` parses an ``Authorization: Basic``
value. Nothing here logs a password, a hash or a token.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path

from reference_server.auth.access import AccessModel, VisibilityStore, load_access_file
from reference_server.auth.keys import SigningKey, load_signing_key
from reference_server.auth.tokens import TokenIssuer, TokenVerifier
from reference_server.auth.users import UsersFile, UsersFileError
from reference_server.config import Config

MODES = ("none", "basic", "token")
TOKEN_PATH = "/auth/token"
ADMIN_PREFIX = "/admin/repositories/"
DEFAULT_SERVICE = "registry-harness"
DEFAULT_ISSUER = "registry-harness-token-service"
BASIC_REALM = "registry-harness"


def auth_dir(config: Config) -> Path:
    """``DATA_DIR/auth``: the signing key (by default) and the visibility file."""
    return config.data_dir / "auth"


def token_key_path(config: Config) -> Path:
    """The signing key file: ``--token-key`` or ``DATA_DIR/auth/token-key.pem``."""
    return Path(config.token_key) if config.token_key else auth_dir(config) / "token-key.pem"


@dataclass
class AuthService:
    """Run-time auth state of one worker."""

    mode: str
    users: UsersFile
    access: AccessModel
    service: str
    realm: str | None
    issuer: TokenIssuer | None = None
    verifier: TokenVerifier | None = None

    @classmethod
    def from_config(cls, config: Config) -> AuthService:
        """Build the service for `config.auth` (basic or token); raises ValueError subclasses on bad files."""
        if config.auth not in MODES[1:]:
            raise ValueError(f"auth mode {config.auth!r} has no auth service")
        if not config.users_file:
            raise UsersFileError(f"--auth {config.auth} needs --users-file")
        users = UsersFile(Path(config.users_file))
        organisations, public = load_access_file(Path(config.access_file) if config.access_file else None)
        access = AccessModel(organisations, public, VisibilityStore(auth_dir(config)))
        service = cls(config.auth, users, access, config.token_service or DEFAULT_SERVICE, config.token_realm)
        if config.auth == "token":
            key = load_signing_key(token_key_path(config), generate=not config.token_key)
            issuer_name = config.token_issuer or DEFAULT_ISSUER
            service.issuer = TokenIssuer(key, issuer_name, int(config.token_ttl))
            service.verifier = TokenVerifier(key, issuer_name, service.service)
        return service


def prepare_signing_key(config: Config) -> SigningKey:
    """Create the key (when it is ours to create) and certificate before workers start; return it."""
    return load_signing_key(token_key_path(config), generate=not config.token_key)


def credentials_of(authorization: str | None) -> tuple[str, str] | None:
    """(user, password) from an ``Authorization: Basic`` value; None for any other or a malformed one."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def bearer_of(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` value, else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
