"""registry-harness reference server: a small, strict and fast OCI Distribution 1.1 registry."""
