"""`Retry-After` values as waits (conformance/spec/retry_after.py): both forms of RFC 9110 10.2.3."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from conformance.spec.retry_after import retry_after_seconds

NOW = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)


def test_retry_after_seconds_and_http_dates() -> None:
    assert retry_after_seconds("1") == 1.0
    assert retry_after_seconds(" 120 ") == 120.0
    later = format_datetime(NOW + timedelta(seconds=3), usegmt=True)
    assert retry_after_seconds(later, now=NOW) == 3.0
    earlier = format_datetime(NOW - timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(earlier, now=NOW) == 0.0
    for bad in (None, "", "soon", "-1", "1.5"):
        assert retry_after_seconds(bad) is None, bad
