"""Prints how fast schemas.validate is on real documents (run: python tests/schemas/bench_validate.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import schemas

REAL = Path(__file__).parent / "corpus" / "real"
CASES = {
    "image-manifest": REAL / "image-manifest" / "buildah-dir-oci-manifest-d753f0f233ad.json",
    "image-index": REAL / "image-index" / "buildah-list-oci-manifest-0fd551bc875c.json",
    "docker-manifest": REAL / "docker-manifest" / "skopeo-dir-v2s2-manifest-2b191dd21b73.json",
    "image-config": REAL / "image-config" / "buildah-dir-oci-config-e03da6700014.json",
}


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
            print(f"{schema:15} {level:6} {per_call * 1e6:8.1f} µs/call  {1 / per_call:9.0f} calls/s")


if __name__ == "__main__":
    main()
