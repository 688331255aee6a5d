"""The token signing key (ECDSA P-256, ES256) and its self-signed certificate.

Without ``--token-key`` the key is generated at first start as ``DATA_DIR/auth/token-key.pem`` (mode 0600;
created atomically, so ``--workers N`` share one key). The certificate is written next to the key as
``<key stem>.crt`` (``token-key.crt``) unless one for the same public key is already there: give it to a
registry that should trust this token service (distribution's ``auth.token.rootcertbundle``).

Tokens carry the key id in their ``kid`` header, computed the way distribution's libtrust does: the
SHA-256 of the DER-encoded SubjectPublicKeyInfo, its first 240 bits in base32 (no padding), 12 groups of 4
characters joined by ``:``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERT_LIFETIME = datetime.timedelta(days=3650)


class SigningKeyError(ValueError):
    """The signing key cannot be read or is not an ECDSA P-256 key."""


@dataclass(frozen=True)
class SigningKey:
    """The private key, its libtrust key id and where its certificate is."""

    private_key: ec.EllipticCurvePrivateKey
    key_id: str
    certificate_path: Path

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        """The verification key."""
        return self.private_key.public_key()


def libtrust_key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """The libtrust key id of `public_key` (what distribution matches a token's ``kid`` against)."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode("ascii")
    return ":".join(encoded[i : i + 4] for i in range(0, 48, 4))


def certificate_path_for(key_path: Path) -> Path:
    """Where the certificate of the key at `key_path` is written."""
    return key_path.with_suffix(".crt")


def _generate(key_path: Path) -> None:
    key_path.parent.mkdir(parents=True, exist_ok=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    temp = key_path.with_name(f".{key_path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    try:
        os.link(temp, key_path)  # fails if another process won the race: use its key
    except FileExistsError:
        pass
    finally:
        os.unlink(temp)


def _write_certificate(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    if path.exists():
        with contextlib.suppress(ValueError, OSError):
            existing = x509.load_pem_x509_certificate(path.read_bytes())
            if existing.public_key() == key.public_key():
                return
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "registry-harness token service")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + CERT_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    os.replace(temp, path)


def load_signing_key(key_path: Path, *, generate: bool) -> SigningKey:
    """Load (or, when `generate` and absent, create) the key; make sure its certificate exists."""
    if generate and not key_path.exists():
        _generate(key_path)
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except OSError as exc:
        raise SigningKeyError(f"cannot read token key {key_path}: {exc.strerror}") from None
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"token key {key_path} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise SigningKeyError(f"token key {key_path} must be an ECDSA P-256 key (ES256)")
    certificate_path = certificate_path_for(key_path)
    try:
        _write_certificate(key, certificate_path)
    except OSError as exc:
        raise SigningKeyError(
            f"cannot write the token certificate {certificate_path}: {exc.strerror}"
        ) from None
    return SigningKey(key, libtrust_key_id(key.public_key()), certificate_path)
