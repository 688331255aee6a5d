"""registry-harness reference server: a small, strict and fast OCI Distribution 1.1 registry.

Run it with ``python -m reference_server --port 5000 --data-dir DIR`` (options: see cli.py); offline
garbage collection with ``python -m reference_server gc --data-dir DIR [--dry-run]``.

Module map (one concept each):

- cli.py / __main__.py: arguments, uvicorn start (uvloop + httptools, access log off), ``gc`` sub-command.
- http_protocol.py: uvicorn's httptools connection protocol plus the hand-over of a large body's rest.
- config.py: the frozen `Config`, shipped to worker processes through the environment.
- app.py: raw ASGI entry; routing, dispatch, the one call to the error renderer, sending answers.
- routes.py: which endpoint a path names (parsed from the right; names contain slashes).
- messages.py: `Request` (headers, query, streamed body) and the `Response` / `FileResponse` answers.
- direct_body.py: large upload bodies read from the socket, hashed and appended by one helper thread.
- errors.py: OCI code table, `OciError`, domain-error translation, the ONE envelope renderer.
- grammar.py: name / tag / digest / session-id grammar; the validated types every path is built from.
- digests.py: streaming hashers, the writer that hashes while it stores, `BodySource` (what stores take).
- media_types.py, manifest_rules.py, schema_adapter.py: what a manifest must be on PUT.
- negotiation.py: the Accept rule for manifest GET/HEAD.
- handlers/: one module per resource (base + ping, blobs, uploads, manifests, listing, referrers).
- storage/: layout.py (every path; the on-disk tree), blobs, uploads, manifests (+ tags), referrers,
  errors (domain errors, no HTTP).
- gc.py: offline removal of content no repository links.
"""
