"""Which referrers mechanism the registry offers: the API, the referrers tag schema fallback, or neither.

spec.md: a registry with the referrers API answers `GET /v2/<name>/referrers/<digest>`; one without it
answers 404, and clients then keep the referrers in an image index under the referrers tag `<alg>-<ref>`
("Maintaining the content of this tag is the responsibility of clients"), which the registry stores and
serves like any manifest. The `referrers_mechanism` fixture (`conformance.fixtures`) records one finding:

    api       the API probe (`probe_referrers`) answered 200
    fallback  no API (404), and the referrers tag works: either the registry itself put the pushed
              referrer into `<alg>-<ref>` (registry-maintained, as some registries and proxies do), or the
              probe, acting as a client (pull the tag, 404 -> empty index, append, push), got its index
              stored and served back byte for byte (client-maintained)
    neither   no API, and the tag schema does not work: the referrer, the index or the tag was refused,
              the tag serves something else than an image index, or the index came back altered

It is no verdict (the checks of `test_referrers_fallback.py` judge the registry); unknown (None: the API
probe was inconclusive, or a run that may not push cannot try the tag) records nothing. The probe works in
`<namespace>/capability-probe` with a fresh subject each time (pytest-xdist workers never share one) and
registers all it pushed with the caller's `Cleanup`.
"""

from __future__ import annotations

import json
import random
import secrets
from dataclasses import dataclass, field
from typing import Any

from conformance.capabilities import Finding
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response, SetupFailed
from conformance.content import Manifest, image_manifest, referrer
from conformance.content.tag_schema import (
    appended,
    index_from_bytes,
    listed_digests,
    referrer_descriptor,
    tag_schema_index,
)
from conformance.options import RunConfig
from conformance.spec import media_types
from conformance.spec.digests import digest_bytes
from conformance.spec.referrers_tag import referrers_tag

NAME = "referrers_mechanism"
API, FALLBACK, NEITHER = "api", "fallback", "neither"
REGISTRY_MAINTAINED = "registry-maintained"
CLIENT_MAINTAINED = "client-maintained"
PROBE_REPOSITORY = "capability-probe"


def served_index(response: Response) -> dict[str, Any] | None:
    """The image index a 200 answer to a pull of the referrers tag holds, or None when it holds no index."""
    if response.status_code != 200:
        return None
    try:
        document = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("manifests"), list):
        return None
    if document.get("mediaType", media_types.OCI_INDEX) != media_types.OCI_INDEX:
        return None
    return document


@dataclass
class _Probe:
    """The probe's client, repository, cleanup and the evidence it gathers (one line per exchange)."""

    client: RegistryClient
    repository: str
    cleanup: Cleanup
    evidence: list[str] = field(default_factory=list)

    def pull_tag(self, tag: str) -> Response:
        response = self.client.manifest_get(self.repository, tag, accept=[media_types.OCI_INDEX])
        self.evidence.append(f"GET /v2/{self.repository}/manifests/{tag} -> {response.status_code}")
        return response

    def push(self, manifest: Manifest) -> None:
        for blob in manifest.all_blobs():
            self.cleanup.blob(self.repository, blob.digest)
        self.cleanup.manifest(self.repository, manifest.digest)
        self.client.push_image(self.repository, manifest)

    def finding(self, value: str, reason: str) -> Finding:
        return Finding(NAME, value != NEITHER, f"{value}: {reason}", "\n".join(self.evidence), "probe", value)

    def maintain_as_client(self, tag: str, pulled: Response, pushed: Manifest) -> Finding:
        """The spec's client steps after a pull of the tag that did not list `pushed`; what came of them."""
        document = served_index(pulled)
        if pulled.status_code == 200 and document is None:
            return self.finding(NEITHER, f"no referrers API, and the referrers tag {tag} serves "
                                f"{pulled.content_type or 'no Content-Type'}, not an image index")
        start = tag_schema_index() if document is None else index_from_bytes(pulled.content, document)
        index = appended(start, referrer_descriptor(pushed))
        self.cleanup.tag(self.repository, tag)
        self.cleanup.manifest(self.repository, index.digest)
        put = self.client.manifest_put(self.repository, tag, index.data, index.media_type)
        self.evidence.append(f"PUT /v2/{self.repository}/manifests/{tag} ({index.size} bytes) -> "
                             f"{put.status_code}")
        if put.status_code != 201:
            return self.finding(NEITHER, "no referrers API, and the registry refused the referrers tag "
                                f"index: PUT {tag} answered {put.status_code}")
        back = self.pull_tag(tag)
        if back.status_code != 200 or back.content != index.data:
            said = "other bytes" if back.status_code == 200 else f"{back.status_code}"
            return self.finding(NEITHER, f"no referrers API, and the referrers tag {tag} did not serve the "
                                f"index pushed to it ({said})")
        return self.finding(FALLBACK, f"{CLIENT_MAINTAINED}: no referrers API; the registry stored the "
                            f"referrers tag index the harness pushed as a client under {tag} and served it "
                            "back byte for byte")


def probe_mechanism(
    client: RegistryClient, config: RunConfig, api: Finding | None, cleanup: Cleanup
) -> Finding | None:
    """Learn the mechanism from the API finding and, without the API, by trying the tag schema."""
    if api is None:
        return None
    if api.supported:
        return Finding(NAME, True, f"{API}: {api.reason}", api.evidence, "probe", API)
    if not config.enabled("push"):
        return None
    probe = _Probe(client, f"{config.namespace}/{PROBE_REPOSITORY}", cleanup, [api.evidence])
    rng = random.Random(secrets.randbits(64))
    subject = image_manifest(rng, layer_size=16)
    artifact = referrer(subject, rng, annotations={"org.example.registry-harness.probe": "referrers"})
    tag = referrers_tag(subject.digest)
    try:
        probe.push(subject)
        probe.push(artifact)
    except SetupFailed as refused:
        probe.evidence.append(str(refused).split("\n", 1)[0])
        return probe.finding(NEITHER, "no referrers API, and the registry refused an image or its referrer")
    probe.evidence.append(f"pushed {subject.digest} and its referrer {artifact.digest}")
    pulled = probe.pull_tag(tag)
    document = served_index(pulled)
    if document is not None and artifact.digest in listed_digests(index_from_bytes(pulled.content, document)):
        cleanup.tag(probe.repository, tag)
        cleanup.manifest(probe.repository, digest_bytes(pulled.content))
        return probe.finding(FALLBACK, f"{REGISTRY_MAINTAINED}: no referrers API; after a referrer was "
                             f"pushed, the registry itself served the referrers tag {tag} listing it")
    if pulled.status_code not in (200, 404):
        return None
    return probe.maintain_as_client(tag, pulled, artifact)
