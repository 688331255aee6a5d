"""Locust entry point of registry-harness load: `locust -f load/locustfile.py [UserClass ...] [--tags ...]`.

Imports only: the scenarios (User classes, selectable by class name or tag) and the event wiring.
With no `--host` the bundled reference server is started for the run. Scenarios and their tags:

- BlobPushMonolithic (blob-push-monolithic), BlobPushChunked (blob-push-chunked),
  BlobPull (blob-pull, blob-pull-range / range) - all also tagged `blob`;
- ImagePush (image-push), ImagePull (image-pull), PullStorm (pull-storm);
- MetadataMix (metadata), CIMix (ci-mix).
"""

from __future__ import annotations

from load import hooks
from load.users.blobs import BlobPull, BlobPushChunked, BlobPushMonolithic
from load.users.images import ImagePull, ImagePush, PullStorm
from load.users.mixed import CIMix, MetadataMix

hooks.register()

__all__ = [
    "BlobPull", "BlobPushChunked", "BlobPushMonolithic", "CIMix", "ImagePull", "ImagePush", "MetadataMix",
    "PullStorm",
]
