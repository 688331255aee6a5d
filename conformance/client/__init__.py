"""The conformance suite's registry client: HTTP with deadlines, auth, redirects and transcripts.

Public API (import from here):

- `RegistryClient(base_url, *, credentials=None, timeout=30.0, verify=True, transcript=None,
  user_agent=..., min_rate=0.0)`: `timeout` is each exchange's total deadline, `min_rate` (bytes/s)
  the body rate below which it counts as stalled; `transport.check_deadline(seconds)` bounds all the
  requests of a block (the plugin opens one per check). Operations `ping`,
  `blob_head/get/get_digest/delete/mount`, `upload_start/monolithic/patch/put/status/cancel`,
  `manifest_put/get/head/delete`, `tags_list`, `catalog`, `referrers`, `request` (anything httpx can
  send), `request_raw` (bytes exactly as given), `follow_link`, `pages`; setup helpers `push_blob`,
  `push_blob_chunked`, `push_manifest`, `push_image` (raise `SetupFailed`). Responses are `Response`
  objects; the client never asserts.
- `Transcript`, `TranscriptEntry`: the redacted record of every exchange (`render()`, `to_dicts()`).
- `Credentials`, `credentials_from_env`, `credentials_from_docker_config`.
- Errors: `RegistryTransportError` > `RegistryTimeout`, `RegistryConnectionError`; `SetupFailed`;
  the harness's own limits, raised before sending: `RequestLimitError`, `WriteOutsideNamespace`.
- `WriteScope`, `inside_namespaces` (`namespaces`): the namespaces a client may write to;
  `quota.RUN_REQUESTS`: the run's rate cap and request budget, shared by every client of the process.
- `BodyStream`, `sliced`: streamed request bodies; `parse_www_authenticate`, `parse_link_header`.
"""

from __future__ import annotations

from conformance.client.auth import (
    Challenge,
    Credentials,
    credentials_from_docker_config,
    credentials_from_env,
    parse_www_authenticate,
    repository_scope,
)
from conformance.client.errors import (
    RegistryClientError,
    RegistryConnectionError,
    RegistryTimeout,
    RegistryTransportError,
    RequestLimitError,
    SetupFailed,
    WriteOutsideNamespace,
)
from conformance.client.links import Link, next_link, parse_link_header
from conformance.client.namespaces import WriteScope, inside_namespaces
from conformance.client.registry import DEFAULT_ACCEPT, RegistryClient
from conformance.client.response import Response
from conformance.client.session import BodyStream, sliced
from conformance.client.transcript import Transcript, TranscriptEntry
from conformance.client.urls import append_query, resolve_location

__all__ = [
    "DEFAULT_ACCEPT",
    "BodyStream",
    "Challenge",
    "Credentials",
    "Link",
    "RegistryClient",
    "RegistryClientError",
    "RegistryConnectionError",
    "RegistryTimeout",
    "RegistryTransportError",
    "RequestLimitError",
    "Response",
    "SetupFailed",
    "Transcript",
    "TranscriptEntry",
    "WriteOutsideNamespace",
    "WriteScope",
    "append_query",
    "credentials_from_docker_config",
    "credentials_from_env",
    "inside_namespaces",
    "next_link",
    "parse_link_header",
    "parse_www_authenticate",
    "repository_scope",
    "resolve_location",
    "sliced",
]
