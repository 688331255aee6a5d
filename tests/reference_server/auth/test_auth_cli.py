"""Auth options on the command line: bad files and keys stop the start with a message (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from reference_server.cli import build_parser, config_from_args, main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


def test_auth_options_reach_the_config(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        ["--data-dir", str(tmp_path), "--auth", "token", "--users-file", "u", "--token-ttl", "30"]
    )
    config = config_from_args(args)
    assert (config.auth, config.users_file, config.token_ttl, config.token_key) == ("token", "u", 30, None)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--token-ttl", "0"])


def test_bad_auth_setup_exits_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    code, err = run([*data, "--auth", "basic"], capsys)
    assert code == 2 and "needs --users-file" in err
    code, err = run([*data, "--auth", "basic", "--users-file", str(tmp_path / "missing")], capsys)
    assert code == 2 and "cannot read users file" in err
    users = tmp_path / "users"
    users.write_text("alice:plain-text-password\n")
    code, err = run([*data, "--auth", "basic", "--users-file", str(users)], capsys)
    assert code == 2 and "no bcrypt hash" in err and "plain-text-password" not in err
    users.write_text("alice:$2y$05$" + "a" * 53 + "\n")
    access = tmp_path / "access.yml"
    access.write_text("organizations: [acme]\n")
    code, err = run(
        [*data, "--auth", "token", "--users-file", str(users), "--access-file", str(access)], capsys
    )
    assert code == 2 and "organizations" in err
    rsa_key = tmp_path / "rsa.pem"
    rsa_key.write_bytes(
        rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    code, err = run(
        [*data, "--auth", "token", "--users-file", str(users), "--token-key", str(rsa_key)], capsys
    )
    assert code == 2 and "P-256" in err
