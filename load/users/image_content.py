"""Image content for the image scenarios: manifests, configs and indexes, and a client's platform choice.

- `build_image`: an OCI image manifest over uncompressed-tar layers (diff_ids equal the layer digests) with a
  config naming its platform;
- `build_index`: an OCI image index over one image per platform (the first one is `linux/amd64` by default);
  the other platforms reuse the same layers with their own config, so seeding costs one config and one
  manifest per extra platform, and a client that picks the wrong entry is caught by its config check;
- `Platform` and `pick_manifest`: how containerd picks the manifest of an index for its platform: entries
  whose `platform` has the same os and architecture (and variant, when one is asked for), in index order;
  entries without a platform or for `unknown/unknown` (build attestations) are never picked.

This module never imports locust or gevent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from conformance.spec import media_types
from load.content import Blob

DEFAULT_PLATFORMS = ("linux/amd64", "linux/arm64")


def sha256_digest(data: bytes) -> str:
    """`sha256:<hex>` of `data`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(document: dict[str, Any]) -> bytes:
    """Compact, key-sorted JSON bytes (stable digests)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Platform:
    """An os/architecture[/variant] triple as an index entry and a config spell it."""

    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def parse(cls, text: str) -> Platform:
        """`linux/amd64`, `linux/arm64/v8`; raises ValueError for anything else."""
        parts = text.strip().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"not a platform: {text!r} (use os/arch[/variant], e.g. linux/amd64)")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else "")

    def as_json(self) -> dict[str, str]:
        """The `platform` object of an index entry."""
        document = {"os": self.os, "architecture": self.architecture}
        if self.variant:
            document["variant"] = self.variant
        return document

    def matches(self, document: Any) -> bool:
        """Whether an index entry's `platform` (or a config) is this platform (variant only when asked)."""
        if not isinstance(document, dict):
            return False
        if document.get("os") != self.os or document.get("architecture") != self.architecture:
            return False
        return not self.variant or document.get("variant", "") == self.variant

    def __str__(self) -> str:
        return "/".join(filter(None, (self.os, self.architecture, self.variant)))


@dataclass
class Image:
    """Layers, config and manifest bytes of one image."""

    layers: list[Blob]
    config: bytes
    manifest: bytes
    config_digest: str = field(init=False)
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        self.config_digest = sha256_digest(self.config)
        self.digest = sha256_digest(self.manifest)


@dataclass
class ImageIndex:
    """An index and the image of each platform it lists (same order)."""

    images: list[tuple[Platform, Image]]
    manifest: bytes
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        self.digest = sha256_digest(self.manifest)


def build_image(layers: list[Blob], label: str, platform: Platform | None = None) -> Image:
    """An OCI image manifest over uncompressed-tar layers (so diff_ids equal the layer digests)."""
    platform = platform or Platform("linux", "amd64")
    config = canonical_json({
        **platform.as_json(), "config": {"Labels": {"registry-harness.load": label}},
        "rootfs": {"type": "layers", "diff_ids": [layer.digest for layer in layers]},
    })
    manifest = canonical_json({
        "schemaVersion": 2,
        "mediaType": media_types.OCI_MANIFEST,
        "config": {"mediaType": media_types.OCI_CONFIG, "digest": sha256_digest(config), "size": len(config)},
        "layers": [{"mediaType": media_types.OCI_LAYER_TAR, "digest": layer.digest, "size": layer.size}
                   for layer in layers],
    })
    return Image(layers, config, manifest)


def build_index(layers: list[Blob], label: str, platforms: tuple[str, ...] = DEFAULT_PLATFORMS) -> ImageIndex:
    """An OCI index with one image per platform, all over `layers` (each with its own config)."""
    images = [(Platform.parse(text), build_image(layers, label, Platform.parse(text))) for text in platforms]
    manifest = canonical_json({
        "schemaVersion": 2,
        "mediaType": media_types.OCI_INDEX,
        "manifests": [{"mediaType": media_types.OCI_MANIFEST, "digest": image.digest,
                       "size": len(image.manifest), "platform": platform.as_json()}
                      for platform, image in images],
    })
    return ImageIndex(images, manifest)


class NoMatchingManifestError(ValueError):
    """An index without a usable entry for the platform asked for."""


def pick_manifest(index: Any, platform: Platform) -> tuple[str, int, str]:
    """(digest, size, media type) of the first index entry for `platform`, else NoMatchingManifestError."""
    entries = index.get("manifests") if isinstance(index, dict) else None
    if not isinstance(entries, list):
        raise NoMatchingManifestError("the index has no `manifests` list")
    for entry in entries:
        if not isinstance(entry, dict) or not platform.matches(entry.get("platform")):
            continue
        if entry.get("mediaType") not in media_types.IMAGE_MANIFEST_TYPES:
            continue
        try:
            return str(entry["digest"]), int(entry["size"]), str(entry["mediaType"])
        except (KeyError, TypeError, ValueError) as exc:
            raise NoMatchingManifestError(f"the entry for {platform} is malformed: {exc!r}") from exc
    offered = ["/".join(str(entry["platform"][key]) for key in ("os", "architecture", "variant")
                        if entry["platform"].get(key))
               for entry in entries if isinstance(entry, dict) and isinstance(entry.get("platform"), dict)]
    listed = ", ".join(dict.fromkeys(offered)) or "none"
    raise NoMatchingManifestError(f"no image manifest for {platform} in the index (it lists: {listed})")
