"""Tests of `conformance.checks.stateful_model`: the model's subject lookup, the step log's report form, and
the `step` decorator (it names the running step; a failing step is logged and reported with the run's
steps in the exception message)."""

from __future__ import annotations

from typing import ClassVar

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.properties import Example, PropertyRun
from conformance.checks.stateful_model import MachineContext, RepositoryModel, Steps, step
from conformance.content import image_manifest, referrer
from tests.conformance.checks.checks_doubles import MemoryRegistry, run_config

SUBJECT = image_manifest(3, layer_size=8)
ARTIFACT = referrer(SUBJECT, 4)


def test_subject_of_a_referrer_is_its_subject_and_an_image_has_none() -> None:
    model = RepositoryModel(manifests={SUBJECT.digest: SUBJECT, ARTIFACT.digest: ARTIFACT})
    assert model.subject_of(ARTIFACT.digest) == SUBJECT.digest
    assert model.subject_of(SUBJECT.digest) is None


def test_steps_show_one_per_line() -> None:
    assert repr(Steps()) == "(no steps)"
    assert repr(Steps(["push blob", "list tags"])) == "\n    push blob\n    list tags"


class Machine:
    """The part of a state machine `step` uses."""

    context: ClassVar[MachineContext]

    def __init__(self) -> None:
        self.current = ""
        self.failed = False
        self.steps = Steps(["push blob"])
        self.example: Example = self.context.run.open_example(steps=self.steps)

    @step
    def list_tags(self) -> str:
        return "listed"

    @step
    def delete_tag(self) -> None:
        raise AssertionError("tag still listed")


@pytest.fixture
def machine() -> Machine:
    run = PropertyRun(MemoryRegistry().client(), run_config(), Capabilities(), "stateful-model-test")
    Machine.context = MachineContext(run, run_config(), Capabilities(), referrers_api=False)
    return Machine()


def test_a_step_names_itself_and_returns_what_the_rule_returns(machine: Machine) -> None:
    assert machine.list_tags() == "listed"
    assert machine.current == "list_tags"
    assert not machine.failed


def test_a_failing_step_is_logged_and_reported_with_the_steps_of_the_run(machine: Machine) -> None:
    with pytest.raises(AssertionError) as failure:
        machine.delete_tag()
    assert machine.failed
    assert machine.steps == ["push blob", "FAILED in delete_tag"]
    message = str(failure.value)
    assert message.startswith("tag still listed\n\nfalsifying example")
    assert "push blob" in message and "FAILED in delete_tag" in message
