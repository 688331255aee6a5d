"""Exceptions the registry client raises; each carries the transcript entry of the failed exchange.

    RegistryClientError
    ├── RegistryTransportError      no usable HTTP answer (the registry's fault or the network's)
    │   ├── RegistryTimeout         no complete answer within the request deadline (stall, trickle)
    │   └── RegistryConnectionError refused, reset, DNS, TLS or protocol error
    ├── RegistryRateLimitError      still 429 (or 503 + Retry-After) after the retries the budget allows
    ├── RequestLimitError           the run's own --registry-max-requests / --registry-max-rps stop a request
    ├── WriteOutsideNamespace       a write to a repository outside the run's namespaces, refused unsent
    └── SetupFailed                 a setup helper (push_blob, push_image, ...) was refused

Operation methods never raise for an HTTP status: a 4xx/5xx is a response to judge. Only the
setup helpers turn refusals into `SetupFailed`, which the plugin reports as a failed check.
`RequestLimitError` and `WriteOutsideNamespace` are raised before anything is sent; they are the harness's
own limits, so the plugin reports them as errors of the check, never as failures of the registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

RENDERED_ENTRIES = 8
"""How many trailing exchanges `str(SetupFailed)` shows (the full transcript stays on `.transcript`)."""

if TYPE_CHECKING:
    from conformance.client.response import Response
    from conformance.client.transcript import Transcript, TranscriptEntry


class RegistryClientError(Exception):
    """Base of the client's exceptions."""


class RegistryTransportError(RegistryClientError):
    """The exchange produced no usable HTTP answer; `.entry` is its transcript entry.

    `.partial` is what did arrive when the status line and headers came but the body was cut short
    or stalled (a `Response` with the bytes received so far), else None. A check may judge it, e.g.
    a 416 whose announced body never comes.
    """

    def __init__(
        self, message: str, entry: TranscriptEntry | None = None, partial: Response | None = None
    ) -> None:
        super().__init__(message)
        self.entry = entry
        self.partial = partial


class RegistryTimeout(RegistryTransportError):  # noqa: N818 (name fixed by the API brief)
    """No complete answer within the request deadline (connect, send, headers and body together)."""


class RegistryConnectionError(RegistryTransportError):
    """The connection failed: refused, reset, closed early, TLS or HTTP protocol error."""


class RegistryRateLimitError(RegistryClientError):
    """The registry kept saying "later" beyond the retry budget: no verdict is possible (an error).

    `.response` is the last answer (429, or 503 with Retry-After).
    """

    def __init__(self, message: str, response: Response) -> None:
        super().__init__(message)
        self.response = response


class RequestLimitError(RegistryClientError):
    """The run's request budget is spent, or waiting for its rate cap would outlive the request's deadline.

    Nothing was sent. `.option` names the limit (`--registry-max-requests` or `--registry-max-rps`).
    """

    def __init__(self, message: str, option: str) -> None:
        super().__init__(message)
        self.option = option


class WriteOutsideNamespace(RegistryClientError):  # noqa: N818 (says what was refused)
    """A write (POST/PUT/PATCH/DELETE) to a repository outside the run's namespaces; nothing was sent."""


class SetupFailed(RegistryClientError):  # noqa: N818 (name fixed by the API brief)
    """The registry refused a step a check needed as setup; carries the transcript so far."""

    def __init__(self, message: str, transcript: Transcript | None = None) -> None:
        super().__init__(message)
        self.transcript = transcript

    def __str__(self) -> str:
        text = super().__str__()
        if self.transcript is not None and self.transcript.entries:
            rendered = self.transcript.render(last=RENDERED_ENTRIES)
            return f"{text}\n\nHTTP transcript (last {RENDERED_ENTRIES} exchanges):\n{rendered}"
        return text
