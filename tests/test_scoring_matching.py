"""One-to-one matching: components, enumeration equals the Hungarian solver, which equals SciPy's, determinism."""

from __future__ import annotations

import random

from toolkit.matching import Span, _enumerate, _hungarian, assign, iou, overlap, overlap_components


def test_span_overlap_and_iou_are_half_open():
    assert overlap(Span(0, 5), Span(5, 9)) == 0
    assert overlap(Span(0, 6), Span(5, 9)) == 1
    assert iou(Span(0, 10), Span(5, 15)) == 5 / 15
    assert iou((0, 4, "x"), (0, 4, "y")) == 1.0


def test_components_chain_overlaps_and_split_at_touching_spans():
    gold = [(0, 5, 0), (10, 20, 0), (30, 35, 0)]
    pred = [(4, 12, 0), (20, 25, 0)]
    assert list(overlap_components(gold, pred)) == [([0, 1], [0]), ([], [1]), ([2], [])]


def test_enumeration_finds_the_same_optimum_as_the_hungarian_method():
    rng = random.Random(1)
    for _ in range(300):
        rows, columns = rng.randint(1, 3), rng.randint(1, 3)
        weights = {
            (r, c): rng.choice([1.0, 2.5, 3.0, 7.25]) for r in range(rows) for c in range(columns) if rng.random() < 0.7
        }
        small = sum(weights[pair] for pair in _enumerate(weights, rows, columns))
        large = sum(weights[pair] for pair in _hungarian(weights, rows, columns))
        assert small == large
        chosen = _enumerate(weights, rows, columns)
        assert len({r for r, _ in chosen}) == len(chosen) == len({c for _, c in chosen})


def scipy_optimum(weights, rows, columns) -> float:
    """The independent check: SciPy's linear_sum_assignment (in the dev install through scikit-learn)."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    matrix = np.zeros((rows, columns))
    for pair, weight in weights.items():
        matrix[pair] = weight
    chosen = linear_sum_assignment(matrix, maximize=True)
    return float(matrix[chosen].sum())


def test_the_hungarian_method_finds_scipys_optimum_on_random_groups():
    rng = random.Random(2)
    shapes = set()
    for _ in range(1500):
        rows, columns = rng.randint(1, 14), rng.randint(1, 14)
        density = rng.choice([0.2, 0.5, 0.9, 1.0])
        weights = {
            (r, c): rng.choice([1.0, 2.5, 3.0, 7.25, round(rng.uniform(1, 40), 3)])
            for r in range(rows)
            for c in range(columns)
            if rng.random() < density
        }
        chosen = _hungarian(weights, rows, columns)
        assert all(pair in weights for pair in chosen)
        assert len({r for r, _ in chosen}) == len(chosen) == len({c for _, c in chosen})
        assert abs(sum(weights[pair] for pair in chosen) - scipy_optimum(weights, rows, columns)) < 1e-9
        shapes.add((rows > columns) - (rows < columns))
    assert shapes == {-1, 0, 1}  # wide, square and tall groups were all tried


def test_the_hungarian_method_on_assign_weights_of_a_dense_chain():
    """The weights `assign` builds (credit, preference, pair and IoU levels) on a 30 × 30 group, against SciPy."""
    rng = random.Random(3)
    gold = [(i * 2, i * 2 + rng.randint(3, 9), rng.choice("AB")) for i in range(30)]
    pred = [(i * 2 + 1, i * 2 + rng.randint(3, 9), rng.choice("AB")) for i in range(30)]

    def credit(g, p):
        return (1.0 if g[2] == p[2] else 0.5) if overlap(g, p) else None

    pairs = assign(gold, pred, credit)
    assert len({g for g, _, _ in pairs}) == len(pairs) == len({p for _, p, _ in pairs})
    weights = {}
    for g, gold_span in enumerate(gold):
        for p, pred_span in enumerate(pred):
            value = credit(gold_span, pred_span)
            if value is not None:
                weights[g, p] = value * 10_000 + 100 + iou(gold_span, pred_span)
    ours = sum(weights[g, p] for g, p, _ in pairs)
    assert abs(ours - scipy_optimum(weights, len(gold), len(pred))) < 1e-6


def test_large_components_use_the_assignment_and_stay_order_independent():
    gold = [(i * 3, i * 3 + 5, i % 2) for i in range(6)]  # a chain of overlapping spans: one 6×6 component
    pred = [(i * 3 + 1, i * 3 + 5, (i + 1) % 2) for i in range(6)]

    def same_label(g, p):
        return (1.0 if g[2] == p[2] else 0.0) if overlap(g, p) else None

    first = sorted((gold[g], pred[p], c) for g, p, c in assign(gold, pred, same_label))
    shuffled = pred[::-1]
    second = sorted((gold[g], shuffled[p], c) for g, p, c in assign(gold, shuffled, same_label))
    assert first == second
    assert (
        sum(c for *_, c in first) == 6
    )  # prediction i pairs with gold i±1 (same label), never with gold i (other label)


def test_preferred_pairs_break_ties_of_credit_never_more():
    """``prefer`` (the scorer's identical pairs) decides only between pairings of equal credit."""

    def any_overlap(g, p):
        return 1.0 if overlap(g, p) else None

    gold = [(0, 10, "PER")]
    twins = [(0, 10, "ORG"), (0, 10, "PER")]  # equal credit and IoU: without a preference, the first in order wins
    assert assign(gold, twins, any_overlap) == [(0, 0, 1.0)]
    assert assign(gold, twins, any_overlap, lambda g, p: g == p) == [(0, 1, 1.0)]

    def same_label(g, p):
        return (1.0 if g[2] == p[2] else 0.0) if overlap(g, p) else None

    gold = [(0, 19, "PER"), (16, 19, "PER")]
    pred = [(0, 3, "PER"), (0, 19, "PER")]  # keeping the identical pair would cost one credit: it is given up
    chosen = assign(gold, pred, same_label, lambda g, p: g == p)
    assert sorted((gold[g], pred[p]) for g, p, _ in chosen) == [
        ((0, 19, "PER"), (0, 3, "PER")),
        ((16, 19, "PER"), (0, 19, "PER")),
    ]
