"""The `Retry-After` header's value as a wait (RFC 9110 section 10.2.3), for the client and the load users.

No dependency beyond the standard library: the Locust users (where httpx cannot be imported under gevent)
use it as well as `conformance.client.retries`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """The wait `value` asks for (delay-seconds, or an HTTP-date: 0 when past), else None (absent, bad)."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
