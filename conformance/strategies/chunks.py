"""Chunk plans for chunked uploads: the PATCH sizes of one upload, and where the final chunk goes.

A `ChunkPlan` splits a blob of `sum(sizes)` bytes into consecutive chunks: every chunk but the last
is a `PATCH` with `Content-Range: <start>-<end>`; the last one is a PATCH too, or travels in the
closing `PUT ...?digest=` when `final_in_put` (spec.md "Pushing a blob in chunks": the closing PUT MAY
carry the final chunk). 1-byte chunks are drawn often on purpose: off-by-one errors in `Range`
bookkeeping show there first. A registry's `OCI-Chunk-Min-Length` is only known once the session's POST
is answered, after the plan was drawn: `ChunkPlan.honouring` then raises the chunks that must be at
least that long (spec.md: every chunk but the final one SHOULD be), so a registry enforcing its minimum is
never failed for it, and leaves the plan as drawn when no minimum is advertised.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate

from hypothesis import strategies as st


@dataclass(frozen=True)
class ChunkPlan:
    """Chunk sizes of one upload (all > 0) and whether the last chunk goes in the closing PUT."""

    sizes: tuple[int, ...]
    final_in_put: bool

    @property
    def total(self) -> int:
        """The blob size the plan uploads."""
        return sum(self.sizes)

    def spans(self) -> list[tuple[int, int]]:
        """`(start, length)` of every chunk, in order."""
        starts = [0, *accumulate(self.sizes)][:-1]
        return list(zip(starts, self.sizes, strict=True))

    def honouring(self, minimum: int | None, *, last_too: bool = False) -> ChunkPlan:
        """The plan with every chunk but the last (every one, `last_too`) at least `minimum` bytes long.

        `last_too` is for uploads that send more data after the plan's last chunk. The count of chunks,
        their order of sizes and where the final chunk goes are kept; no minimum (None) keeps the plan.
        """
        if not minimum:
            return self
        body = tuple(max(size, minimum) for size in self.sizes[:-1])
        last = max(self.sizes[-1], minimum) if last_too else self.sizes[-1]
        return ChunkPlan((*body, last), self.final_in_put)

    def __repr__(self) -> str:
        where = "final chunk in the PUT" if self.final_in_put else "empty closing PUT"
        return f"ChunkPlan(sizes={list(self.sizes)}, {where})"


def chunk_plans(
    max_chunks: int = 6, max_chunk: int = 2048, min_chunk: int = 1
) -> st.SearchStrategy[ChunkPlan]:
    """Plans of 1-`max_chunks` chunks, each 1-`max_chunk` bytes (1-byte chunks drawn often)."""
    lower = max(1, min_chunk)
    size = st.one_of(st.just(lower), st.integers(lower, min(lower + 8, max_chunk)),
                     st.integers(lower, max(lower, max_chunk)))
    last = st.integers(1, max(1, max_chunk))
    return st.builds(
        lambda body, final, in_put: ChunkPlan((*body, final), in_put),
        st.lists(size, max_size=max_chunks - 1),
        last,
        st.booleans(),
    )
