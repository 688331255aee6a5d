"""registry-harness conformance: a pytest plugin and suites that check any OCI / Docker registry URL."""

__version__ = "0.1.0"
