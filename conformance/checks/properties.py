"""Per-example machinery of the property and stateful checks: fresh clients, transcripts, cleanup, reports.

Hypothesis runs a check's body many times (one "example" each) inside ONE pytest item, so function-scoped
fixtures (`client`, `repo`, `cleanup`) would be shared by every example. Property checks take only the
session-scoped `registry_target`, `registry_config` and `capabilities` and open one `Example` per example:

    run = PropertyRun(property_client, registry_config, capabilities, "blob-round-trip", test_fn)
    with run.example(blob=blob_shape) as example:     # fresh transcript + repository + cleanup
        example.client.push_blob(example.repo, blob)  # every request lands in example.transcript
        ...

`property_client` is a session-scoped fixture defined here (import `property_client_fixture` into the
check module): one client
for all examples (a client costs ~85 ms to build, mostly its TLS context), recording into the transcript
of the running example.

When an example fails, its exception message gains the example (the drawn values), the Hypothesis seed
and how to replay it, and its transcript REPLACES the previous failing example's in the check's report.
Hypothesis replays the shrunk (minimal) failing example last, so the report ends up holding exactly the
transcript of the minimal example, and the failure's finding (its rule and quote) carries the example too.
Verdicts that do not end the check (a warning, advice) are reported once per rule and key
(`run.judge_once`), not once per example; a verdict that fails (a MUST, or a SHOULD under
--registry-strict) raises every time, so that Hypothesis shrinks consistently.
Content an example pushed is deleted when the example ends (tags, manifests, then blobs), unless the delete
switches are off or the registry showed it cannot delete (`conformance.cleanup.delete_registered`); every
record goes into the run's cleanup ledger, and what is left behind becomes one note per reason.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

import hypothesis.core
import pytest

from conformance.capabilities import Capabilities
from conformance.cleanup import Cleanup, delete_registered
from conformance.cleanup_ledger import active_check, active_ledger
from conformance.client import RegistryClient, Transcript
from conformance.fixtures import RegistryTarget, repository_slug
from conformance.ledger.model import Level, Rule
from conformance.options import RunConfig
from conformance.verdicts import MustViolation, ShouldViolation, current_recorder, judge, note, settings

SEED_ATTRIBUTE = "_hypothesis_internal_use_generated_seed"


class ExampleTranscript(Transcript):
    """A transcript headed by the example it belongs to (what was drawn, the seed, how to replay)."""

    def __init__(self, heading: str) -> None:
        super().__init__()
        self.heading = heading

    def render(self, last: int | None = None) -> str:
        """The heading, then the exchanges."""
        return f"{self.heading}\n\n{super().render(last)}"


@dataclass
class Example:
    """One Hypothesis example: its client, transcript, repository and cleanup."""

    client: RegistryClient
    transcript: ExampleTranscript
    repo: str
    cleanup: Cleanup
    namespace: str
    drawn: dict[str, Any] = field(default_factory=dict)

    def repository(self, label: str) -> str:
        """Another fresh repository name for this example (`<namespace>/<label>-<random>`)."""
        return f"{self.namespace}/{repository_slug(label, 30)}-{secrets.token_hex(3)}"


@pytest.fixture(scope="session", name="property_client")
def property_client_fixture(registry_target: RegistryTarget) -> Iterator[RegistryClient]:
    """One client for every example of the property and stateful checks (examples swap its transcript)."""
    client = registry_target.new_client(Transcript())
    try:
        yield client
    finally:
        client.close()


def hypothesis_seed(test: Any) -> str:
    """How the running Hypothesis test was seeded, for failure messages."""
    forced = getattr(hypothesis.core, "global_force_seed", None)
    if forced is not None:
        return f"--hypothesis-seed={forced}"
    generated = getattr(test, SEED_ATTRIBUTE, None)
    if generated is not None:
        return f"--hypothesis-seed={generated}"
    explicit = getattr(test, "_hypothesis_internal_use_seed", None)
    if explicit is not None:
        return f"@seed({explicit})"
    current = hypothesis.settings.default
    if current is not None and current.derandomize:
        return "derandomized (seed from the test's name)"
    return "random (replay: the @reproduce_failure line of the report, or the example database)"


def describe_drawn(drawn: dict[str, Any]) -> str:
    """`name=repr` pairs of what an example drew, one per line."""
    return "\n".join(f"  {name} = {value!r}" for name, value in drawn.items()) or "  (nothing drawn)"


class PropertyRun:
    """The examples of one property check (create it inside the check's body; it is cheap)."""

    _should_seen: ClassVar[set[str]] = set()
    _failure_transcripts: ClassVar[dict[int, ExampleTranscript]] = {}

    def __init__(
        self,
        client: RegistryClient,
        config: RunConfig,
        capabilities: Capabilities,
        label: str,
        test: Any = None,
    ) -> None:
        self.client = client
        self.config = config
        self.capabilities = capabilities
        self.label = label
        self.test = test
        self._previous_transcripts: list[Transcript] = []

    @contextmanager
    def example(self, **drawn: Any) -> Iterator[Example]:
        """Run one example: fresh transcript and repository; report it if it fails; clean up after."""
        example = self.open_example(**drawn)
        try:
            yield example
        except BaseException as exc:
            self.fail(example, exc)
            raise
        finally:
            self.close_example(example)

    def open_example(self, **drawn: Any) -> Example:
        """Start an example by hand (state machines): the client records into its transcript until closed."""
        namespace = self.config.namespace
        transcript = ExampleTranscript("")
        repo = f"{namespace}/{repository_slug(self.label, 30)}-{secrets.token_hex(3)}"
        example = Example(self.client, transcript, repo, Cleanup(namespace, self.config.mount_namespace),
                          namespace, dict(drawn))
        self._previous_transcripts.append(self.client.transcript)
        self.client.transcript = transcript
        return example

    def close_example(self, example: Example) -> None:
        """Clean up after an example opened by `open_example` and restore the client's transcript."""
        try:
            self._clean(example)
        finally:
            if self._previous_transcripts:
                self.client.transcript = self._previous_transcripts.pop()

    def fail(self, example: Example, exc: BaseException) -> None:
        """Report `example` as the failing one (transcript in the report, drawn values in the message)."""
        self._report_failure(example, exc)

    def _report_failure(self, example: Example, exc: BaseException) -> None:
        seed = hypothesis_seed(self.test)
        heading = (f"# falsifying example of {self.label} (the last one shown is the minimal one after "
                   f"shrinking):\n{describe_drawn(example.drawn)}\n"
                   f"# seed: {seed}; replay: run the check again "
                   "(Hypothesis' example database replays it first) or pass the seed")
        example.transcript.heading = heading
        recorder = current_recorder()
        if recorder is not None:
            previous = self._failure_transcripts.get(id(recorder))
            if previous is not None and previous in recorder.transcripts:
                recorder.transcripts.remove(previous)
            recorder.add_transcript(example.transcript)
            self._failure_transcripts[id(recorder)] = example.transcript
        example_text = f"falsifying example ({seed}):\n{describe_drawn(example.drawn)}"
        if exc.args and isinstance(exc.args[0], str) and not isinstance(exc, KeyboardInterrupt):
            exc.args = (f"{exc.args[0]}\n\n{example_text}", *exc.args[1:])
        if isinstance(exc, (MustViolation, ShouldViolation)) and example_text not in exc.plain_message:
            exc.plain_message = f"{exc.plain_message}\n\n{example_text}"  # the finding names the example

    def _clean(self, example: Example) -> None:
        """Delete what the example registered (not recorded in its transcript); never raises.

        Every record goes into the run's cleanup ledger; what was left becomes a note, once per reason.
        """
        cleanup = example.cleanup
        if not (cleanup.tags or cleanup.manifests or cleanup.blobs):
            return
        check = active_check() or self.label
        with self.client.recording(Transcript()):
            records = delete_registered(cleanup, self.client, self.config, self.capabilities, check=check)
        ledger = active_ledger()
        if ledger is not None:
            ledger.add(records)
        for kind, reason in dict.fromkeys((r.kind, r.reason) for r in records if not r.deleted):
            self.note_once(f"cleanup: {kind}(s) left in the registry ({reason})")

    def note_once(self, message: str) -> None:
        """Record `message` as a note of the check, once however many examples hit it."""
        key = f"note:{self.label}:{message}"
        if key not in self._should_seen:
            self._should_seen.add(key)
            note(message)

    def judge_once(self, rule: Rule, condition: object, key: str, message: str) -> bool:
        """`judge(rule, condition, message)`, but a warning or advice only once per rule and `key`.

        A broken rule that ends the check (a MUST, a SHOULD under --registry-strict) raises for every
        example, so that shrinking sees each failing example fail.
        """
        __tracebackhide__ = True
        if condition:
            return judge(rule, True, message)
        run = settings()
        level = rule.level(run.spec_version, strict_readings=run.strict_readings)
        if level is Level.FAIL or (level is Level.WARN and self.config.strict):
            return judge(rule, False, message)
        seen = f"judge:{self.label}:{rule.id}:{key}"
        if seen in self._should_seen:
            judge(rule, True, message)  # recorded as evaluated, not reported again
            return False
        self._should_seen.add(seen)
        return judge(rule, False, message)
