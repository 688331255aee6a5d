"""Shared helpers for the harness's own tests: image layouts, raw HTTP, file-tree snapshots."""
