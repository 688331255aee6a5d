"""Mixed scenarios: the metadata mix (tags list, manifest HEAD/GET, referrers) and a CI workload.

The metadata mix is a FastHttpUser (many small requests, less CPU each). It seeds one small image and
one artifact that refers to it (`subject`), then hammers the cheap endpoints; a registry without the
referrers API answers 404, which is counted, not failed. The CI mix is 75% image pulls (from the
shared-base set) and 25% image pushes, like a busy CI fleet.
"""

from __future__ import annotations

import hashlib
import json

from locust import tag, task

from conformance.spec import media_types
from load.users.base import FastRegistryUser, OperationError
from load.users.images import ACCEPT, SETUP, ImageFlows, ImageOperations, build_image
from load.users.runtime import RUNTIME, run_blocking

EMPTY_CONFIG = b"{}"
EMPTY_CONFIG_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"


class MetadataMix(ImageFlows, FastRegistryUser):
    """Small requests at a high rate against one seeded image (FastHttpUser: cheap per request)."""

    def seeded_image(self) -> tuple[str, str]:
        """(repository, manifest digest) of the small image, pushed once per process."""
        repo = f"{self.settings.repo_prefix}/metadata"
        key = f"metadata:{self.host}:{repo}"

        def seed() -> tuple[str, str]:
            layers = [RUNTIME.pool.new_blob(64 * 1024, run_blocking=run_blocking)]
            image = build_image(layers, "metadata")
            self.push_image(repo, "latest", image, scenario=SETUP)
            self.push_referrer(repo, image.digest, len(image.manifest))
            return repo, image.digest

        try:
            return RUNTIME.seeded(key, seed)
        except OperationError:
            RUNTIME.forget_seed(key)
            raise

    def push_referrer(self, repo: str, subject: str, subject_size: int) -> None:
        """Push an artifact manifest whose `subject` is the image (a registry may refuse it: not counted)."""
        if not self.blob_exists(repo, EMPTY_CONFIG_DIGEST):
            self.push_bytes(repo, EMPTY_CONFIG, EMPTY_CONFIG_DIGEST, scenario=SETUP)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": media_types.OCI_MANIFEST,
            "artifactType": "application/vnd.registry-harness.load.note",
            "config": {"mediaType": media_types.OCI_EMPTY, "digest": EMPTY_CONFIG_DIGEST, "size": 2},
            "layers": [{"mediaType": media_types.OCI_EMPTY, "digest": EMPTY_CONFIG_DIGEST, "size": 2}],
            "subject": {"mediaType": media_types.OCI_MANIFEST, "digest": subject, "size": subject_size},
        }, sort_keys=True, separators=(",", ":")).encode()
        response = self.call("PUT", f"/v2/{repo}/manifests/note", "/v2/[repo]/manifests/[ref] (referrer)",
                             (201, 400, 404, 415), headers={"Content-Type": media_types.OCI_MANIFEST},
                             body=manifest, scenario=SETUP)
        if response.status_code == 201:
            self._commit("manifest", repo, "sha256:" + hashlib.sha256(manifest).hexdigest(), len(manifest))

    @tag("metadata")
    @task(3)
    def tags_list(self) -> None:
        """GET /tags/list."""
        with self.operation("metadata tags list"):
            repo, _ = self.seeded_image()
            self.list_tags(repo)

    @tag("metadata")
    @task(3)
    def manifest_head(self) -> None:
        """HEAD the manifest by tag."""
        with self.operation("metadata manifest HEAD"):
            repo, _ = self.seeded_image()
            self.head_manifest(repo, "latest", ACCEPT)

    @tag("metadata")
    @task(2)
    def manifest_get(self) -> None:
        """GET the manifest by digest (checked)."""
        with self.operation("metadata manifest GET"):
            repo, digest = self.seeded_image()
            self.get_manifest(repo, digest, ACCEPT)

    @tag("metadata")
    @task(1)
    def referrers_get(self) -> None:
        """GET the referrers of the image."""
        with self.operation("metadata referrers"):
            repo, digest = self.seeded_image()
            self.referrers(repo, digest)


class CIMix(ImageOperations):
    """75% image pulls, 25% image pushes."""

    @tag("ci-mix")
    @task(3)
    def ci_pull(self) -> None:
        """Pull an image of the shared-base set."""
        with self.operation("image pull"):
            self.pull_from_set()

    @tag("ci-mix")
    @task(1)
    def ci_push(self) -> None:
        """Push a new image."""
        with self.operation("push image"):
            self.push_new_image()

