"""Helpers for the plugin's own tests: run checks in an inner pytest (pytester) and read their reports."""

from __future__ import annotations

import gc
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPORT_DIR = "out"


def clean_environment(monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str] | None = None) -> None:
    """Inner runs read os.environ: remove every OCI_* / REGISTRY_HARNESS_* / DOCKER_CONFIG, then set `env`."""
    for name in list(os.environ):
        if name.startswith(("OCI_", "REGISTRY_HARNESS_")) or name == "DOCKER_CONFIG":
            monkeypatch.delenv(name)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)


@dataclass
class InnerRun:
    """The outcome of a pytester run plus the reports it wrote."""

    result: pytest.RunResult
    directory: Path

    @property
    def results(self) -> dict[str, Any]:
        """The parsed results.json."""
        document: dict[str, Any] = json.loads((self.directory / "results.json").read_text())
        return document

    def check(self, name: str) -> dict[str, Any]:
        """The results.json entry of the check called `name`."""
        matches = [check for check in self.results["checks"] if check["name"] == name]
        assert len(matches) == 1, f"{name} not in {[check['name'] for check in self.results['checks']]}"
        match: dict[str, Any] = matches[0]
        return match

    @property
    def junit(self) -> ET.Element:
        """The root element of junit.xml."""
        return ET.parse(self.directory / "junit.xml").getroot()

    def junit_case(self, name: str) -> ET.Element:
        """The <testcase> element of the check called `name`."""
        cases = [case for case in self.junit.iter("testcase") if case.get("name") == name]
        assert len(cases) == 1
        return cases[0]


def run_inner(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    *args: str,
    env: Mapping[str, str] | None = None,
    report_dir: str | None = REPORT_DIR,
) -> InnerRun:
    """Write `source` as test_checks.py and run it in-process, reports into `out/` unless told otherwise."""
    clean_environment(monkeypatch, {"DOCKER_CONFIG": str(pytester.path / "no-docker-config"), **(env or {})})
    pytester.makepyfile(test_checks=source)
    report_args = ("--registry-report-dir", report_dir) if report_dir else ()
    gc.freeze()  # pytest's unraisable-exception cleanup runs gc.collect() 5 times per run: skip our heap
    try:
        result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *report_args, *args)
    finally:
        gc.unfreeze()
    return InnerRun(result, pytester.path / (report_dir or REPORT_DIR))
