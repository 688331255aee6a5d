"""Stateful check (Hypothesis `RuleBasedStateMachine`): a registry agrees with a model of two repositories.

Random sequences of operations on two fresh repositories: push a blob; push an image manifest by tag or by
digest; retag (a new tag, or move an existing one); delete a tag, a manifest (its tags go with it), a blob;
mount a blob from the other repository; push a referrer; list tags; list referrers. After every step the
registry must agree with the model on everything the step touched: each tag resolves to its manifest's digest,
each manifest and blob answers 200 with the right digest and length, and whatever was deleted answers 404; the
list steps compare whole tag and referrer lists; at the end of each run every tag, manifest and blob of the
model, and everything deleted, is checked once more (spec.md "Pulling", "Pushing", "Content Discovery",
"Content Management"). Checking only what a step touched keeps a run cheap enough to shrink a failure to a
minimal sequence in seconds; the final full check catches side effects on the rest. Optional features absent
in an allowed way (a delete answering 400/405, a mount answering 202, no referrers API) are recorded once as
unsupported and their rule is skipped from then on; anything else is a failure. A failing sequence is shrunk
to a minimal one whose steps and HTTP transcript are the check's report.
"""

from __future__ import annotations

from typing import ClassVar

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from conformance.capabilities import Capabilities
from conformance.checks.documents import check_digest_header, check_manifest_pushed, check_manifest_served
from conformance.checks.listings import TAG_LIST_RULES, compare_tag_list, full_tag_list, referrer_entries
from conformance.checks.properties import Example, PropertyRun, property_client_fixture  # noqa: F401 (fixture)
from conformance.checks.settle import Shows, referrers_showing, settle, tags_gone_or_absent, tags_showing
from conformance.checks.stateful_model import MachineContext, RepositoryModel, Steps, step
from conformance.checks.stateful_verdicts import (
    DELETE_AND_REFERRER_RULES,
    check_gone,
    compare_referrers,
    delete_refused,
)
from conformance.client import RegistryClient, Response
from conformance.content import Blob, Manifest, image_config, image_manifest, random_blob, referrer, tar_layer
from conformance.hypothesis_profiles import check_settings
from conformance.ledger.model import Rule
from conformance.ledger.rules import deletes, general, manifests, mounts, pull
from conformance.ledger.rules import tags as tag_rules
from conformance.options import RunConfig
from conformance.strategies import artifact_types
from conformance.verdicts import judge

pytestmark = [pytest.mark.properties, pytest.mark.writes]

STEP_TAGS = st.from_regex(r"\A[a-z0-9][a-z0-9._-]{0,10}\Z", fullmatch=True)


def _model_tags_shown(state: RepositoryModel) -> Shows:
    """When a tag list shows the model (within the settle time): its tags listed, the deleted ones not."""
    if state.tags:
        return tags_showing(state.tags, state.gone_tags)
    if state.gone_tags:
        return tags_gone_or_absent(state.gone_tags)
    return lambda response: True  # nothing written that a list shows: no wait


class RegistryMachine(RuleBasedStateMachine):
    """Two repositories, operations on them, and the model's expectations checked after each step."""

    context: ClassVar[MachineContext]

    def __init__(self) -> None:
        super().__init__()
        self.steps = Steps()
        self.current = ""
        self.touched: set[tuple[str, str, str]] = set()
        self.failed = False
        self.example: Example = self.context.run.open_example(steps=self.steps)
        self.client: RegistryClient = self.example.client
        self.repos = [self.example.repo, self.example.repository("stateful-b")]
        self.model = {repo: RepositoryModel() for repo in self.repos}
        self.shared_layer = tar_layer(1, file_size=8, compressed=False)

    def teardown(self) -> None:
        """Check the whole model against the registry, then delete what the run pushed."""
        try:
            if not self.failed:
                step(RegistryMachine.check_everything)(self)
        finally:
            self._clean_up()

    def _clean_up(self) -> None:
        for repo, state in self.model.items():
            for digest in state.manifests:
                self.example.cleanup.manifest(repo, digest)
            for digest in state.blobs:
                self.example.cleanup.blob(repo, digest)
        self.context.run.close_example(self.example)

    # helpers -------------------------------------------------------------------------------------
    def _enabled(self, feature: str) -> bool:
        config = self.context.config
        if feature.endswith("_delete") and not config.enabled("content_management"):
            return False
        return config.enabled(feature) and self.context.capabilities.supported(feature) is not False

    def _unsupported(self, feature: str, response: Response, reason: str) -> None:
        self.context.capabilities.record(feature, False, reason, evidence=response.describe(),
                                         source="test_stateful")
        self.context.run.note_once(f"{feature} unsupported ({reason}): its rule was skipped from then on")
        self.steps.append(f"  -> {feature} unsupported: {reason}")

    def _push_blob(self, repo: str, blob: Blob) -> None:
        self.client.push_blob(repo, blob)
        state = self.model[repo]
        state.blobs[blob.digest] = blob
        state.gone_blobs.discard(blob.digest)
        self.touched.add((repo, "blob", blob.digest))

    def _push_manifest(self, repo: str, reference: str | None, manifest: Manifest) -> None:
        for blob in manifest.all_blobs():
            if blob.digest not in self.model[repo].blobs:  # the model says it is there: no re-upload
                self._push_blob(repo, blob)
        response = self.client.manifest_put(repo, reference or manifest.digest, manifest.data,
                                            manifest.media_type)
        check_manifest_pushed(response, manifest)
        state = self.model[repo]
        state.manifests[manifest.digest] = manifest
        state.gone_manifests.discard(manifest.digest)
        self.touched.add((repo, "manifest", manifest.digest))
        if reference is not None:
            state.tags[reference] = manifest.digest
            state.gone_tags.discard(reference)
            self.touched.add((repo, "tag", reference))

    # rules ---------------------------------------------------------------------------------------
    @rule(repo=st.integers(0, 1), size=st.integers(0, 64), seed=st.integers(0, 2**16))
    @step
    def push_blob(self, repo: int, size: int, seed: int) -> None:
        blob = random_blob(seed, size)
        self.steps.append(f"push blob {blob.digest[:15]}… ({size} bytes) to repo {repo}")
        self._push_blob(self.repos[repo], blob)

    @rule(repo=st.integers(0, 1), seed=st.integers(0, 2**16), tag=st.none() | STEP_TAGS,
          fresh_layer=st.booleans())
    @step
    def push_manifest(self, repo: int, seed: int, tag: str | None, fresh_layer: bool) -> None:
        layer = tar_layer(seed, file_size=8, compressed=False) if fresh_layer else self.shared_layer
        manifest = image_manifest(seed, layers=[layer], config=image_config([layer.digest]),
                                  annotations={"org.example.step": str(seed)})
        self.steps.append(f"push manifest {manifest.digest[:15]}… to repo {repo} by "
                          + (f"tag {tag}" if tag else "digest"))
        self._push_manifest(self.repos[repo], tag, manifest)

    @precondition(lambda self: any(state.manifests for state in self.model.values()))
    @rule(data=st.data(), tag=STEP_TAGS)
    @step
    def retag(self, data: st.DataObject, tag: str) -> None:
        repo = data.draw(st.sampled_from([r for r in self.repos if self.model[r].manifests]), label="repo")
        digest = data.draw(st.sampled_from(sorted(self.model[repo].manifests)), label="manifest")
        if self.model[repo].tags:
            tag = data.draw(st.sampled_from([tag, *sorted(self.model[repo].tags)]), label="tag")
        self.steps.append(f"tag {digest[:15]}… of repo {self.repos.index(repo)} as {tag}")
        self._push_manifest(repo, tag, self.model[repo].manifests[digest])

    @precondition(lambda self: any(state.tags for state in self.model.values()))
    @rule(data=st.data())
    @step
    def delete_tag(self, data: st.DataObject) -> None:
        if not self._enabled("tag_delete"):
            return
        repo = data.draw(st.sampled_from([r for r in self.repos if self.model[r].tags]), label="repo")
        tag = data.draw(st.sampled_from(sorted(self.model[repo].tags)), label="tag")
        self.steps.append(f"delete tag {tag} of repo {self.repos.index(repo)}")
        response = self.client.manifest_delete(repo, tag)
        if delete_refused(response, deletes.TAG_DELETE_202, deletes.TAG_DELETE_DISABLED):
            self._unsupported("tag_delete", response, f"DELETE of a tag answered {response.status_code}")
            return
        state = self.model[repo]
        digest = state.tags[tag]
        del state.tags[tag]
        state.gone_tags.add(tag)
        self.touched |= {(repo, "tag", tag), (repo, "manifest", digest)}
        self._compare_tag_list(repo, f"after deleting tag {tag}")

    @precondition(lambda self: any(state.manifests for state in self.model.values()))
    @rule(data=st.data())
    @step
    def delete_manifest(self, data: st.DataObject) -> None:
        if not self._enabled("manifest_delete"):
            return
        repo = data.draw(st.sampled_from([r for r in self.repos if self.model[r].manifests]), label="repo")
        digest = data.draw(st.sampled_from(sorted(self.model[repo].manifests)), label="manifest")
        self.steps.append(f"delete manifest {digest[:15]}… of repo {self.repos.index(repo)}")
        response = self.client.manifest_delete(repo, digest)
        if delete_refused(response, deletes.MANIFEST_DELETE_202, deletes.MANIFEST_DELETE_DISABLED):
            self._unsupported("manifest_delete", response,
                              f"DELETE of a manifest answered {response.status_code}")
            return
        state = self.model[repo]
        del state.manifests[digest]
        state.gone_manifests.add(digest)
        self.touched.add((repo, "manifest", digest))
        untagged = [tag for tag, target in state.tags.items() if target == digest]
        for tag in untagged:
            del state.tags[tag]
            state.gone_tags.add(tag)
            self.touched.add((repo, "tag", tag))
        if untagged:
            self._compare_tag_list(repo, f"after deleting {digest} with its tags {untagged}")

    @precondition(lambda self: any(state.blobs for state in self.model.values()))
    @rule(data=st.data())
    @step
    def delete_blob(self, data: st.DataObject) -> None:
        if not self._enabled("blob_delete"):
            return
        repo = data.draw(st.sampled_from([r for r in self.repos if self.model[r].blobs]), label="repo")
        digest = data.draw(st.sampled_from(sorted(self.model[repo].blobs)), label="blob")
        self.steps.append(f"delete blob {digest[:15]}… of repo {self.repos.index(repo)}")
        response = self.client.blob_delete(repo, digest)
        if delete_refused(response, deletes.BLOB_DELETE_202, deletes.BLOB_DELETE_DISABLED):
            self._unsupported("blob_delete", response, f"DELETE of a blob answered {response.status_code}")
            return
        state = self.model[repo]
        del state.blobs[digest]
        state.gone_blobs.add(digest)
        self.touched.add((repo, "blob", digest))

    def _mountable(self) -> list[tuple[str, str]]:
        """(source, target) pairs where the source holds a blob the target lacks."""
        first, second = self.repos
        return [(a, b) for a, b in ((first, second), (second, first))
                if set(self.model[a].blobs) - set(self.model[b].blobs)]

    @precondition(lambda self: bool(self._mountable()))
    @rule(data=st.data())
    @step
    def mount_blob(self, data: st.DataObject) -> None:
        if not self._enabled("mount"):
            return
        source, target = data.draw(st.sampled_from(self._mountable()), label="source and target")
        missing = sorted(set(self.model[source].blobs) - set(self.model[target].blobs))
        digest = data.draw(st.sampled_from(missing), label="blob")
        self.steps.append(f"mount blob {digest[:15]}… from repo {self.repos.index(source)} into repo "
                          f"{self.repos.index(target)}")
        response = self.client.blob_mount(target, digest, source)
        if response.status_code == 202:
            if response.location:
                self.client.upload_cancel(response.location)
            self._unsupported("mount", response, "POST ?mount=&from= answered 202 (an upload session)")
            return
        judge(mounts.MOUNT_201, response.status_code == 201,
              f"{response.describe()}, expected 201 (or 202 when mounting is not supported)")
        state = self.model[target]
        state.blobs[digest] = self.model[source].blobs[digest]
        state.gone_blobs.discard(digest)
        self.touched |= {(target, "blob", digest), (source, "blob", digest)}

    @precondition(lambda self: any(state.manifests for state in self.model.values()))
    @rule(data=st.data(), artifact_type=artifact_types(), seed=st.integers(0, 2**16))
    @step
    def push_referrer(self, data: st.DataObject, artifact_type: str, seed: int) -> None:
        repo = data.draw(st.sampled_from([r for r in self.repos if self.model[r].manifests]), label="repo")
        subject = self.model[repo].manifests[data.draw(st.sampled_from(sorted(self.model[repo].manifests)),
                                                       label="subject")]
        artifact = referrer(subject, seed, artifact_type=artifact_type)
        self.steps.append(f"push referrer {artifact.digest[:15]}… of {subject.digest[:15]}… to repo "
                          f"{self.repos.index(repo)}")
        self._push_manifest(repo, None, artifact)

    @rule(repo=st.integers(0, 1))
    @step
    def list_tags(self, repo: int) -> None:
        self.steps.append(f"list tags of repo {repo}")
        self._compare_tag_list(self.repos[repo], "")

    def _compare_tag_list(self, name: str, when: str) -> None:
        """The tag list of `name` is exactly the model's tags, in spec order (listing rules, once per run)."""
        __tracebackhide__ = True
        what = f"tags/list of repo {self.repos.index(name)}" + (f" {when}" if when else "")
        state = self.model[name]
        run = self.context.run

        def once(rule: Rule, condition: object, message: str) -> bool:
            return run.judge_once(rule, condition, "tag-list", message)

        response = settle("tags", what, lambda: self.client.tags_list(name), _model_tags_shown(state))
        if not state.tags and response.status_code == 404:
            if state.manifests:  # found by its content, not by a tag: contested
                once(tag_rules.TAGS_LIST_UNTAGGED_REPOSITORY, False,
                     f"{what}: {response.describe()} for a repository holding untagged manifests")
            return
        listed = full_tag_list(self.client, response, name, what, judge_with=once)
        compare_tag_list(listed, state.tags, state.gone_tags, what, judge_with=once)

    @precondition(lambda self: any(state.manifests for state in self.model.values()))
    @rule(data=st.data(), artifact_type=st.none() | artifact_types())
    @step
    def list_referrers(self, data: st.DataObject, artifact_type: str | None) -> None:
        if not self.context.referrers_api or not self._enabled("referrers"):
            return
        repo = data.draw(st.sampled_from([r for r in self.repos if self.model[r].manifests]), label="repo")
        state = self.model[repo]
        digest = data.draw(st.sampled_from(sorted(state.manifests)), label="subject")
        self.steps.append(f"list referrers of {digest[:15]}… in repo {self.repos.index(repo)}"
                          + (f" with artifactType={artifact_type}" if artifact_type else ""))
        model = {other: state.manifests[other].artifact_type for other in state.manifests
                 if state.subject_of(other) == digest}
        expected = [other for other, kind in model.items() if artifact_type in (None, kind)]
        entries, applied = referrer_entries(self.client, repo, digest, artifact_type,
                                            shows=referrers_showing(expected))
        compare_referrers(self.context.run, entries, applied, model, artifact_type=artifact_type,
                          what=f"referrers of {digest} (artifactType={artifact_type})")

    # the registry agrees with the model ----------------------------------------------------------
    @invariant()
    @step
    def registry_agrees_with_the_model(self) -> None:
        """After each step: everything the step touched is as the model says (deleted things: 404)."""
        touched, self.touched = self.touched, set()
        for repo, kind, reference in sorted(touched):
            self._check_one(repo, kind, reference)

    def _check_one(self, repo: str, kind: str, reference: str) -> None:
        number, state = self.repos.index(repo), self.model[repo]
        if kind == "blob":
            response = self.client.blob_head(repo, reference)
            blob = state.blobs.get(reference)
            if blob is None:
                self._check_gone(response, f"repo {number}: deleted blob {reference}",
                                 deletes.BLOB_DELETE_GONE)
                return
            judge(pull.HEAD_200, response.status_code == 200,
                  f"repo {number}: blob {reference}: {response.describe()}, expected 200")
            length = response.header("content-length")
            judge(pull.HEAD_CONTENT_LENGTH, length is not None and length.strip() == str(blob.size),
                  f"repo {number}: blob {reference}: Content-Length {length}, expected {blob.size}")
            return
        response = self.client.manifest_head(repo, reference)
        digest = state.tags.get(reference) if kind == "tag" else reference
        if digest is None or digest not in state.manifests:
            gone = deletes.TAG_DELETE_GONE if kind == "tag" else deletes.MANIFEST_DELETE_GONE
            self._check_gone(response, f"repo {number}: deleted {kind} {reference}", gone)
            return
        judge(pull.HEAD_200, response.status_code == 200, f"repo {number}: {kind} {reference} (model: "
              f"{digest}): {response.describe()}, expected 200")
        served = response.content_digest
        if served is not None and served != digest:
            # the header names another manifest: GET tells a lying header (SHOULD) from a wrong one (MUST)
            check_manifest_served(self.client.manifest_get(repo, reference), state.manifests[digest],
                                  self.context.config)
        check_digest_header(response, digest, self.context.config, rule=pull.HEAD_DIGEST_HEADER)
        length = response.header("content-length")
        size = state.manifests[digest].size
        judge(pull.HEAD_CONTENT_LENGTH, length is not None and length.strip() == str(size),
              f"repo {number}: {kind} {reference}: Content-Length {length}, expected {size}")

    def _check_gone(self, response: Response, what: str, rule: Rule) -> None:
        check_gone(self.context.run, response, what, rule)

    def check_everything(self) -> None:
        """At the end of a run: every tag, manifest and blob of the model, and everything deleted."""
        self.steps.append("check every tag, manifest and blob of the model (and 404 for deleted ones)")
        for repo, state in self.model.items():
            everything = ({(repo, "tag", tag) for tag in [*state.tags, *state.gone_tags]}
                          | {(repo, "manifest", d) for d in [*state.manifests, *state.gone_manifests]}
                          | {(repo, "blob", d) for d in [*state.blobs, *state.gone_blobs]})
            for _, kind, reference in sorted(everything):
                self._check_one(repo, kind, reference)


PULL_AND_PUSH_RULES = (
    manifests.MANIFEST_PUT_201, manifests.MANIFEST_PUT_DIGEST_HEADER,
    manifests.MANIFEST_PUT_DIGEST_HEADER_PRESENT, mounts.MOUNT_201, pull.HEAD_200,
    pull.HEAD_CONTENT_LENGTH, pull.HEAD_DIGEST_HEADER, pull.MANIFEST_GET_200,
    manifests.MANIFEST_EXACT_BYTES, pull.MANIFEST_DIGEST_HEADER, pull.MANIFEST_CONTENT_TYPE,
    pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH, pull.MANIFEST_CONTENT_TYPE_NO_PARAMETERS,
    general.CATEGORY_CLAIM,
)
"""What the push, mount and pull steps judge (`check_manifest_pushed`, `check_manifest_served` included)."""


@pytest.mark.push
@pytest.mark.rules(*DELETE_AND_REFERRER_RULES, *TAG_LIST_RULES, *PULL_AND_PUSH_RULES)
def test_registry_agrees_with_a_model_of_two_repositories(
    *, property_client: RegistryClient, registry_config: RunConfig, capabilities: Capabilities,
    referrers_supported: bool,
) -> None:
    run = PropertyRun(property_client, registry_config, capabilities, "stateful",
                      test_registry_agrees_with_a_model_of_two_repositories)
    RegistryMachine.context = MachineContext(run, registry_config, capabilities, referrers_supported)
    run_state_machine_as_test(RegistryMachine, settings=check_settings(scale=0.75))  # type: ignore[no-untyped-call]
