"""Inlines every ``$ref`` of a schema into one self-contained tree, remembering where each node came from.

jsonschema resolves a ``$ref`` on every visit; for our small, non-recursive schemas that lookup is about
a third of the validation time. A bundle is built once per validator: a copy of the schema in which

* ``{"$ref": X}`` (with only annotations beside it) is replaced by the bundled target itself, and
* ``{"$ref": X, <other keywords>}`` becomes ``{<other keywords>, "allOf": [..., <bundled target>]}``,
  which is what draft 2020-12 means by a ``$ref`` with siblings.

Every dict in the bundle is recorded in ``origins`` (``id(node) -> (file uri, JSON pointer)``) so a
violation still names the rule's location in the original files. Targets are shared, never copied twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin

_ANNOTATIONS = frozenset({"$ref", "description", "title", "$comment"})
_SCOPE_KEYWORDS = ("$id", "$schema")


@dataclass
class Bundle:
    """A $ref-free schema tree and the origin (file uri, pointer) of each of its dicts."""

    root: dict[str, Any]
    origins: dict[int, tuple[str, str]] = field(default_factory=dict)


def _resolve_pointer(document: Any, pointer: str) -> Any:
    node = document
    for raw in pointer.split("/")[1:] if pointer else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


class _Bundler:
    def __init__(self, documents: Mapping[str, dict[str, Any]]) -> None:
        self.documents = documents
        self.origins: dict[int, tuple[str, str]] = {}
        self.done: dict[tuple[str, str], Any] = {}
        self.active: set[tuple[str, str]] = set()

    def target(self, base: str, ref: str) -> Any:
        uri, fragment = urldefrag(urljoin(base, ref))
        key = (uri, fragment)
        if key in self.done:
            return self.done[key]
        if key in self.active:
            raise ValueError(f"recursive $ref {ref!r} from {base}: bundling needs non-recursive schemas")
        self.active.add(key)
        try:
            node = _resolve_pointer(self.documents[uri], fragment)
            bundled = self.node(uri, fragment, node, inlined=True)
        finally:
            self.active.discard(key)
        self.done[key] = bundled
        return bundled

    def node(self, uri: str, pointer: str, node: Any, *, inlined: bool = False) -> Any:
        if isinstance(node, list):
            return [self.node(uri, f"{pointer}/{index}", item) for index, item in enumerate(node)]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and set(node) <= _ANNOTATIONS:
            return self.target(uri, ref)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" or (inlined and key in _SCOPE_KEYWORDS):
                continue
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            out[key] = self.node(uri, f"{pointer}/{escaped}", value)
        if isinstance(ref, str):
            out["allOf"] = [*out.get("allOf", []), self.target(uri, ref)]
        self.origins[id(out)] = (uri, pointer)
        return out


def bundle(documents: Mapping[str, dict[str, Any]], uri: str) -> Bundle:
    """Return the bundle of the schema document ``uri``, resolving refs among ``documents`` (by ``$id``)."""
    bundler = _Bundler(documents)
    root = bundler.node(uri, "", documents[uri])
    if not isinstance(root, dict):
        raise TypeError(f"{uri} is not a schema object")
    return Bundle(root, bundler.origins)
