"""`load.auth`'s token-flow pieces: challenge parsing, token URLs, token answers and the per-user cache."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from load.auth import (
    DEFAULT_EXPIRES_IN,
    BearerChallenge,
    Challenge,
    TokenAnswerError,
    TokenCache,
    TokenKey,
    bearer_challenge,
    mount_scope,
    normal_scope,
    parse_challenges,
    parse_token_answer,
    repository_of,
    token_url,
)

REALM = "http://127.0.0.1:5000/auth/token"


def test_quoted_bearer_challenge_as_distribution_sends_it() -> None:
    value = f'Bearer realm="{REALM}",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"'
    assert parse_challenges(value) == [Challenge("bearer", {
        "realm": REALM, "service": "registry.docker.io", "scope": "repository:samalba/my-app:pull,push",
    })]
    assert bearer_challenge(value) == BearerChallenge(REALM, "registry.docker.io",
                                                      ("repository:samalba/my-app:pull,push",))


def test_unquoted_parameters_keep_urls_and_action_lists() -> None:
    value = f"Bearer realm={REALM},service=svc,scope=repository:a/b:pull,push,error=insufficient_scope"
    assert bearer_challenge(value) == BearerChallenge(REALM, "svc", ("repository:a/b:pull,push",),
                                                      "insufficient_scope")


def test_several_challenges_pick_the_bearer_one() -> None:
    value = f'Basic realm="basic realm, with comma", Negotiate, Bearer realm="{REALM}" , service = s'
    challenges = parse_challenges(value)
    assert [c.scheme for c in challenges] == ["basic", "negotiate", "bearer"]
    assert challenges[0].params == {"realm": "basic realm, with comma"}
    assert challenges[1] == Challenge("negotiate")
    assert bearer_challenge(value) == BearerChallenge(REALM, "s", ())


def test_token68_and_escapes_and_case() -> None:
    challenges = parse_challenges('Basic dXNlcjpwYXNz, BASIC abc==, bEaReR ReAlM="a\\"b\\\\c"')
    assert challenges == [
        Challenge("basic", {}, "dXNlcjpwYXNz"),
        Challenge("basic", {}, "abc=="),
        Challenge("bearer", {"realm": 'a"b\\c'}),
    ]


def test_several_scopes_in_one_parameter_or_several_parameters() -> None:
    one = bearer_challenge(f'Bearer realm="{REALM}",scope="repository:a:pull,push repository:b:pull"')
    assert one is not None and one.scopes == ("repository:a:pull,push", "repository:b:pull")
    two = bearer_challenge(f'Bearer realm="{REALM}",scope="repository:a:pull",scope="registry:catalog:*"')
    assert two is not None and two.scopes == ("repository:a:pull", "registry:catalog:*")


@pytest.mark.parametrize("value", [
    "", "   ,  ", "Bearer", 'Bearer service="s"', 'Basic realm="r"', 'Bearer realm=""', "=,=,=", '"',
    "Bearer realm=",
])
def test_no_usable_bearer_challenge(value: str) -> None:
    assert bearer_challenge(value) is None


def test_sloppy_values_still_parse() -> None:
    garbage = ['",,"Bearer', "Bearer a=b c=d", "\u00e9Bearer realm=x", "Bearer a b c", "Bearer realm=x ,,"]
    for value in garbage:
        assert all(isinstance(c, Challenge) for c in parse_challenges(value))
    assert bearer_challenge("Bearer ,,, realm=x ,,") == BearerChallenge("x", None, ())  # empty list elements
    assert bearer_challenge('Bearer realm="unterminated') == BearerChallenge("unterminated", None, ())


def test_token_url_carries_service_and_every_scope() -> None:
    url = token_url(REALM, "svc", ("repository:a/b:pull,push", "repository:c:pull"))
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REALM
    assert parse_qsl(parts.query) == [("service", "svc"), ("scope", "repository:a/b:pull,push"),
                                      ("scope", "repository:c:pull")]
    with_query = token_url(REALM + "?x=1", None, ("registry:catalog:*",))
    assert with_query == REALM + "?x=1&scope=registry%3Acatalog%3A%2A"
    assert token_url(REALM, None, ()) == REALM


def test_token_answer_fields() -> None:
    assert parse_token_answer(json.dumps({"token": "t1", "expires_in": 300}).encode()) == ("t1", 300.0)
    assert parse_token_answer(json.dumps({"access_token": "t2"}).encode()) == ("t2", DEFAULT_EXPIRES_IN)
    assert parse_token_answer(json.dumps({"token": "", "access_token": "t3", "expires_in": 0}).encode()) == (
        "t3", DEFAULT_EXPIRES_IN)
    boolean = json.dumps({"token": "t4", "expires_in": True}).encode()
    assert parse_token_answer(boolean)[1] == DEFAULT_EXPIRES_IN


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"token": 5}', b'{"expires_in": 60}'])
def test_token_answer_without_token_is_refused_without_quoting_it(body: bytes) -> None:
    with pytest.raises(TokenAnswerError) as caught:
        parse_token_answer(body)
    assert body.decode() not in str(caught.value) or not body


def test_scopes_are_compared_with_sorted_actions() -> None:
    assert normal_scope("repository:a/b:push,pull") == "repository:a/b:pull,push"
    with_port = "repository:127.0.0.1:5000/a"
    assert normal_scope(f"{with_port}:push,pull,push") == f"{with_port}:pull,push"
    assert normal_scope("registry:catalog:*") == "registry:catalog:*"
    assert normal_scope("odd") == "odd" and normal_scope("a:b") == "a:b"


def test_repository_and_mount_scope_of_urls() -> None:
    assert repository_of("http://h/v2/a/b/c/blobs/uploads/123?x") == "a/b/c"
    assert repository_of("/v2/a/manifests/latest") == "a"
    assert repository_of("/v2/tags/tags/list") == "tags"
    assert repository_of("/v2/") is None and repository_of("/v2/_catalog") is None
    assert mount_scope("/v2/dst/blobs/uploads/?mount=sha256:ab&from=src/x") == "repository:src/x:pull"
    assert mount_scope("/v2/dst/blobs/uploads/?mount=sha256:ab") is None
    assert mount_scope("/v2/dst/blobs/uploads/") is None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cache_expiry_routes_and_refetch_rules() -> None:
    clock = Clock()
    cache = TokenCache(clock)
    key = TokenKey.of(REALM, "svc", ("repository:b:pull", "repository:a:push,pull", "repository:b:pull,pull"))
    assert key == TokenKey(REALM, "svc", ("repository:a:pull,push", "repository:b:pull"))
    assert key == TokenKey.of(REALM, "svc", ("repository:b:pull", "repository:a:pull,push"))
    assert cache.get(key) is None and cache.key_for("a") is None and cache.should_fetch(key, None)

    cache.put(key, "tok-1", 100.0)
    cache.route("a", key)
    assert cache.key_for("a") == key and cache.key_for("b") is None
    assert "tok-1" not in repr(cache) and "tok-1" not in repr(cache.get(key))
    # a token refused without ever having worked is not fetched again; another one at hand is reused
    assert not cache.should_fetch(key, "tok-1")
    assert not cache.should_fetch(key, "some-other-token")
    cache.accept(key, "not-the-cached-one")
    assert not cache.should_fetch(key, "tok-1")
    cache.accept(key, "tok-1")
    assert cache.should_fetch(key, "tok-1")  # it worked before: refused now means refresh (once)
    # refresh before the end: at 80 % of the lifetime (at most 10 s early)
    clock.now += 89.9
    assert cache.get(key) is not None
    clock.now += 0.2
    assert cache.get(key) is None and cache.should_fetch(key, "tok-1")
    entry = cache.put(key, "tok-2", 5.0)
    assert entry.refresh_at == pytest.approx(clock.now + 4.0) and not entry.accepted
