"""Image scenarios: push as `docker push` does it, pull as `docker pull` does it, and the pull storm.

- push: per layer HEAD (skip if present), else POST + one streamed PATCH + PUT ?digest=; then the config
  the same way; then PUT the manifest by tag. One `OP push image` row per image.
- pull: HEAD the manifest by tag (Accept negotiation), GET it by digest (digest checked), GET the config,
  GET each layer the user does not have yet. A user "forgets" its layers once it pulled the whole set,
  like a fresh node. The set is `--pull-images` images sharing one base layer, seeded once per process.
- pull storm: every user of every worker pulls one image (same digests everywhere: built from the
  seeded pool without unique suffixes) with nothing cached: the node-rollout case; pair it with
  `--shape spike`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from locust import tag, task

from conformance.spec import media_types
from load.content import Blob
from load.metrics import COUNTERS
from load.users.base import OperationError, RegistryOperations, RegistryUser
from load.users.runtime import RUNTIME, run_blocking

ACCEPT = ", ".join((
    media_types.OCI_MANIFEST, media_types.OCI_INDEX, media_types.DOCKER_MANIFEST,
    media_types.DOCKER_MANIFEST_LIST,
))
SETUP = "setup"


@dataclass
class Image:
    """Layers, config and manifest bytes of one image."""

    layers: list[Blob]
    config: bytes
    manifest: bytes
    config_digest: str = field(init=False)
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        self.config_digest = "sha256:" + hashlib.sha256(self.config).hexdigest()
        self.digest = "sha256:" + hashlib.sha256(self.manifest).hexdigest()


def build_image(layers: list[Blob], label: str) -> Image:
    """An OCI image manifest over uncompressed-tar layers (so diff_ids equal the layer digests)."""
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {"Labels": {"registry-harness.load": label}},
        "rootfs": {"type": "layers", "diff_ids": [layer.digest for layer in layers]},
    }, sort_keys=True, separators=(",", ":")).encode()
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": media_types.OCI_MANIFEST,
        "config": {"mediaType": media_types.OCI_CONFIG, "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": media_types.OCI_LAYER_TAR, "digest": layer.digest, "size": layer.size}
                   for layer in layers],
    }, sort_keys=True, separators=(",", ":")).encode()
    return Image(layers, config, manifest)


class ImageFlows(RegistryOperations):
    """Image push and pull flows (a mixin) shared by the image scenarios, the CI mix and the metadata mix."""

    def on_start(self) -> None:
        """Start with an empty local layer store."""
        super().on_start()
        self.have: set[str] = set()
        self.pulled: set[str] = set()
        self.pushes = 0

    def new_image(self, base: Blob | None = None, unique: bool = True, label: str = "") -> Image:
        """An image of `--layers` layers drawn from the size mix (first layer `base` when given)."""
        layers = [base] if base is not None else []
        slot = 0
        while len(layers) < self.settings.layers:
            size = self.settings.size_mix.pick(self.rng) if unique else self.settings.size_mix.sizes[0]
            layers.append(RUNTIME.pool.new_blob(size, unique=unique, slot=None if unique else slot,
                                                run_blocking=run_blocking))
            slot += 1
        return build_image(layers, label or f"{self.scenario}-{self.pushes}")

    def push_image(self, repo: str, tag_name: str, image: Image, scenario: str | None = None) -> None:
        """`docker push`: HEAD each blob, upload the missing ones, then PUT the manifest."""
        for layer in image.layers:
            if not self.blob_exists(repo, layer.digest):
                self.push_blob_chunked(repo, layer, max(layer.size, 1), scenario=scenario)
        if not self.blob_exists(repo, image.config_digest):
            self.push_bytes(repo, image.config, image.config_digest, scenario=scenario)
        self.put_manifest(repo, tag_name, image.manifest, media_types.OCI_MANIFEST, scenario=scenario)

    def pull_image(self, repo: str, tag_name: str, cached: bool = True) -> None:
        """`docker pull`: manifest HEAD + GET by digest, config, then the layers not yet held."""
        if not cached:
            self.have.clear()
        response = self.call("HEAD", f"/v2/{repo}/manifests/{tag_name}", "/v2/[repo]/manifests/[ref]", (200,),
                             headers={"Accept": ACCEPT})
        digest = response.headers.get("Docker-Content-Digest")
        data, content_type = self.get_manifest(repo, digest or tag_name, ACCEPT)
        try:
            manifest = json.loads(data)
            config = (str(manifest["config"]["digest"]), int(manifest["config"]["size"]))
            layers = [(str(layer["digest"]), int(layer["size"])) for layer in manifest.get("layers", [])]
            media_type = manifest.get("mediaType", content_type)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            COUNTERS.add_error("MALFORMED_MANIFEST")
            raise OperationError(f"pulled manifest is not a usable image manifest: {exc!r}") from exc
        if media_type not in (media_types.OCI_MANIFEST, media_types.DOCKER_MANIFEST):
            raise OperationError(f"pulled manifest has media type {media_type!r}, not an image manifest")
        if config[0] not in self.have:
            self.pull_blob(repo, config[0], config[1], verify=True)
            self.have.add(config[0])
        for digest, size in layers:
            if digest in self.have:
                continue
            self.pull_blob(repo, digest, size, self.rng.random() < self.settings.verify_share)
            self.have.add(digest)

    def pull_set(self, repo: str) -> list[str]:
        """Tags of `--pull-images` images sharing a base layer in `repo`, pushed once per process."""
        key = f"images:{self.host}:{repo}:{self.settings.size_mix}:{self.settings.layers}"

        def seed() -> list[str]:
            base = RUNTIME.pool.new_blob(self.settings.size_mix.sizes[0], run_blocking=run_blocking)
            tags = []
            for index in range(self.settings.pull_images):
                image = self.new_image(base, label=f"pull-set-{index}")
                tag_name = f"pull-{image.digest[7:19]}"
                self.push_image(repo, tag_name, image, scenario=SETUP)
                tags.append(tag_name)
            return tags

        try:
            return RUNTIME.seeded(key, seed)
        except OperationError:
            RUNTIME.forget_seed(key)
            raise

    def pull_from_set(self) -> None:
        """Pull one image of the set; forget all layers after the whole set was pulled."""
        repo = self.settings.repository(self.rng)
        tags = self.pull_set(repo)
        tag_name = self.rng.choice(tags)
        self.pull_image(repo, tag_name)
        self.pulled.add(f"{repo}:{tag_name}")
        if len(self.pulled) >= len(tags) * self.settings.repos:
            self.have.clear()
            self.pulled.clear()

    def push_new_image(self) -> None:
        """Push one new image (all layers new) under a new tag."""
        self.pushes += 1
        image = self.new_image()
        self.push_image(self.settings.repository(self.rng), f"push-{image.digest[7:19]}", image)


class ImageOperations(ImageFlows, RegistryUser):
    """Abstract base of the image scenarios (HttpUser: layers are big)."""

    abstract = True


class ImagePush(ImageOperations):
    """Push whole images, `docker push` style."""

    @tag("image-push", "image", "push")
    @task
    def push(self) -> None:
        """One image push as one operation."""
        with self.operation("push image"):
            self.push_new_image()


class ImagePull(ImageOperations):
    """Pull images of a shared-base set, `docker pull` style, skipping layers already held."""

    @tag("image-pull", "image", "pull")
    @task
    def pull(self) -> None:
        """One image pull as one operation."""
        with self.operation("pull image"):
            self.pull_from_set()


class PullStorm(ImageOperations):
    """Every user pulls the same image with an empty cache (a fleet of new nodes)."""

    STORM_TAG = "storm"

    def storm_repo(self) -> str:
        """All storm pulls go to one repository."""
        return f"{self.settings.repo_prefix}/storm"

    @tag("pull-storm", "pull")
    @task
    def storm(self) -> None:
        """Pull the storm image from scratch."""
        with self.operation("pull image (storm)"):
            repo = self.storm_repo()
            key = f"storm:{self.host}:{repo}:{self.settings.size_mix}:{self.settings.layers}"

            def seed() -> str:
                image = self.new_image(unique=False, label="storm")
                self.push_image(repo, self.STORM_TAG, image, scenario=SETUP)
                return self.STORM_TAG

            try:
                tag_name = RUNTIME.seeded(key, seed)
            except OperationError:
                RUNTIME.forget_seed(key)
                raise
            self.pull_image(repo, tag_name, cached=False)
