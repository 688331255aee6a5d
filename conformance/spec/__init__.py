"""Spec facts the checker needs, written from the OCI specs on their own (never shared with the server).

- `grammar`: repository name, tag and digest grammar, with canonical valid and invalid examples.
- `digests`: computing sha256 / sha512 digests of bytes and streams.
- `errors`: the OCI error-code table and the error-envelope parser.
- `media_types`: every media-type string the harness uses.
- `retry_after`: a `Retry-After` value as a wait (shared by the client and the load users).
- `strategies`: Hypothesis strategies for valid and invalid names, tags and digests (imports Hypothesis).
"""
