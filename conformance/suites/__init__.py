"""The conformance suites: checks that run against any registry URL (`pytest conformance`).

Writing a check (one `test_*` function in a `test_<area>.py` module here):

    import pytest
    from conformance.fixtures import Workspace
    from conformance.ledger.rules import pull
    from conformance.verdicts import judge, note, unsupported

    @pytest.mark.rules(pull.BLOB_GET_200, pull.BLOB_DIGEST_HEADER)  # every rule its verdicts judge
    @pytest.mark.pull                 # category: pull | push | content_discovery | content_management
    @pytest.mark.uploads              # area(s): uploads mounts tags referrers deletes errors grammar
    @pytest.mark.writes               #   formats negotiation auth properties
    @pytest.mark.feature("sha512")    # optional features needed (switchable, see conformance/README.md)
    def test_blob_get_returns_the_bytes(workspace: Workspace) -> None:
        blob = random_blob(workspace.content, 512)         # conformance.content builders, seeded per check
        workspace.client.push_blob(workspace.repo, blob)   # setup helper: SetupFailed -> the check fails
        workspace.cleanup.blob(workspace.repo, blob.digest)  # deleted after the check when deletes work
        response = workspace.client.blob_get(workspace.repo, blob.digest)
        judge(pull.BLOB_GET_200, response.status_code == 200 and response.content == blob.data,
              f"GET blob: {response.describe()}, expected 200 with the pushed bytes")
        judge(pull.BLOB_DIGEST_HEADER, response.content_digest == blob.digest, "digest header ...")

Verdicts: `judge(rule, condition, message)` states that a ledger rule (`conformance.ledger`) holds; the
rule's keyword decides what a break does: MUST -> failed, SHOULD -> warned (failed with
`--registry-strict`), no keyword or a contested reading -> advice. `unsupported(reason)` -> skipped
"unsupported: ...", `note(text)` -> informational; any other exception is a harness error. A consistency
test (tests/conformance/ledger) requires every rule a check judges to be declared in its `rules` marker.
Every check that pushes or deletes carries `@pytest.mark.writes` (or the `push` category) so that
`--registry-read-only` / `--no-push` switch it off. Fixtures: see `conformance.fixtures`.
"""
