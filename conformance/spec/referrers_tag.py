"""The referrers tag schema's tag name (spec.md "Referrers Tag Schema"), written from the spec text.

    referrers_tag("sha256:aaaa...")  ->  "sha256-aaaa..."

main: "The Referrers Tag associated with a Content Digest MUST match the Truncated Algorithm, a `-`
character, and the Truncated Encoded section, with any characters not allowed by `<tag-or-digest>` tags
replaced with `-`." The Truncated Algorithm is the `algorithm` section cut to 32 characters, the Truncated
Encoded section the `encoded` section cut to 64. v1.1.1 says the same for registered digests (`<alg>-<ref>`,
"the digest from the `subject` field (limit of 64 characters)"). These sentences bind clients; the suite
names its tags this way and looks for a registry-maintained tag under the same name.
"""

from __future__ import annotations

import re

ALGORITHM_LIMIT = 32
ENCODED_LIMIT = 64
_NOT_IN_TAGS = re.compile(r"[^a-zA-Z0-9._-]")


def referrers_tag(digest: str) -> str:
    """The referrers tag of the content `digest` (`algorithm:encoded`)."""
    algorithm, separator, encoded = digest.partition(":")
    if not separator or not algorithm or not encoded:
        raise ValueError(f"{digest!r} is no digest (algorithm:encoded)")
    name = f"{algorithm[:ALGORITHM_LIMIT]}-{encoded[:ENCODED_LIMIT]}"
    return _NOT_IN_TAGS.sub("-", name)
