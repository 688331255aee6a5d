"""The ONE module that owns paths under the data directory, plus the atomic-write helpers.

On-disk layout (every piece of state lives here, so ``--workers N`` processes share it)::

    DATA_DIR/
    ├── blobs/                                   content-addressed bytes (blobs AND manifest bodies)
    │   ├── sha256/<hex[0:2]>/<hex>              written to tmp/, then os.replace()d into place
    │   └── sha512/<hex[0:2]>/<hex>
    ├── repositories/
    │   └── <name, one directory per '/'-separated component>/
    │       ├── _layers/<alg>/<hex>              empty file: the blob is linked into this repository
    │       ├── _manifests/
    │       │   ├── revisions/<alg>/<hex>        file holding the manifest's media type (manifest in repo)
    │       │   └── tags/<tag>                   file holding the tagged digest ("sha256:...")
    │       └── _referrers/<alg>/<subject hex>/<alg>-<hex>
    │                                            file holding the referrer's descriptor (JSON)
    ├── uploads/
    │   └── <session id>.<alg>                   bytes so far (append-only; mtime = last activity);
    │                                            the id ends with a hash of the repository name
    └── tmp/                                     temporary files; renamed into blobs/ or deleted

Name components match ``[a-z0-9]...`` so they can never collide with the ``_``-prefixed bookkeeping
directories. Paths are only built from validated values (`RepositoryName`, `Tag`, `Digest`, `UploadId`).
Commits are atomic: a file is complete before ``os.replace`` makes it visible, so a crash never exposes
a partial blob, manifest or tag. fsync is optional (``--fsync``): the page cache survives a process crash.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from reference_server.grammar import Digest, RepositoryName, Tag, UploadId


class Layout:
    """Builds every path under one data directory and performs atomic writes there."""

    def __init__(self, root: Path, *, fsync: bool = False) -> None:
        self.root = root
        self.fsync = fsync
        self.blobs = root / "blobs"
        self.repositories = root / "repositories"
        self.uploads = root / "uploads"
        self.tmp = root / "tmp"
        for directory in (self.blobs, self.repositories, self.uploads, self.tmp):
            directory.mkdir(parents=True, exist_ok=True)

    # --- content ---------------------------------------------------------------------------------
    def blob(self, digest: Digest) -> str:
        """Path of the content file of `digest`."""
        return f"{self.blobs}/{digest.algorithm}/{digest.hex[:2]}/{digest.hex}"

    # --- repositories ----------------------------------------------------------------------------
    def repository(self, name: RepositoryName) -> str:
        """Directory of repository `name`."""
        return f"{self.repositories}/{name}"

    def layer_link(self, name: RepositoryName, digest: Digest) -> str:
        """Link file saying `digest` is a blob of `name`."""
        return f"{self.repositories}/{name}/_layers/{digest.algorithm}/{digest.hex}"

    def revision_link(self, name: RepositoryName, digest: Digest) -> str:
        """Link file saying manifest `digest` is in `name` (content: media type)."""
        return f"{self.repositories}/{name}/_manifests/revisions/{digest.algorithm}/{digest.hex}"

    def revisions_dir(self, name: RepositoryName) -> str:
        """Directory of manifest revision links of `name`."""
        return f"{self.repositories}/{name}/_manifests/revisions"

    def tags_dir(self, name: RepositoryName) -> str:
        """Directory of tag files of `name`."""
        return f"{self.repositories}/{name}/_manifests/tags"

    def tag(self, name: RepositoryName, tag: Tag) -> str:
        """Tag file (content: digest) of `tag` in `name`."""
        return f"{self.repositories}/{name}/_manifests/tags/{tag}"

    def referrers_dir(self, name: RepositoryName, subject: Digest) -> str:
        """Directory of referrer descriptors of `subject` in `name`."""
        return f"{self.repositories}/{name}/_referrers/{subject.algorithm}/{subject.hex}"

    def referrer(self, name: RepositoryName, subject: Digest, referrer: Digest) -> str:
        """Descriptor file of `referrer` (a manifest whose subject is `subject`)."""
        return f"{self.referrers_dir(name, subject)}/{referrer.algorithm}-{referrer.hex}"

    # --- uploads ---------------------------------------------------------------------------------
    def upload_data(self, upload_id: UploadId, algorithm: str) -> str:
        """Session data file of a session hashing with `algorithm` (a supported algorithm name)."""
        return f"{self.uploads}/{upload_id}.{algorithm}"

    def temp_file(self) -> str:
        """A fresh temporary file path on the same filesystem as blobs/."""
        return f"{self.tmp}/{uuid.uuid4().hex}"

    # --- atomic writes ---------------------------------------------------------------------------
    def write_atomic(self, path: str, data: bytes) -> None:
        """Make `path` hold exactly `data`: write a temp file, then os.replace (creating parents)."""
        temp = self.temp_file()
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
            if self.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        self.publish(temp, path)

    def publish(self, temp: str, path: str) -> None:
        """Move the complete file `temp` to `path` atomically (creating parent directories)."""
        try:
            os.replace(temp, path)
        except FileNotFoundError:
            if not os.path.exists(temp):
                raise
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.replace(temp, path)

    def touch(self, path: str) -> None:
        """Create an empty marker file at `path` if missing (creating parents)."""
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))
        except FileNotFoundError:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))
