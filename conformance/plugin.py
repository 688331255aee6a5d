"""pytest plugin of registry-harness conformance (being written)."""
