"""Small numpy helpers that the digests (digest.py) and the clustering (events.py) both use.

Below both in the flow, so neither imports the other for them. Each replaces a numpy idiom whose
machinery costs more than the work at the sizes of one event or one merge (a few to a few thousand
values), with the same result.
"""

from __future__ import annotations

import numpy as np

__all__ = ["distinct", "offsets", "run_starts"]


def run_starts(ordered: np.ndarray) -> np.ndarray:
    """(n,) bool: where each run of equal values of the sorted (n,) ``ordered`` starts (``np.r_[True,
    a[1:] != a[:-1]]`` without np.r_'s index-trick machinery, which costs more than the comparison)."""
    starts = np.empty(len(ordered), dtype=bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    return starts


def distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` of a (n,) integer array, by one sort: numpy 2's ``np.unique`` without
    ``return_*`` takes a hash table path that costs 5-10x more at 2,000-20,000 values (the pairs of
    one event's digest, support and coverage)."""
    ordered = np.sort(values)
    return ordered[run_starts(ordered)]


def offsets(counts: np.ndarray) -> np.ndarray:
    """(n + 1,) int64: a csr's row offsets from its (n,) row counts (``np.r_[0, np.cumsum(counts)]``)."""
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out
