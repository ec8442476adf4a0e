"""The shared numpy helpers give what the numpy idioms they replace give, and the modules keep the
flow's direction (events does not reach into digest for them)."""

import ast
from pathlib import Path

import numpy as np
import pytest

from datasette_newsdigest import arrays, events

PACKAGE = Path(arrays.__file__).parent


def _values(n: int) -> np.ndarray:
    rng = np.random.default_rng(n)
    values = rng.integers(-50, 10**12 if n > 7 else 4, n)
    values[: n // 2] = values[n // 2: 2 * (n // 2)]  # repeats
    return values


@pytest.mark.parametrize("n", [0, 1, 7, 5000])
def test_distinct_is_np_unique(n):
    values = _values(n)
    got, plain = arrays.distinct(values), np.unique(values)
    assert got.dtype == plain.dtype and got.tolist() == plain.tolist()


@pytest.mark.parametrize("n", [0, 1, 2, 7, 5000])
def test_run_starts_are_where_the_sorted_values_change(n):
    ordered = np.sort(_values(n))
    plain = np.r_[True, ordered[1:] != ordered[:-1]][:n]
    assert arrays.run_starts(ordered).tolist() == plain.tolist()


@pytest.mark.parametrize("n", [0, 1, 7, 5000])
def test_offsets_are_the_cumulative_counts_after_a_zero(n):
    counts = np.random.default_rng(n).integers(0, 9, n)
    got = arrays.offsets(counts)
    assert got.dtype == np.int64 and got.tolist() == np.r_[0, np.cumsum(counts)].astype(np.int64).tolist()


@pytest.mark.parametrize("n", [1, 2, 7, 5000])
def test_ranks_within_runs_are_the_plain_ones(n):
    rows = np.sort(np.random.default_rng(n).integers(0, max(n // 3, 1), n))
    plain = [i - rows.tolist().index(r) for i, r in enumerate(rows.tolist())]
    assert events._ranks(rows).tolist() == plain


def test_unordered_pairs_are_each_pair_once_sorted():
    rng = np.random.default_rng(5)
    qi, ri = rng.integers(0, 30, 400), rng.integers(0, 30, 400)
    low, high = events._unordered_pairs(qi, ri)
    assert list(zip(low.tolist(), high.tolist(), strict=True)) == sorted(
        {(min(q, r), max(q, r)) for q, r in zip(qi.tolist(), ri.tolist(), strict=True)})


def _imports(module: str) -> set[str]:
    """The package modules ``module`` imports (``from . import x``, ``from .x import y``)."""
    found = set()
    for node in ast.walk(ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.update([node.module] if node.module else [a.name for a in node.names])
    return found


def test_the_helpers_sit_below_the_modules_that_share_them():
    assert _imports("arrays") == set()
    assert {"arrays"} <= _imports("events") and "digest" not in _imports("events")
    assert "arrays" in _imports("digest")
