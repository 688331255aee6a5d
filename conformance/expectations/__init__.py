"""Known-deviation expectations: which checks a given registry is expected not to pass, and why.

A registry team adopts the suite (and `registry-harness gate`) on day one by listing the checks its
registry is known to fail, each with the reason and an upstream link, the way browser teams live with Web
Platform Tests expectation files:

    pytest conformance --registry-url URL \
        --registry-expectations conformance/expectations/distribution-3.1.1.toml

- `file`: the file format (TOML or YAML) and its loader;
- `matching`: what an expectation makes of a check's real outcome (expected, or unexpected: a regression,
  an unexpected pass, a changed verdict).

Curated files for CNCF distribution 2.8.2 and 3.1.1 lie beside this module; every entry there names the
ledger rule the deviation breaks (see `conformance/ledger/AUDIT.md`).
"""
