"""Manifest store: manifest revisions (bytes in the content store, media type in the link) and tags."""

from __future__ import annotations

import contextlib
import os

from reference_server.grammar import TAG_RE, Digest, GrammarError, RepositoryName, Tag, parse_digest
from reference_server.storage.blobs import BlobStore
from reference_server.storage.errors import BlobNotFoundError, ManifestNotFoundError, RepositoryNotFoundError
from reference_server.storage.layout import Layout


class ManifestStore:
    """Manifests and tags of every repository."""

    def __init__(self, layout: Layout, blobs: BlobStore) -> None:
        self.layout = layout
        self.blobs = blobs

    # --- revisions -------------------------------------------------------------------------------
    def put(
        self, name: RepositoryName, digest: Digest, body: bytes, media_type: str, tags: list[Tag]
    ) -> None:
        """Store manifest `body` under `digest` in `name` and point `tags` at it (idempotent)."""
        self.blobs.write_bytes(body, digest)
        link = self.layout.revision_link(name, digest)
        if self._read(link) != media_type.encode():
            self.layout.write_atomic(link, media_type.encode())
        for tag in tags:
            self.layout.write_atomic(self.layout.tag(name, tag), str(digest).encode())

    def media_type(self, name: RepositoryName, digest: Digest) -> str:
        """Media type of manifest `digest` in `name`; ManifestNotFoundError if it is not there."""
        raw = self._read(self.layout.revision_link(name, digest))
        if raw is None:
            raise ManifestNotFoundError(str(digest))
        return raw.decode()

    def get(self, name: RepositoryName, digest: Digest) -> tuple[bytes, str]:
        """(exact bytes, media type) of manifest `digest` in `name`."""
        media_type = self.media_type(name, digest)
        try:
            return self.blobs.read_bytes(digest), media_type
        except BlobNotFoundError:
            raise ManifestNotFoundError(str(digest)) from None

    def size(self, name: RepositoryName, digest: Digest) -> int:
        """Size of manifest `digest` in `name`; ManifestNotFoundError if it is not there."""
        self.media_type(name, digest)
        size = self.blobs.size_anywhere(digest)
        if size is None:
            raise ManifestNotFoundError(str(digest))
        return size

    def delete(self, name: RepositoryName, digest: Digest) -> None:
        """Remove manifest `digest` from `name` and every tag pointing at it."""
        try:
            os.unlink(self.layout.revision_link(name, digest))
        except FileNotFoundError:
            raise ManifestNotFoundError(str(digest)) from None
        for tag in self._tag_names(name):
            path = self.layout.tag(name, tag)
            if self._read(path) == str(digest).encode():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)

    # --- tags ------------------------------------------------------------------------------------
    def resolve(self, name: RepositoryName, tag: Tag) -> Digest:
        """Digest that `tag` points at in `name`."""
        raw = self._read(self.layout.tag(name, tag))
        if raw is None:
            raise ManifestNotFoundError(tag)
        try:
            return parse_digest(raw.decode())
        except GrammarError:
            raise ManifestNotFoundError(tag) from None

    def delete_tag(self, name: RepositoryName, tag: Tag) -> None:
        """Remove `tag` only; the manifest stays pullable by digest."""
        try:
            os.unlink(self.layout.tag(name, tag))
        except FileNotFoundError:
            raise ManifestNotFoundError(tag) from None

    def tags(self, name: RepositoryName) -> list[str]:
        """All tags of `name` in ASCII order; RepositoryNotFoundError when the repository has no content."""
        if not self.repository_exists(name):
            raise RepositoryNotFoundError(name)
        return sorted(self._tag_names(name))

    def _tag_names(self, name: RepositoryName) -> list[Tag]:
        try:
            entries = os.listdir(self.layout.tags_dir(name))
        except FileNotFoundError:
            return []
        return [Tag(entry) for entry in entries if TAG_RE.fullmatch(entry)]

    # --- repositories ----------------------------------------------------------------------------
    def repository_exists(self, name: RepositoryName) -> bool:
        """True once anything (blob link, manifest) was ever stored in `name`."""
        base = self.layout.repository(name)
        return os.path.isdir(f"{base}/_manifests") or os.path.isdir(f"{base}/_layers")

    def catalog(self) -> list[str]:
        """Every repository name in ASCII order."""
        names: list[str] = []
        root = str(self.layout.repositories)
        for directory, subdirs, _files in os.walk(root):
            if "_manifests" in subdirs or "_layers" in subdirs:
                names.append(os.path.relpath(directory, root))
            subdirs[:] = [sub for sub in subdirs if not sub.startswith("_")]
        return sorted(names)

    @staticmethod
    def _read(path: str) -> bytes | None:
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None
