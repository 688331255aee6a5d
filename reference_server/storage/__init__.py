"""Filesystem storage of the reference server: layout, blobs, uploads, manifests + tags, referrers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reference_server.storage.blobs import BlobStore
from reference_server.storage.layout import Layout
from reference_server.storage.manifests import ManifestStore
from reference_server.storage.referrers import ReferrerStore
from reference_server.storage.uploads import UploadStore


@dataclass
class Storage:
    """All stores over one data directory."""

    layout: Layout
    blobs: BlobStore
    uploads: UploadStore
    manifests: ManifestStore
    referrers: ReferrerStore

    @classmethod
    def open(cls, root: Path, *, upload_timeout: float, fsync: bool = False) -> Storage:
        """Create the directory skeleton if needed and build the stores."""
        layout = Layout(root, fsync=fsync)
        blobs = BlobStore(layout)
        return cls(
            layout,
            blobs,
            UploadStore(layout, blobs, upload_timeout),
            ManifestStore(layout, blobs),
            ReferrerStore(layout),
        )
