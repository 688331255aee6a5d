"""Prints how fast schemas.validate is on real documents (run: python tests/schemas/bench_validate.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import schemas

REAL = Path(__file__).parent / "corpus" / "real"
SCHEMAS = (
    "image-manifest",
    "image-index",
    "docker-manifest",
    "docker-manifest-list",
    "image-config",
    "error-envelope",
)
CASES = {schema: sorted((REAL / schema).glob("distribution-*.json"))[0] for schema in SCHEMAS}


def main(rounds: int = 2000) -> None:
    """Time cold start, then warm MUST and SHOULD validation per document, and print the figures."""
    start = time.perf_counter()
    schemas.validate({}, "image-manifest")
    elapsed_ms = (time.perf_counter() - start) * 1e3
    print(f"first call (load files, build registry, compile one validator): {elapsed_ms:.1f} ms")
    for schema, path in CASES.items():
        document = json.loads(path.read_bytes())
        for level in ("must", "should"):
            schemas.validate(document, schema, level=level)  # compile outside the timed loop
            start = time.perf_counter()
            for _ in range(rounds):
                schemas.validate(document, schema, level=level)
            per_call = (time.perf_counter() - start) / rounds
            print(f"{schema:21} {level:6} {per_call * 1e6:8.1f} µs/call  {1 / per_call:9.0f} calls/s")


if __name__ == "__main__":
    main()
