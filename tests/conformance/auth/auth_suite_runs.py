"""Run the conformance suite as a subprocess against a registry with auth, and look for leaked secrets.

`run_suite` runs chosen suite modules with credentials in the environment only (never on the command
line), reports into a given directory; `find_secrets` greps files for passwords, Basic credentials and
anything shaped like a JWT.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt

import conformance

REPO_ROOT = Path(conformance.__file__).resolve().parent.parent
SUITES = Path(conformance.__file__).resolve().parent / "suites"
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}")


@dataclass
class Users:
    """Two users with random passwords, the bcrypt users file and an access file (org `conformance`)."""

    passwords: dict[str, str]
    users_file: Path
    access_file: Path

    def env(self) -> dict[str, str]:
        """OCI_USERNAME/OCI_PASSWORD for alice, OCI_USERNAME2/OCI_PASSWORD2 for bob."""
        return {
            "OCI_USERNAME": "alice",
            "OCI_PASSWORD": self.passwords["alice"],
            "OCI_USERNAME2": "bob",
            "OCI_PASSWORD2": self.passwords["bob"],
        }

    def secrets(self) -> list[str]:
        """Every password and Basic credential string of the users."""
        found: list[str] = []
        for user, password in self.passwords.items():
            found += [password, base64.b64encode(f"{user}:{password}".encode()).decode()]
        return found


def make_users(directory: Path) -> Users:
    """Users alice (member of organisation `conformance`, the suite's default namespace) and bob."""
    directory.mkdir(parents=True, exist_ok=True)
    passwords = {"alice": secrets.token_urlsafe(12), "bob": secrets.token_urlsafe(12)}
    users_file = directory / "users.htpasswd"
    users_file.write_text(
        "".join(
            f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(5)).decode()}\n"
            for user, password in passwords.items()
        )
    )
    access_file = directory / "access.yml"
    access_file.write_text("organizations:\n  conformance: [alice]\n")
    return Users(passwords, users_file, access_file)


@dataclass
class SuiteRun:
    """A finished suite subprocess."""

    returncode: int
    output: str
    report_dir: Path

    @property
    def results(self) -> dict[str, Any]:
        """results.json of the run."""
        document: dict[str, Any] = json.loads((self.report_dir / "results.json").read_text())
        return document

    def outcomes(self) -> dict[str, str]:
        """Check name -> outcome."""
        return {check["name"]: check["outcome"] for check in self.results["checks"]}


def run_suite(
    url: str, modules: list[str], env: dict[str, str], report_dir: Path, *extra: str, timeout: float = 120.0
) -> SuiteRun:
    """Run `conformance/suites/test_<module>.py` for each module against `url` with `env` added."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("OCI_", "REGISTRY_HARNESS_")) and name != "DOCKER_CONFIG"
    }
    clean["DOCKER_CONFIG"] = str(report_dir.parent / "no-docker-config")
    paths = [str(SUITES / f"test_{module}.py") for module in modules]
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *paths,
            "--registry-url",
            url,
            "--registry-report-dir",
            str(report_dir),
            "-p",
            "no:cacheprovider",
            "-q",
            "-rfE",
            *extra,
        ],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return SuiteRun(completed.returncode, completed.stdout + completed.stderr, report_dir)


def find_secrets(texts: dict[str, str], hidden: list[str]) -> list[str]:
    """Where a hidden string or a JWT appears: `<name>: <kind>` entries (never the secret itself)."""
    found: list[str] = []
    for name, text in texts.items():
        found += [f"{name}: secret #{index}" for index, secret in enumerate(hidden) if secret in text]
        if JWT_RE.search(text):
            found.append(f"{name}: a JWT")
    return found


def read_tree(directory: Path) -> dict[str, str]:
    """Every file under `directory` as text (undecodable bytes replaced)."""
    return {str(path): path.read_text(errors="replace") for path in directory.rglob("*") if path.is_file()}
