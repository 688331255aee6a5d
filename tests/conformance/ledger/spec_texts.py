"""The pinned documents' texts (`texts/`, see its README) as a reader sees them, for the quote tests.

    texts_of(documents.SPEC)                 # (v1.1.1 text, main text), normalized
    quoted_in("The `<name>` MUST ... ", text)  # every `...`-separated fragment, in order
    anchors_of(documents.SPEC)               # GitHub's anchors of the document's headings

Normalization, applied to quotes and texts alike: Markdown links keep their text, HTML tags (`<sup>`
footnotes with their content) and code markers go, list bullets and numbers go, whitespace collapses.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from conformance.ledger import documents
from conformance.ledger.model import Document

TEXTS = Path(__file__).parent / "texts"
FILES: dict[str, tuple[str, ...]] = {
    documents.SPEC.key: ("spec-v1.1.1.md", "spec-main.md"),
    documents.CONTENT_NEGOTIATION.key: ("content-negotiation.md",),
    documents.IMAGE_MANIFEST.key: ("image-manifest.md",),
    documents.IMAGE_INDEX.key: ("image-image-index.md",),
    documents.DESCRIPTOR.key: ("image-descriptor.md",),
    documents.IMAGE_CONFIG.key: ("image-config.md",),
    documents.MEDIA_TYPES.key: ("image-media-types.md",),
    documents.ANNOTATIONS.key: ("image-annotations.md",),
    documents.LAYER.key: ("image-layer.md",),
    documents.IMAGE_CONSIDERATIONS.key: ("image-considerations.md",),
    documents.DOCKER_MANIFEST_V2_2.key: ("dist-manifest-v2-2.md",),
    documents.TOKEN_AUTH.key: ("dist-auth-token.md",),
    documents.TOKEN_SCOPE.key: ("dist-auth-scope.md",),
    documents.TOKEN_JWT.key: ("dist-auth-jwt.md",),
    documents.DISTRIBUTION_API.key: ("dist-api.md",),
}
"""Document key -> its files; for spec.md the v1.1.1 text first, then main."""
ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*")


def normalized(markdown: str) -> str:
    """What a reader sees of `markdown`, in one line."""
    text = re.sub(r"<sup>.*?</sup>", "", markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]*)\]\[[^\]]*\]", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\*\*(\S[^*]*?)\*\*", r"\1", text)
    text = re.sub(r"(?<![\w*])\*(\w[^*]*?)\*(?![\w*])", r"\1", text)
    text = re.sub(r"^\s*```\w*\s*$", " ", text, flags=re.MULTILINE)
    text = re.sub(r"^\s*(?:[-*]|\d+\.)\s+", " ", text, flags=re.MULTILINE)
    return re.sub(r"\s+", " ", text.replace("`", ""))


@cache
def markdown_of(document_key: str) -> tuple[str, ...]:
    """The raw Markdown of each file of the document (empty when none is kept here)."""
    return tuple((TEXTS / name).read_text(encoding="utf-8") for name in FILES.get(document_key, ()))


@cache
def texts_of(document: Document) -> tuple[str, ...]:
    """The normalized texts of `document` (empty when none is kept here)."""
    return tuple(normalized(markdown) for markdown in markdown_of(document.key))


def quoted_in(quote: str, text: str) -> bool:
    """Whether every fragment of `quote` (split at `...`) is in normalized `text`, in order."""
    position = 0
    for fragment in ELLIPSIS.split(normalized(quote).strip()):
        if not fragment:
            continue
        found = text.find(fragment, position)
        if found < 0:
            return False
        position = found + len(fragment)
    return True


def anchors_of(document: Document) -> set[str]:
    """The anchors GitHub gives the headings of every file of `document` (plus explicit `<a name>`s)."""
    anchors: set[str] = set()
    for markdown in markdown_of(document.key):
        for heading in re.findall(r"^#+\s+(.+?)\s*$", markdown, flags=re.MULTILINE):
            plain = re.sub(r"(?<!\w)_(.+?)_(?!\w)", r"\1", normalized(heading)).strip().lower()
            anchors.add(re.sub(r"[^a-z0-9 _-]", "", plain).replace(" ", "-"))
        anchors.update(re.findall(r'<a (?:name|id)="([^"]+)"', markdown))
    return anchors
