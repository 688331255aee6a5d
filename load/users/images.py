"""Image scenarios: push as `docker push` does it, pull as containerd does it, and the pull storm.

- push: per layer HEAD (skip if present), else POST + one streamed PATCH + PUT ?digest=; then the config
  the same way; then PUT the manifest by tag. One `OP push image` row per image.
- pull (`OP image pull`, the whole image's pull time): HEAD the manifest by tag (Accept negotiation),
  GET it by digest (digest checked); for an index, pick the `--platform` entry (as containerd does,
  `users/image_content.py`) and GET that manifest by digest; GET the config (digest and platform checked);
  then GET the layers the simulated node does not hold yet, `--layer-concurrency` at a time (default 3,
  containerd's `max_concurrent_downloads`) in a small gevent pool sharing the user's connection pool.
  The node's "local content store" is per user: manifests and blobs it holds are not fetched again (the
  tag is still resolved with a HEAD). A user forgets everything once it pulled the whole set, like a
  fresh node. The set is `--pull-images` indexes (linux/amd64 + linux/arm64 images over the same
  layers) sharing one base layer, seeded once per process.
- pull storm (`OP image pull (storm)`): every user of every worker pulls one index (same digests
  everywhere: built from the seeded pool without unique suffixes) with nothing held: the node-rollout
  case; pair it with `--shape spike`.
"""

from __future__ import annotations

import json
from typing import Any

import gevent.pool
from locust import tag, task

from conformance.spec import media_types
from load.content import Blob
from load.metrics import COUNTERS
from load.users.base import OperationError, RegistryOperations, RegistryUser
from load.users.image_content import (
    Image,
    ImageIndex,
    NoMatchingManifestError,
    Platform,
    build_image,
    build_index,
    pick_manifest,
    sha256_digest,
)
from load.users.runtime import RUNTIME, run_blocking

ACCEPT = ", ".join((
    media_types.OCI_MANIFEST, media_types.OCI_INDEX, media_types.DOCKER_MANIFEST,
    media_types.DOCKER_MANIFEST_LIST,
))
SETUP = "setup"
CONFIG_ROW = "/v2/[repo]/blobs/[digest] (config)"
DEFAULT_POOL_CONNECTIONS = 10  # requests' per-host connection pool size

__all__ = ["ACCEPT", "SETUP", "Image", "ImageFlows", "ImageOperations", "build_image"]


def _malformed(what: str, exc: Exception) -> OperationError:
    COUNTERS.add_error("MALFORMED_MANIFEST")
    return OperationError(f"pulled {what} is not usable: {exc!r}")


class ImageFlows(RegistryOperations):
    """Image push and pull flows (a mixin) shared by the image scenarios, the CI mix and the metadata mix."""

    def on_start(self) -> None:
        """Start with an empty local content store; room in the connection pool for the layer downloads."""
        super().on_start()
        self.have: set[str] = set()
        self.manifests: dict[str, tuple[Any, str]] = {}
        self.pulled: set[str] = set()
        self.pushes = 0
        self.platform = Platform.parse(self.settings.platform)
        self._widen_connection_pool(self.settings.layer_concurrency)

    def _widen_connection_pool(self, size: int) -> None:
        """Room for the downloads: requests keeps 10 connections per host, more get opened and dropped."""
        mount = getattr(self.client, "mount", None)
        adapter = getattr(self.client, "get_adapter", lambda _url: None)(self.host or "http://127.0.0.1")
        if size <= DEFAULT_POOL_CONNECTIONS or mount is None or adapter is None:
            return
        for prefix in ("http://", "https://"):
            mount(prefix, type(adapter)(pool_manager=None, pool_maxsize=size))

    def forget_content(self) -> None:
        """Empty the local content store (a fresh node)."""
        self.have.clear()
        self.manifests.clear()

    def new_image(self, base: Blob | None = None, unique: bool = True, label: str = "") -> Image:
        """An image of `--layers` layers drawn from the size mix (first layer `base` when given)."""
        return build_image(self.new_layers(base, unique), label or f"{self.scenario}-{self.pushes}")

    def new_layers(self, base: Blob | None = None, unique: bool = True) -> list[Blob]:
        """`--layers` layers drawn from the size mix (first layer `base` when given)."""
        layers = [base] if base is not None else []
        slot = 0
        while len(layers) < self.settings.layers:
            size = self.settings.size_mix.pick(self.rng) if unique else self.settings.size_mix.sizes[0]
            layers.append(RUNTIME.pool.new_blob(size, unique=unique, slot=None if unique else slot,
                                                run_blocking=run_blocking))
            slot += 1
        return layers

    def push_image(self, repo: str, tag_name: str, image: Image, scenario: str | None = None) -> None:
        """`docker push`: HEAD each blob, upload the missing ones, then PUT the manifest."""
        for layer in image.layers:
            if not self.blob_exists(repo, layer.digest):
                self.push_blob_chunked(repo, layer, max(layer.size, 1), scenario=scenario)
        if not self.blob_exists(repo, image.config_digest):
            self.push_bytes(repo, image.config, image.config_digest, scenario=scenario)
        self.put_manifest(repo, tag_name, image.manifest, media_types.OCI_MANIFEST, scenario=scenario)

    def push_index(self, repo: str, tag_name: str, index: ImageIndex, scenario: str | None = None) -> None:
        """Push every platform's image (manifests by digest), then the index by tag."""
        for _, image in index.images:
            self.push_image(repo, image.digest, image, scenario=scenario)
        self.put_manifest(repo, tag_name, index.manifest, media_types.OCI_INDEX, scenario=scenario)

    # ---- the client-like pull -------------------------------------------------------------------

    def manifest_document(self, repo: str, reference: str) -> tuple[Any, str]:
        """(parsed JSON, media type) of a manifest: from the local store when held by digest, else GET."""
        held = self.manifests.get(reference)
        if held is not None:
            return held
        data, content_type = self.get_manifest(repo, reference, ACCEPT)
        try:
            document = json.loads(data)
            media_type = str(document.get("mediaType") or content_type.split(";")[0].strip())
        except (ValueError, AttributeError) as exc:
            raise _malformed("manifest", exc) from exc
        digest = reference if reference.startswith("sha256:") else sha256_digest(data)
        self.manifests[digest] = (document, media_type)
        return document, media_type

    def pull_config(self, repo: str, digest: str, size: int) -> None:
        """GET the config (small: buffered); digest, size and platform checked."""
        response = self.call("GET", f"/v2/{repo}/blobs/{digest}", CONFIG_ROW, (200,))
        data: bytes = response.content
        COUNTERS.add_down(self.scenario, len(data))
        if len(data) != size or sha256_digest(data) != digest:
            COUNTERS.add_digest_mismatch()
            raise OperationError(f"config {digest[:19]}: {len(data)} bytes hashing to {sha256_digest(data)}")
        try:
            config = json.loads(data)
        except ValueError as exc:
            raise _malformed("config", exc) from exc
        if not self.platform.matches(config):
            COUNTERS.add_error("PLATFORM_MISMATCH")
            raise OperationError(f"config {digest[:19]} is not for {self.platform}")
        self.have.add(digest)

    def pull_layers(self, repo: str, layers: list[tuple[str, int]]) -> None:
        """GET the layers not held, `--layer-concurrency` at a time; after a failure no new one starts."""
        todo = list({digest: size for digest, size in layers if digest not in self.have}.items())
        concurrency = min(self.settings.layer_concurrency, len(todo))
        failures: list[Exception] = []

        def fetch(digest: str, size: int) -> None:
            if failures:
                return
            try:
                self.pull_blob(repo, digest, size, self.rng.random() < self.settings.verify_share)
            except Exception as exc:  # reported by pull_blob; re-raised below in the pulling greenlet
                failures.append(exc)
                return
            self.have.add(digest)

        if concurrency <= 1:
            for digest, size in todo:
                fetch(digest, size)
        else:
            pool = gevent.pool.Pool(concurrency)
            try:
                for digest, size in todo:
                    if failures:
                        break
                    pool.spawn(fetch, digest, size)  # waits for a free slot
                pool.join()
            finally:
                pool.kill(block=True, timeout=5)  # only when this greenlet is killed (the test stops)
        if failures:
            raise failures[0]

    def pull_image(self, repo: str, tag_name: str, cached: bool = True) -> None:
        """Resolve the tag (HEAD), the index and its platform manifest, then the config and missing layers."""
        if not cached:
            self.forget_content()
        response = self.call("HEAD", f"/v2/{repo}/manifests/{tag_name}", "/v2/[repo]/manifests/[ref]", (200,),
                             headers={"Accept": ACCEPT})
        document, media_type = self.manifest_document(repo, response.headers.get("Docker-Content-Digest")
                                                      or tag_name)
        if media_type in media_types.INDEX_TYPES:
            try:
                digest, _, _ = pick_manifest(document, self.platform)
            except NoMatchingManifestError as exc:
                COUNTERS.add_error("NO_MATCHING_PLATFORM")
                raise OperationError(str(exc)) from exc
            document, media_type = self.manifest_document(repo, digest)
        if media_type not in media_types.IMAGE_MANIFEST_TYPES:
            raise OperationError(f"pulled manifest has media type {media_type!r}, not an image manifest")
        try:
            config = (str(document["config"]["digest"]), int(document["config"]["size"]))
            layers = [(str(layer["digest"]), int(layer["size"])) for layer in document.get("layers", [])]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _malformed("image manifest", exc) from exc
        if config[0] not in self.have:
            self.pull_config(repo, *config)
        self.pull_layers(repo, layers)

    def pull_set(self, repo: str) -> list[str]:
        """Tags of `--pull-images` indexes sharing a base layer in `repo`, pushed once per process."""
        key = f"images:{self.host}:{repo}:{self.settings.size_mix}:{self.settings.layers}"

        def seed() -> list[str]:
            base = RUNTIME.pool.new_blob(self.settings.size_mix.sizes[0], run_blocking=run_blocking)
            tags = []
            for number in range(self.settings.pull_images):
                index = build_index(self.new_layers(base), f"pull-set-{number}")
                tag_name = f"pull-{index.digest[7:19]}"
                self.push_index(repo, tag_name, index, scenario=SETUP)
                tags.append(tag_name)
            return tags

        try:
            return RUNTIME.seeded(key, seed)
        except OperationError:
            RUNTIME.forget_seed(key)
            raise

    def pull_from_set(self) -> None:
        """Pull one image of the set; forget all content after the whole set was pulled."""
        repo = self.settings.repository(self.rng)
        tags = self.pull_set(repo)
        tag_name = self.rng.choice(tags)
        self.pull_image(repo, tag_name)
        self.pulled.add(f"{repo}:{tag_name}")
        if len(self.pulled) >= len(tags) * self.settings.repos:
            self.forget_content()
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
    """Pull images of a shared-base set, containerd style, skipping content already held."""

    @tag("image-pull", "image", "pull")
    @task
    def pull(self) -> None:
        """One image pull as one operation."""
        with self.operation("image pull"):
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
        with self.operation("image pull (storm)"):
            repo = self.storm_repo()
            key = f"storm:{self.host}:{repo}:{self.settings.size_mix}:{self.settings.layers}"

            def seed() -> str:
                index = build_index(self.new_layers(unique=False), "storm")
                self.push_index(repo, self.STORM_TAG, index, scenario=SETUP)
                return self.STORM_TAG

            try:
                tag_name = RUNTIME.seeded(key, seed)
            except OperationError:
                RUNTIME.forget_seed(key)
                raise
            self.pull_image(repo, tag_name, cached=False)
