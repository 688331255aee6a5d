"""Locust entry point of registry-harness load: `locust -f load/locustfile.py [UserClass ...] [--tags ...]`.

Imports only: the scenarios (User classes, selectable by class name or tag) and the event wiring.
With no `--host` the bundled reference server is started for the run. Scenarios and their tags:

- BlobPushMonolithic (blob-push-monolithic), BlobPushChunked (blob-push-chunked),
  BlobPull (blob-pull, blob-pull-range / range) - all also tagged `blob`;
- ImagePush (image-push), ImagePull (image-pull), PullStorm (pull-storm);
- MetadataMix (metadata), CIMix (ci-mix), BlobHead (blob-head, small: HEADs of one 4 KiB blob).
- TraceReplay (`--trace FILE`: a recorded or generated trace, see load/replay/locust_user.py).
"""

from __future__ import annotations

from load import hooks
from load.replay import locust_user
from load.replay.locust_user import TraceReplay
from load.users.blobs import BlobPull, BlobPushChunked, BlobPushMonolithic
from load.users.images import ImagePull, ImagePush, PullStorm
from load.users.mixed import CIMix, MetadataMix
from load.users.small import BlobHead

locust_user.register()  # before hooks: `quitting` fires in reverse, ours after hooks wrote the run folder
hooks.register()

__all__ = [
    "BlobHead", "BlobPull", "BlobPushChunked", "BlobPushMonolithic", "CIMix", "ImagePull", "ImagePush",
    "MetadataMix", "PullStorm", "TraceReplay",
]
