"""One-to-one matching of gold and predicted spans, independent of input order.

Rule (recorded in the signature as ``match:`` `MATCHING_RULE`):
1. spans are sorted by ``(start, end, label)``, so the order of a file never matters;
2. the spans are split into connected components of overlapping spans; a
   component up to 3×3 is solved exactly by enumeration, a larger one by an
   optimal assignment (``scipy.optimize.linear_sum_assignment``): the same
   optimum, without importing scipy for the common case;
3. the assignment maximises, in strict priority, the scheme's credit, then the
   number of pairs, then the summed character IoU; any remaining tie is broken
   by position (the sorted order), deterministically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from toolkit.scoring.spans import iou

MATCHING_RULE = "hungarian-v1"
Pair = tuple[int, int]


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
    gold: Sequence[tuple], pred: Sequence[tuple], credit: Callable[[tuple, tuple], float | None]
) -> list[tuple[int, int, float]]:
    """Optimal one-to-one pairs ``(gold index, pred index, credit)`` between two small span lists.

    ``credit(g, p)`` is ``None`` when the scheme does not allow the pair, else
    the pair's credit (0, 0.5 or 1).  Indices refer to the lists given.
    """
    if len(gold) == 1 and len(pred) == 1:
        value = credit(gold[0], pred[0])
        return [] if value is None else [(0, 0, value)]
    gold_order = sorted(range(len(gold)), key=lambda i: _position(gold[i]))
    pred_order = sorted(range(len(pred)), key=lambda i: _position(pred[i]))
    pairs_bound = min(len(gold), len(pred))
    pair_weight = pairs_bound + 1.0  # more than any sum of IoUs
    credit_weight = 2 * pairs_bound * (pair_weight + 1) + 1  # half a credit outweighs any pair count and IoU sum
    weights: dict[Pair, float] = {}
    credits: dict[Pair, float] = {}
    for row, g in enumerate(gold_order):
        for column, p in enumerate(pred_order):
            value = credit(gold[g], pred[p])
            if value is not None:
                credits[row, column] = value
                weights[row, column] = value * credit_weight + pair_weight + iou(gold[g], pred[p])
    solve = _enumerate if len(gold) * len(pred) <= SMALL else _hungarian
    chosen = solve(weights, len(gold), len(pred))
    return [(gold_order[r], pred_order[c], credits[r, c]) for r, c in chosen]


SMALL = 9  # components up to 3×3 are solved by enumeration: no scipy import for the common case


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
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    matrix = np.zeros((rows, columns))
    for pair, weight in weights.items():
        matrix[pair] = weight
    chosen_rows, chosen_columns = linear_sum_assignment(matrix, maximize=True)
    return [pair for pair in zip(chosen_rows.tolist(), chosen_columns.tolist(), strict=True) if pair in weights]
