"""Fixtures for the reference server's own tests: real servers on loopback (session-scoped), fresh repos."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.registries import start_reference_server
from tests.reference_server.registry_client import Registry, unique_repo


@pytest.fixture(scope="session")
def registry() -> Iterator[Registry]:
    """The default server (deletes on, referrers page size 3 to exercise pagination)."""
    process = start_reference_server(extra_args=["--referrers-page-size", "3"])
    reg = Registry(process)
    try:
        yield reg
    finally:
        reg.close()
        process.stop()


@pytest.fixture(scope="session")
def no_delete_registry() -> Iterator[Registry]:
    """A server started with --no-delete."""
    process = start_reference_server(extra_args=["--no-delete"])
    reg = Registry(process)
    try:
        yield reg
    finally:
        reg.close()
        process.stop()


@pytest.fixture
def repo() -> str:
    """A fresh repository name per test."""
    return unique_repo()
