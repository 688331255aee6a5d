"""The conformance suites: checks that run against any registry URL (`pytest conformance`).

Writing a check (one `test_*` function in a `test_<area>.py` module here):

    import pytest
    from conformance.verdicts import must, should, note, unsupported

    @pytest.mark.spec("end-2", "spec.md#pulling-blobs")  # spec rules verified (shown in reports)
    @pytest.mark.level("MUST")                            # optional: strongest level checked
    @pytest.mark.pull                 # category: pull | push | content_discovery | content_management
    @pytest.mark.uploads              # area(s): uploads mounts tags referrers deletes errors grammar
    @pytest.mark.writes               #   formats negotiation auth properties
    @pytest.mark.feature("sha512")    # optional features needed (switchable, see conformance/README.md)
    def test_blob_get_returns_the_bytes(client, repo, content, cleanup, capabilities):
        blob = random_blob(content, 512)                   # conformance.content builders, seeded per check
        client.push_blob(repo, blob.data)                  # setup helper: SetupFailed -> the check fails
        cleanup.blob(repo, blob.digest)                    # deleted after the check when deletes work
        response = client.blob_get(repo, blob.digest)
        must(response.status_code == 200, f"GET blob answered {response.status_code}", ref="end-2")
        should(response.header("Docker-Content-Digest") == blob.digest, "digest header", ref="...")

Verdicts: `must` -> failed, `should` -> warned (failed with --registry-strict), `unsupported(reason)` ->
skipped "unsupported: ...", `note(text)` -> informational; any other exception is a harness error.
Every check that pushes or deletes carries `@pytest.mark.writes` (or the `push` category) so that
`--registry-read-only` / `--no-push` switch it off. Fixtures: see `conformance.fixtures`.
"""
