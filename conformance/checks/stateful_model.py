"""The model and step log of the stateful check's state machine (`suites/test_stateful.py`).

The machine itself (its rules and the invariant comparing registry and model) stays in the check module;
this module owns what it keeps besides them:

- `RepositoryModel`: what one repository holds according to the model (blobs, manifests, tags) and what
  was deleted from it (it must answer 404 from then on).
- `Steps`: the steps a run took, one per line in the report of a failing (shrunk) run.
- `MachineContext`: what the pytest check hands the machine (fixtures cannot reach a state machine).
- `step`: the decorator of every rule and invariant: it logs the step and, when the step fails, reports
  the run's example (its steps and HTTP transcript) through the check's `PropertyRun`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, ClassVar, Protocol, TypeVar

from conformance.capabilities import Capabilities
from conformance.checks.properties import Example, PropertyRun
from conformance.content import Blob, Manifest
from conformance.options import RunConfig


@dataclass
class RepositoryModel:
    """What one repository holds according to the model."""

    blobs: dict[str, Blob] = field(default_factory=dict)
    manifests: dict[str, Manifest] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    gone_blobs: set[str] = field(default_factory=set)
    gone_manifests: set[str] = field(default_factory=set)
    gone_tags: set[str] = field(default_factory=set)

    def subject_of(self, digest: str) -> str | None:
        """The subject digest of manifest `digest`, if it has one."""
        subject = self.manifests[digest].document.get("subject")
        return subject.get("digest") if isinstance(subject, dict) else None


class Steps(list[str]):
    """The steps of one state-machine run, shown one per line in reports."""

    def __repr__(self) -> str:
        return "\n    " + "\n    ".join(self) if self else "(no steps)"


@dataclass
class MachineContext:
    """What the machine needs from the pytest check (fixtures cannot reach a state machine otherwise)."""

    run: PropertyRun
    config: RunConfig
    capabilities: Capabilities
    referrers_api: bool


class SteppedMachine(Protocol):
    """What `step` uses of a machine: the running step's name, the failure flag, the log, the example."""

    context: ClassVar[MachineContext]
    current: str
    failed: bool
    steps: Steps
    example: Example


F = TypeVar("F", bound=Callable[..., Any])


def step(function: F) -> F:
    """Record a rule or invariant as a step of the run, and report the run's transcript if it fails."""

    @wraps(function)
    def wrapper(self: SteppedMachine, *args: Any, **kwargs: Any) -> Any:
        self.current = function.__name__
        try:
            return function(self, *args, **kwargs)
        except BaseException as exc:
            self.failed = True
            self.steps.append(f"FAILED in {function.__name__}")
            self.context.run.fail(self.example, exc)
            raise

    return wrapper  # type: ignore[return-value]
