"""Vectorised bootstrap: equal to an explicit resampling loop; paired test behaves."""

from __future__ import annotations

import numpy as np

from toolkit.scoring.bootstrap import CHUNK, intervals, paired_test, resampled_sums


def ratio(sums):
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"share": sums[:, 0] / sums[:, 1]}


def test_resampled_sums_equal_an_explicit_loop():
    rng = np.random.default_rng(0)
    stats = rng.integers(0, 10, size=(37, 3))
    resamples = CHUNK + 5  # crosses a chunk boundary
    sums = resampled_sums(stats, resamples, seed=9)
    expected = []
    for first, stream in zip(
        range(0, resamples, CHUNK), np.random.SeedSequence(9).spawn(2), strict=True
    ):  # a stream per chunk
        size = min(CHUNK, resamples - first)
        drawn = np.random.default_rng(stream).integers(0, len(stats), size=(size, len(stats)), dtype=np.int32)
        expected += [stats[row].sum(axis=0) for row in drawn]
    assert np.array_equal(sums, np.array(expected, dtype=float))


def test_half_the_chunks_in_a_forked_child_give_the_same_sums(forking):
    from toolkit.scoring.engines import thresholds

    stats = np.random.default_rng(3).integers(0, 10, size=(50, 4))
    one_process = resampled_sums(stats, 5 * CHUNK + 3, seed=4)
    children = forking(thresholds, "PARALLEL_DRAWS")
    assert np.array_equal(resampled_sums(stats, 5 * CHUNK + 3, seed=4), one_process) and len(children) == 1


def test_interval_contains_the_point_and_is_reproducible():
    rng = np.random.default_rng(1)
    correct = rng.integers(0, 5, size=500)
    stats = np.column_stack([correct, correct + rng.integers(0, 5, size=500)])
    point = stats[:, 0].sum() / stats[:, 1].sum()
    first = intervals(stats, ratio, 1000, seed=4)["share"]
    assert first["low"] < point < first["high"]
    assert first == intervals(stats, ratio, 1000, seed=4)["share"]
    assert first != intervals(stats, ratio, 1000, seed=5)["share"]
    assert first["resamples"] == 1000 and first["seed"] == 4


def test_undefined_resamples_give_null_interval():
    stats = np.zeros((5, 2), dtype=int)
    assert intervals(stats, ratio, 50, seed=1)["share"]["low"] is None


def test_paired_test():
    rng = np.random.default_rng(2)
    base = np.column_stack([rng.integers(0, 3, size=400), np.full(400, 4)])
    same = paired_test(base, base, ratio, 500, seed=3)["share"]
    assert same["difference"] == 0 and same["p_value"] == 1.0
    better = base.copy()
    better[:, 0] = np.minimum(better[:, 0] + 1, 4)
    different = paired_test(base, better, ratio, 500, seed=3)["share"]
    assert different["difference"] > 0 and different["p_value"] < 0.01


def test_no_p_value_without_variation():
    """One document: every resample is that document, so a difference cannot be judged."""
    a = np.array([[1, 4]])
    b = np.array([[3, 4]])
    assert paired_test(a, b, ratio, 100, seed=1)["share"]["p_value"] is None
    assert paired_test(a, a, ratio, 100, seed=1)["share"]["p_value"] == 1.0


def test_constant_difference_over_several_documents_is_significant():
    """Several documents that all differ the same way: no resample comes near 0, so p is the smallest it can be."""
    a = np.array([[0, 4], [0, 4], [0, 4]])
    b = np.array([[4, 4], [4, 4], [4, 4]])
    result = paired_test(a, b, ratio, 99, seed=1)["share"]
    assert result["difference"] == 1.0
    assert result["p_value"] == 1 / 100
