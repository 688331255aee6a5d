r"""The JSON Schema dialect our validators run: draft 2020-12 with ECMA-262 pattern semantics and formats.

Two details of jsonschema's defaults would let malformed protocol values through, so they are fixed here:

* ``pattern`` is an ECMA-262 regular expression, where ``$`` matches only at the very end of the string.
  Python's ``re`` also lets ``$`` match before a trailing newline, so ``"sha256:<64 hex>\n"`` would pass
  an anchored digest pattern. Patterns are translated once (``$`` outside a character class becomes
  ``\Z``) and compiled with ``re.ASCII`` so ``\d``/``\w`` keep their ECMA meaning.
* ``format`` is only an annotation unless a format checker is given. Ours always is, and it refuses to
  start when the ``uri`` or ``date-time`` checkers are unavailable (their packages are dependencies),
  rather than silently not checking them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any, cast

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.protocols import Validator

#: Formats the protocol schemas rely on; the checker must really enforce each of them.
REQUIRED_FORMATS = ("uri", "date-time")


def ecma_to_python(pattern: str) -> str:
    """Translate an ECMA-262 pattern so Python's ``re`` gives it ECMA end-anchor semantics."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            # a leading ']' (or '^]') is a literal inside the class
            if pattern.startswith("]", index + 1) or pattern.startswith("^]", index + 1):
                skip = 2 if pattern[index + 1] == "]" else 3
                out.append(pattern[index : index + skip])
                index += skip
                continue
        elif char == "$":
            out.append(r"\Z")
            index += 1
            continue
        out.append(char)
        index += 1
    return "".join(out)


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile (once) an ECMA-262 schema pattern for Python."""
    return re.compile(ecma_to_python(pattern), re.ASCII)


def _pattern_keyword(
    validator: Validator, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and compile_pattern(pattern).search(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


#: Draft 2020-12 validator class with ECMA-262 ``pattern`` semantics (same metaschema as draft 2020-12).
_extend = cast("Callable[..., type[Validator]]", validators.extend)
ProtocolValidator: type[Validator] = _extend(Draft202012Validator, validators={"pattern": _pattern_keyword})


def build_format_checker() -> FormatChecker:
    """Return a format checker that enforces every format in :data:`REQUIRED_FORMATS`."""
    checker = FormatChecker()
    missing = [name for name in REQUIRED_FORMATS if name not in checker.checkers]
    if missing:
        raise RuntimeError(
            f"jsonschema cannot check the format(s) {', '.join(missing)}: install the registry-harness "
            "dependencies rfc3986-validator and rfc3339-validator"
        )
    return checker
