r"""Spec grammar for repository names, tags, digests and upload-session ids (the server's own copy).

Every path the server builds on disk starts from one of the validated types defined here
(`RepositoryName`, `Tag`, `Digest`, `UploadId`); the parse functions are the only way to make them.

- Name (distribution-spec): ``[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*``,
  at most 255 characters.
- Tag: ``[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}``.
- Digest (image-spec descriptor.md): ``algorithm ":" encoded`` where algorithm components ``[a-z0-9]+`` are
  joined by ``[+._-]`` and encoded is ``[a-zA-Z0-9=_-]+``. The registry *supports* ``sha256`` (64 lower-case
  hex) and ``sha512`` (128 lower-case hex); any other algorithm, upper-case hex or a wrong length is
  rejected by `parse_digest`. `is_grammatical_digest` accepts unknown-but-grammatical digests (used for
  descriptors the registry never has to resolve, such as a `subject` or a foreign layer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NewType

MAX_NAME_LENGTH = 255

RepositoryName = NewType("RepositoryName", str)
Tag = NewType("Tag", str)
UploadId = NewType("UploadId", str)

_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
NAME_RE = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
TAG_RE = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
DIGEST_GRAMMAR_RE = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
UPLOAD_ID_RE = re.compile(r"[0-9a-f]{32}")

SUPPORTED_ALGORITHMS: dict[str, int] = {"sha256": 64, "sha512": 128}
_HEX_RE = {alg: re.compile(f"[0-9a-f]{{{length}}}") for alg, length in SUPPORTED_ALGORITHMS.items()}


class GrammarError(ValueError):
    """A name, tag, digest or session id does not match its grammar; the message says why."""


@dataclass(frozen=True, slots=True)
class Digest:
    """A well-formed digest of a supported algorithm: ``algorithm:hex``."""

    algorithm: str
    hex: str

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"


def parse_name(value: str) -> RepositoryName:
    """Return `value` as a repository name, or raise GrammarError."""
    if len(value) > MAX_NAME_LENGTH:
        raise GrammarError(f"repository name longer than {MAX_NAME_LENGTH} characters")
    if NAME_RE.fullmatch(value) is None:
        raise GrammarError("repository name does not match the distribution-spec grammar")
    return RepositoryName(value)


def parse_tag(value: str) -> Tag:
    """Return `value` as a tag, or raise GrammarError."""
    if TAG_RE.fullmatch(value) is None:
        raise GrammarError("tag does not match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
    return Tag(value)


def is_grammatical_digest(value: str) -> bool:
    """True when `value` matches the image-spec digest grammar (any algorithm)."""
    return DIGEST_GRAMMAR_RE.fullmatch(value) is not None


def parse_digest(value: str) -> Digest:
    """Return `value` as a digest of a supported algorithm, or raise GrammarError."""
    if not is_grammatical_digest(value):
        raise GrammarError("digest does not match the algorithm:encoded grammar")
    algorithm, encoded = value.split(":", 1)
    pattern = _HEX_RE.get(algorithm)
    if pattern is None:
        raise GrammarError(f"unsupported digest algorithm {algorithm!r} (supported: sha256, sha512)")
    if pattern.fullmatch(encoded) is None:
        raise GrammarError(
            f"{algorithm} digest must be {SUPPORTED_ALGORITHMS[algorithm]} lower-case hexadecimal characters"
        )
    return Digest(algorithm, encoded)


def parse_algorithm(value: str) -> str:
    """Return `value` if it names a supported digest algorithm, or raise GrammarError."""
    if value not in SUPPORTED_ALGORITHMS:
        raise GrammarError(f"unsupported digest algorithm {value!r} (supported: sha256, sha512)")
    return value


def looks_like_digest(reference: str) -> bool:
    """True when a manifest reference is meant as a digest (it contains ':'; tags never do)."""
    return ":" in reference


def parse_upload_id(value: str) -> UploadId:
    """Return `value` as an upload-session id (32 lower-case hex characters), or raise GrammarError."""
    if UPLOAD_ID_RE.fullmatch(value) is None:
        raise GrammarError("malformed upload session id")
    return UploadId(value)
