"""Content descriptors (image-spec `descriptor.md`) as a value type that renders the JSON object.

`Descriptor.to_dict()` gives the JSON form with keys in the spec's order; `extra` carries custom
fields (unknown fields that registries must tolerate). `Content` is the protocol shared by blobs
and manifests: anything with bytes, a media type, a digest and a size.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Descriptor:
    """A descriptor: media type, digest and size plus the optional fields of `descriptor.md`."""

    media_type: str
    digest: str
    size: int
    urls: tuple[str, ...] = ()
    annotations: Mapping[str, str] | None = None
    artifact_type: str | None = None
    data: bytes | None = None
    platform: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The descriptor as a JSON object (`data` base64-encoded)."""
        document: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.urls:
            document["urls"] = list(self.urls)
        if self.annotations is not None:
            document["annotations"] = dict(self.annotations)
        if self.data is not None:
            document["data"] = base64.b64encode(self.data).decode("ascii")
        if self.artifact_type is not None:
            document["artifactType"] = self.artifact_type
        if self.platform is not None:
            document["platform"] = dict(self.platform)
        document.update(self.extra)
        return document

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> Descriptor:
        """Read a descriptor JSON object (as found in manifests and referrers responses)."""
        known = {"mediaType", "digest", "size", "urls", "annotations", "data", "artifactType", "platform"}
        data = document.get("data")
        return cls(
            media_type=document["mediaType"],
            digest=document["digest"],
            size=document["size"],
            urls=tuple(document.get("urls", ())),
            annotations=document.get("annotations"),
            artifact_type=document.get("artifactType"),
            data=base64.b64decode(data) if isinstance(data, str) else None,
            platform=document.get("platform"),
            extra={key: value for key, value in document.items() if key not in known},
        )


class Content(Protocol):
    """Something pushable with a known byte form: a `Blob` or a `Manifest`."""

    @property
    def data(self) -> bytes:
        """The exact bytes."""
        ...

    @property
    def media_type(self) -> str:
        """The media type to declare for it."""
        ...

    @property
    def digest(self) -> str:
        """The digest of `data`, computed by us."""
        ...

    @property
    def size(self) -> int:
        """`len(data)`."""
        ...
