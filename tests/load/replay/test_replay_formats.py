"""Trace parsers on fixtures: combined access log, distribution's app log, the IBM trace format, --convert."""

from __future__ import annotations

from pathlib import Path

import pytest

from load.replay import formats
from load.replay.__main__ import main
from load.replay.records import TraceError, classify, read_jsonl

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "replay"


def test_combined_log_fields_and_extras() -> None:
    parsed = formats.load_trace(FIXTURES / "combined.log")
    assert parsed.fmt == "combined" and len(parsed.records) == 15 and parsed.skipped == 0
    first, patch = parsed.records[0], parsed.records[9]
    assert (first.method, first.path, first.status, first.size) == ("GET", "/v2/", 200, 2)
    assert first.client == "10.0.0.7"
    assert patch.method == "PATCH" and patch.request_size == 65536 and patch.t == 3.0
    assert parsed.records[-1].t == 5.0  # one-second resolution, t from the first request


def test_combined_line_with_request_time_and_dash_bytes() -> None:
    record = formats.parse_combined_line(
        '127.0.0.1 - bob [10/Oct/2023:13:55:36 -0700] "HEAD /v2/a/blobs/sha256:00 HTTP/1.1" 404 - 0.012')
    assert record is not None and record.size == 0 and record.duration == 0.012 and record.status == 404
    assert formats.parse_combined_line('garbage "GET /x" 200') is None


def test_distribution_app_log_text_and_json() -> None:
    parsed = formats.load_trace(FIXTURES / "distribution_app.log")
    assert parsed.fmt == "distribution"
    assert [(r.method, r.status, r.size) for r in parsed.records] == [("GET", 200, 1958), ("HEAD", 404, 157)]
    get = parsed.records[0]
    assert get.duration == pytest.approx(0.002773353)
    assert parsed.skipped == 1  # the one line that is no log line; other log lines are not requests
    assert formats.go_duration("1m2.5s") == 62.5
    assert formats.go_duration("58.451µs") == pytest.approx(58.451e-6)


def test_ibm_trace_fields() -> None:
    parsed = formats.load_trace(FIXTURES / "ibm_trace.json")
    assert parsed.fmt == "ibm" and len(parsed.records) == 12
    blob = parsed.records[1]
    assert blob.path == "/v2/4715bf52/437c49db/blobs/93054319" and blob.size == 9576
    assert blob.duration == pytest.approx(1.005269323) and blob.client == "0ee76ffa"
    assert blob.t == pytest.approx(0.299)
    patch = parsed.records[7]  # uploads: written is what the registry received
    assert patch.method == "PATCH" and patch.request_size == 131072 and patch.size == 0
    assert classify(patch.path).upload == "0d1e2f3a"


def test_convert_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "trace.jsonl"
    assert main([str(FIXTURES / "ibm_trace.json"), "--convert", str(out)]) == 0
    head, records = read_jsonl(out)
    assert head["format"] == "ibm" and head["records"] == 12
    original = formats.load_trace(FIXTURES / "ibm_trace.json").records
    assert [r.to_json() for r in records] == [r.to_json() for r in original]
    assert formats.detect(out) == "jsonl"


def test_bad_traces_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_text("\n")
    with pytest.raises(TraceError):
        formats.load_trace(empty)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"t": 0, "method": "GET", "path": "v2/", "status": 200}\n')
    with pytest.raises(TraceError, match=r"bad\.jsonl:1"):
        formats.load_trace(bad, "jsonl")


@pytest.mark.parametrize(("path", "kind", "repo", "ref"), [
    ("/v2/", "base", None, None),
    ("/v2/_catalog?n=10", "catalog", None, None),
    ("/v2/a/b/tags/list", "tags", "a/b", None),
    ("/v2/a/b/manifests/v1", "manifest", "a/b", "v1"),
    ("/v2/a/blobs/sha256:ab", "blob", "a", "sha256:ab"),
    ("/v2/a/blobs/uploads/", "upload", "a", None),
    ("/v2/a/b/blobs/uploads/u-1?_state=x", "upload", "a/b", None),
    ("/v2/a/referrers/sha256:ab", "referrers", "a", "sha256:ab"),
    ("/healthz", "other", None, None),
])
def test_routes(path: str, kind: str, repo: str | None, ref: str | None) -> None:
    route = classify(path)
    assert (route.kind, route.repo, route.ref) == (kind, repo, ref)
