"""Acceptance: the whole conformance suite passes against the bundled server with `--auth basic` and
`--auth token` (credentials only in the environment), and no password, Basic credential or token
reaches the reports, the suite's output or the server's log (access log on)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.registries import start_reference_server
from tests.conformance.auth.auth_suite_runs import SUITES, find_secrets, make_users, read_tree, run_suite

# The whole suite: every module under conformance/suites/.
MODULES = sorted(path.stem.removeprefix("test_") for path in SUITES.glob("test_*.py"))


@pytest.mark.parametrize("mode", ["basic", "token"])
def test_suite_passes_in_auth_mode_and_leaks_nothing(mode: str, tmp_path: Path) -> None:
    users = make_users(tmp_path / "users")
    extra = ["--token-ttl", "3"] if mode == "token" else []
    server = start_reference_server(
        extra_args=[
            "--auth",
            mode,
            "--users-file",
            str(users.users_file),
            "--access-file",
            str(users.access_file),
            "--access-log",
            "--log-level",
            "info",
            *extra,
        ]
    )
    try:
        run = run_suite(server.url, MODULES, users.env(), tmp_path / "report", timeout=400)
    finally:
        server.stop()
    log = server.log_path.read_text(errors="replace") if server.log_path.exists() else ""
    assert run.returncode == 0, run.output[-6000:]
    outcomes = run.outcomes()
    bad = {name: outcome for name, outcome in outcomes.items() if outcome in ("failed", "error")}
    assert not bad, run.output[-6000:]
    auth_checks = {
        name: outcome
        for name, outcome in outcomes.items()
        if "auth" in name
        or "token" in name
        or "password" in name
        or "isolated" in name
        or "challenged" in name
    }
    assert auth_checks.get("test_users_are_isolated") == "passed"
    assert auth_checks.get("test_wrong_password_is_refused") == "passed"
    expected_token_checks = "passed" if mode == "token" else "unsupported"
    for name in ("test_pull_only_token_cannot_push", "test_expired_token_is_replaced",
                 "test_invalid_token_is_refused_and_replaced", "test_token_for_another_audience_is_refused"):
        assert outcomes.get(name) == expected_token_checks, (name, outcomes.get(name))
    # 3 s tokens (so that expiry is checked) break token.md's 60 s SHOULD: a warning, exactly that one
    answer = next(c for c in run.results["checks"] if c["name"] == "test_token_response_carries_a_token")
    assert answer["outcome"] == ("warned" if mode == "token" else "unsupported")
    assert [f["rule"] for f in answer["findings"]] == (["token-min-lifetime"] if mode == "token" else [])
    assert sum(1 for outcome in outcomes.values() if outcome == "passed") > 200
    texts = {**read_tree(run.report_dir), "suite output": run.output, "server log": log}
    assert "GET /v2/" in log  # the access log was on: requests were logged
    assert not find_secrets(texts, users.secrets())
