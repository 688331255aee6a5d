"""What the registry under test has shown it supports, learned during the run (cf. the official `state.go`).

Optional features (single-POST upload, mount, range requests, the referrers API, deletes, sha512, ...)
may be absent in a way the spec allows. The first check or probe that finds out records it here, with the
reason and the evidence (the request and answer that showed it). Later checks call `require(name)`: when
the feature is known to be absent they end as "unsupported: <name>: <reason>"; when it is unknown they
run (and may record it themselves).

    capabilities.record("single_post", False, "POST ?digest= answered 202", evidence="POST ... -> 202")
    capabilities.require("single_post")      # skips as unsupported from now on

Probes make the answer available before any check has stumbled on it: `ensure(name, probe)` runs
`probe()` once (it returns a `Finding`) and caches the result; the probe fixtures in
`conformance.fixtures` (e.g. `referrers_supported`) use it. The table goes into results.json.
Under pytest-xdist every worker learns on its own; the controller merges the tables (`merge`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from conformance.verdicts import unsupported

KNOWN: dict[str, str] = {
    "single_post": "monolithic upload in one POST ?digest= (201)",
    "chunked_upload": "PATCH chunked uploads",
    "stream_upload": "PATCH without Content-Range (streamed)",
    "upload_cancel": "DELETE of an upload session (204)",
    "chunk_min_length": "OCI-Chunk-Min-Length advertised on upload sessions",
    "mount": "cross-repository mount with from= (201)",
    "mount_anonymous": "mount without from= (201)",
    "range_requests": "Range requests on blob GET (206)",
    "referrers": "the referrers API (GET /v2/<name>/referrers/<digest>)",
    "referrers_filtering": "artifactType filtering of referrers (OCI-Filters-Applied)",
    "referrers_mechanism": "how clients find referrers: api (GET /v2/<name>/referrers/<digest>), fallback "
                           "(the referrers tag schema `<alg>-<ref>`, an image index under a tag) or neither",
    "tag_param": "PUT manifests/<digest>?tag=",
    "blob_delete": "DELETE of blobs (202)",
    "manifest_delete": "DELETE of manifests by digest (202)",
    "tag_delete": "DELETE of tags (202)",
    "sha512": "sha512 digests for blobs and manifests",
    "docker_formats": "Docker schema 2 manifests and manifest lists",
    "tags_pagination": "n/last pagination of the tag list",
    "catalog": "the repository catalog (GET /v2/_catalog)",
    "auth": "authentication (a 401 challenge on /v2/)",
}


@dataclass(frozen=True)
class Finding:
    """One recorded fact: feature `name` is (not) supported, why we think so, and the evidence.

    `value` names which of several forms the registry showed, where a feature has forms (the referrers
    mechanism: "api", "fallback", "neither"); empty for a plain yes/no.
    """

    name: str
    supported: bool
    reason: str
    evidence: str = ""
    source: str = ""
    value: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for results.json (`value` only when there is one)."""
        row = asdict(self)
        if not self.value:
            del row["value"]
        return row


class Capabilities:
    """The session's table of findings; one instance per pytest session (per xdist worker)."""

    def __init__(self) -> None:
        self._findings: dict[str, Finding] = {}
        self._inconclusive: set[str] = set()

    def record(
        self, name: str, supported: bool, reason: str, *, evidence: str = "", source: str = "",
        value: str = "",
    ) -> Finding:
        """Record what the registry showed about `name` (the first finding of a feature wins)."""
        finding = Finding(name, supported, reason, evidence, source, value)
        return self._findings.setdefault(name, finding)

    def get(self, name: str) -> Finding | None:
        """The finding about `name`, or None while nothing is known."""
        return self._findings.get(name)

    def supported(self, name: str) -> bool | None:
        """True/False once known, None while unknown."""
        finding = self._findings.get(name)
        return None if finding is None else finding.supported

    def ensure(self, name: str, probe: Callable[[], Finding | None]) -> Finding | None:
        """Return the finding about `name`, running `probe()` once to learn it if nothing is known yet.

        A probe returns None when its answer was inconclusive (e.g. a 500): nothing is recorded, the
        checks themselves judge the registry, and the probe is not run again.
        """
        known = self._findings.get(name)
        if known is not None or name in self._inconclusive:
            return known
        finding = probe()
        if finding is None:
            self._inconclusive.add(name)
            return None
        if finding.name != name:
            raise ValueError(f"probe for {name!r} returned a finding about {finding.name!r}")
        return self._findings.setdefault(name, finding)

    def require(self, name: str) -> None:
        """Skip the running check as "unsupported: ..." when `name` is known to be absent."""
        __tracebackhide__ = True
        finding = self._findings.get(name)
        if finding is not None and not finding.supported:
            unsupported(f"{name}: {finding.reason}")

    def findings(self) -> list[Finding]:
        """Every finding, sorted by feature name."""
        return [self._findings[name] for name in sorted(self._findings)]

    def as_table(self) -> list[dict[str, Any]]:
        """JSON-ready table of every finding, with the feature's description."""
        return [
            dict(finding.as_dict(), description=KNOWN.get(finding.name, "")) for finding in self.findings()
        ]

    def merge(self, rows: Iterable[Mapping[str, Any]]) -> list[str]:
        """Add findings from another worker's `as_table()` (first finding of a feature wins).

        Returns a message per feature on which the other worker found the opposite: a registry that
        answers the same question differently is worth a look.
        """
        conflicts = []
        for row in rows:
            kept = self.record(str(row["name"]), bool(row["supported"]), str(row.get("reason", "")),
                               evidence=str(row.get("evidence", "")), source=str(row.get("source", "")),
                               value=str(row.get("value", "")))
            if kept.supported != bool(row["supported"]):
                conflicts.append(f"capability {kept.name}: workers disagree ({kept.reason!r} vs "
                                 f"{row.get('reason', '')!r})")
        return conflicts
