"""Reusable assertion helpers of the conformance suites, one module per area (named as predicates)."""
