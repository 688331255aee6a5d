"""Property tests: grammars built independently of the schemas' regexes agree with the schemas."""

from __future__ import annotations

import hashlib
import string
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

import schemas

TAG_FIRST = string.ascii_letters + string.digits + "_"
TAG_REST = TAG_FIRST + ".-"
NAME_ALNUM = string.ascii_lowercase + string.digits
FAST = settings(max_examples=60, deadline=None)


def _descriptor(digest: str) -> dict[str, object]:
    return {"mediaType": "application/octet-stream", "digest": digest, "size": 1}


def _digest_violations(digest: str) -> list[schemas.SchemaViolation]:
    return [v for v in schemas.validate(_descriptor(digest), "descriptor") if v.path == "$.digest"]


@FAST
@given(content=st.binary(max_size=64), algorithm=st.sampled_from(["sha256", "sha512"]))
def test_computed_digests_pass(content: bytes, algorithm: str) -> None:
    assert _digest_violations(f"{algorithm}:{hashlib.new(algorithm, content).hexdigest()}") == []


@FAST
@given(content=st.binary(max_size=64), algorithm=st.sampled_from(["sha256", "sha512"]), data=st.data())
def test_damaged_registered_digests_fail(content: bytes, algorithm: str, data: st.DataObject) -> None:
    encoded = hashlib.new(algorithm, content).hexdigest()
    damage = data.draw(st.sampled_from(["upper", "truncate", "extend", "non-hex", "newline"]))
    if damage == "upper":
        index = data.draw(st.sampled_from([i for i, c in enumerate(encoded) if c.isalpha()] or [0]))
        encoded = (
            encoded[:index]
            + ("A" if not encoded[index].isalpha() else encoded[index].upper())
            + encoded[index + 1 :]
        )
    elif damage == "truncate":
        encoded = encoded[: data.draw(st.integers(0, len(encoded) - 1))]
    elif damage == "extend":
        encoded += data.draw(st.text("0123456789abcdef", min_size=1, max_size=4))
    elif damage == "non-hex":
        encoded = encoded[:-1] + data.draw(st.sampled_from("ghxyz_-="))
    else:
        encoded += "\n"
    assert _digest_violations(f"{algorithm}:{encoded}") != []


@FAST
@given(
    components=st.lists(
        st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=8), min_size=1, max_size=3
    ),
    separators=st.lists(st.sampled_from("+._-"), max_size=2),
    encoded=st.text(string.ascii_letters + string.digits + "=_-", min_size=1, max_size=40),
)
def test_unregistered_grammatical_digests_pass(
    components: list[str], separators: list[str], encoded: str
) -> None:
    algorithm = components[0] + "".join(
        sep + comp for sep, comp in zip(separators, components[1:], strict=False)
    )
    if algorithm in {"sha256", "sha512", "blake3"}:
        algorithm += "x"
    assert _digest_violations(f"{algorithm}:{encoded}") == []


@FAST
@given(first=st.sampled_from(TAG_FIRST), rest=st.text(TAG_REST, max_size=127))
def test_grammatical_tags_pass(first: str, rest: str) -> None:
    assert schemas.validate({"name": "repo", "tags": [first + rest]}, "tags-list") == []


@FAST
@given(tag=st.text(min_size=1, max_size=140))
def test_tags_outside_the_grammar_fail(tag: str) -> None:
    grammatical = len(tag) <= 128 and tag[0] in TAG_FIRST and all(c in TAG_REST for c in tag[1:])
    violations = schemas.validate({"name": "repo", "tags": [tag]}, "tags-list")
    assert (violations == []) == grammatical


@FAST
@given(
    components=st.lists(
        st.tuples(
            st.text(NAME_ALNUM, min_size=1, max_size=5),
            st.lists(
                st.tuples(
                    st.sampled_from([".", "_", "__", "-", "--", "---"]),
                    st.text(NAME_ALNUM, min_size=1, max_size=5),
                ),
                max_size=2,
            ),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_grammatical_repository_names_pass(components: list[tuple[str, list[tuple[str, str]]]]) -> None:
    name = "/".join(head + "".join(sep + alnum for sep, alnum in tail) for head, tail in components)
    assert schemas.validate({"repositories": [name]}, "catalog") == []


def test_importing_schemas_pulls_in_no_other_package_of_ours_and_no_locust() -> None:
    code = (
        "import sys, schemas\n"
        "schemas.validate({}, 'image-manifest')\n"
        "ours = {'locust', 'gevent', 'conformance', 'reference_server', 'load'}\n"
        "print([m for m in sys.modules if m.split('.')[0] in ours])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_public_api_is_curated() -> None:
    assert sorted(schemas.__all__) == [
        "Level",
        "SchemaError",
        "SchemaViolation",
        "UnknownSchemaError",
        "check",
        "iter_violations",
        "name_for_media_type",
        "names",
        "resolve_name",
        "schema_json",
        "validate",
        "validator_for",
    ]
    for name in schemas.__all__:
        assert hasattr(schemas, name), name
