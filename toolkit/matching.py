"""Spans and their one-to-one matching, independent of input order: the one matcher of scoring and agreement.

All spans are half-open ``[start, end)`` character ranges.  `assign` pairs
two small lists of spans so that, in strict priority,

1. the summed credit of the pairs is largest (the caller's ``credit``: 1 for
   correct, 0.5 for partial, 0 for a pair that is allowed but earns nothing);
2. then the number of *preferred* pairs (the caller's ``prefer``; the scorer
   prefers a gold span paired with the identical prediction);
3. then the number of pairs;
4. then the summed character IoU of the pairs;
5. any remaining tie goes to the earlier spans in ``(start, end, label)`` order
   (rows in that order, the first best found), so the order of a file never
   matters.

`overlap_components` cuts spans into connected groups of overlapping spans, so
each group is solved on its own: a group of up to `SMALL` gold × predicted
pairs by trying every matching, a larger one by
the Hungarian method (`_hungarian`: the optimum ``scipy.optimize.linear_sum_assignment``
finds, in pure Python, so that the core install needs no SciPy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

Pair = tuple[int, int]
Credit = Callable[[tuple, tuple], "float | None"]
SMALL = 9  # gold × predicted spans up to which a group is solved by enumeration (faster than the Hungarian there)


class Span(NamedTuple):
    """A named ``(start, end, label)``: hot loops pass plain tuples, readable code can use the names."""

    start: int
    end: int
    label: object = None


def overlap(a: tuple, b: tuple) -> int:
    """Characters shared by two half-open spans (``[0,5)`` and ``[5,9)`` share none)."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def iou(a: tuple, b: tuple) -> float:
    """Character intersection over union of two spans."""
    shared = overlap(a, b)
    return shared / (max(a[1], b[1]) - min(a[0], b[0])) if shared else 0.0


def overlap_components(gold: Sequence[tuple], pred: Sequence[tuple]) -> Iterator[tuple[list[int], list[int]]]:
    """Groups ``(gold indices, pred indices)`` of spans chained by overlaps, in text order.

    A sweep over all spans sorted by start: a span joins the current group when
    it starts before the group's furthest end.  Groups with one side empty are
    yielded too (their spans can only be missed or spurious).
    """
    events = sorted(
        [(span[0], span[1], 0, index) for index, span in enumerate(gold)]
        + [(span[0], span[1], 1, index) for index, span in enumerate(pred)]
    )
    group: tuple[list[int], list[int]] = ([], [])
    furthest = -1
    for start, end, side, index in events:
        if start >= furthest and (group[0] or group[1]):
            yield group
            group = ([], [])
        group[side].append(index)
        furthest = max(furthest, end)
    if group[0] or group[1]:
        yield group


def _position(span: tuple) -> tuple:
    """Sort key: boundaries and label first; any further fields (a claimer) by their text form."""
    return span[:3], repr(span[3:])


def assign(
    gold: Sequence[tuple],
    pred: Sequence[tuple],
    credit: Credit,
    prefer: Callable[[tuple, tuple], bool] | None = None,
) -> list[tuple[int, int, float]]:
    """The best one-to-one pairs ``(gold index, pred index, credit)`` between two small span lists.

    ``credit(g, p)`` is ``None`` when the pair is not allowed, else its credit
    (0, 0.5 or 1); ``prefer(g, p)`` marks the pairs to prefer among matchings
    of equal credit.  Indices refer to the lists given.
    """
    if len(gold) == 1 and len(pred) == 1:
        value = credit(gold[0], pred[0])
        return [] if value is None else [(0, 0, value)]
    gold_order = sorted(range(len(gold)), key=lambda i: _position(gold[i]))
    pred_order = sorted(range(len(pred)), key=lambda i: _position(pred[i]))
    # One weight per pair whose sum ranks matchings exactly as the priorities above: each level's unit outweighs
    # the largest possible sum of every level below it.
    most_pairs = min(len(gold), len(pred))
    pair_weight = most_pairs + 1.0  # more than any sum of IoUs
    prefer_weight = most_pairs * (pair_weight + 1) + 1  # more than any pair count and IoU sum
    credit_weight = 2 * most_pairs * (prefer_weight + pair_weight + 1) + 1  # half a credit outweighs all of those
    weights: dict[Pair, float] = {}
    credits: dict[Pair, float] = {}
    for row, g in enumerate(gold_order):
        for column, p in enumerate(pred_order):
            value = credit(gold[g], pred[p])
            if value is not None:
                preferred = prefer is not None and prefer(gold[g], pred[p])
                credits[row, column] = value
                weights[row, column] = (
                    value * credit_weight + preferred * prefer_weight + pair_weight + iou(gold[g], pred[p])
                )
    solve = _enumerate if len(gold) * len(pred) <= SMALL else _hungarian
    chosen = solve(weights, len(gold), len(pred))
    return [(gold_order[r], pred_order[c], credits[r, c]) for r, c in chosen]


def _enumerate(weights: dict[Pair, float], rows: int, columns: int) -> list[Pair]:
    """Best matching by trying every one (rows in order; the first best in that order wins ties)."""
    best: tuple[float, list[Pair]] = (0.0, [])

    def extend(row: int, used: frozenset, total: float, pairs: list[Pair]) -> None:
        nonlocal best
        if row == rows:
            if total > best[0]:
                best = (total, list(pairs))
            return
        for column in range(columns):
            if column not in used and (row, column) in weights:
                pairs.append((row, column))
                extend(row + 1, used | {column}, total + weights[row, column], pairs)
                pairs.pop()
        extend(row + 1, used, total, pairs)

    extend(0, frozenset(), 0.0, [])
    return best[1]


def _hungarian(weights: dict[Pair, float], rows: int, columns: int) -> list[Pair]:
    """Best matching of a larger group: the Hungarian method with potentials (Kuhn-Munkres, shortest augmenting
    paths, O(rows² · columns)); the same optimum as ``scipy.optimize.linear_sum_assignment`` (tests check it), so the
    core install needs no SciPy.  A pair not in ``weights`` weighs 0 and is dropped from the result."""
    transposed = rows > columns
    if transposed:  # the method assigns every row: rows must be the shorter side
        rows, columns = columns, rows
    weight = (lambda r, c: weights.get((c, r), 0.0)) if transposed else (lambda r, c: weights.get((r, c), 0.0))
    cost = [[-weight(r, c) for c in range(columns)] for r in range(rows)]
    inf = float("inf")
    u = [0.0] * (rows + 1)  # potentials of rows and columns, 1-based; column 0 is the virtual start
    v = [0.0] * (columns + 1)
    owner = [0] * (columns + 1)  # owner[c]: the row (1-based) assigned to column c, 0 if none
    for row in range(1, rows + 1):
        owner[0] = row
        column = 0
        least = [inf] * (columns + 1)
        previous = [0] * (columns + 1)
        used = [False] * (columns + 1)
        while owner[column]:
            used[column] = True
            current, delta, nearest = owner[column], inf, 0
            costs, u_current = cost[current - 1], u[current]
            for c in range(1, columns + 1):
                if not used[c]:
                    reduced = costs[c - 1] - u_current - v[c]
                    if reduced < least[c]:
                        least[c], previous[c] = reduced, column
                    if least[c] < delta:
                        delta, nearest = least[c], c
            for c in range(columns + 1):
                if used[c]:
                    u[owner[c]] += delta
                    v[c] -= delta
                else:
                    least[c] -= delta
            column = nearest
        while column:  # flip the augmenting path back to the start
            before = previous[column]
            owner[column] = owner[before]
            column = before
    pairs = sorted((owner[c] - 1, c - 1) for c in range(1, columns + 1) if owner[c])
    if transposed:
        pairs = sorted((c, r) for r, c in pairs)
    return [pair for pair in pairs if pair in weights]
