"""Which items of two annotators are the same item, and which items of many annotators form one unit.

Pairs come from the one-to-one optimal matcher the scorer uses too
(`toolkit.matching.assign`, Hungarian within groups of overlapping
spans), so agreement and scoring match spans by the same rule.  A *scheme*
says which pairs are allowed and how much credit a pair earns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from toolkit.matching import assign, iou, overlap, overlap_components

Item = Mapping[str, Any]
Credit = Callable[[Item, Item], "float | None"]
CLAIM_MIN_IOU = 0.5


def _same_boundaries(a: Item, b: Item) -> bool:
    return a["start"] == b["start"] and a["end"] == b["end"]


def _span(item: Item) -> tuple[int, int]:
    return item["start"], item["end"]


def entity_strict(a: Item, b: Item) -> float | None:
    return 1.0 if _same_boundaries(a, b) and a["label"] == b["label"] else None


def entity_overlap(a: Item, b: Item) -> float | None:
    return 1.0 if a["label"] == b["label"] and overlap(_span(a), _span(b)) else None


def claim_strict(a: Item, b: Item) -> float | None:
    return 1.0 if _same_boundaries(a, b) else None


def claim_overlap(a: Item, b: Item) -> float | None:
    return 1.0 if iou(_span(a), _span(b)) >= CLAIM_MIN_IOU else None


def entity_any_label(a: Item, b: Item) -> float | None:
    """For grouping mentions across annotators: any overlap, a pair with the same label preferred."""
    if not overlap(_span(a), _span(b)):
        return None
    return 1.0 if a["label"] == b["label"] else 0.5


# layer → scheme name → credit; the agreement figures are computed for each.
SCHEMES: dict[str, dict[str, Credit]] = {
    "entities": {"strict": entity_strict, "overlap": entity_overlap},
    "claims": {"strict": claim_strict, "overlap": claim_overlap},
}
# layer → how items of several annotators are grouped into units (report, alpha, adjudication).
UNIT_RULES: dict[str, Credit] = {"entities": entity_any_label, "claims": claim_overlap}

SCHEME_DESCRIPTIONS = {
    "entities.strict": "same start, end and label",
    "entities.overlap": "same label, at least one character in common",
    "claims.strict": "same start and end",
    "claims.overlap": f"character IoU >= {CLAIM_MIN_IOU}",
}


def match_items(left: Sequence[Item], right: Sequence[Item], credit: Credit) -> list[tuple[int, int]]:
    """One-to-one pairs ``(left index, right index)``: most credit, then most pairs, then highest IoU."""
    left_spans = [_span(item) for item in left]
    right_spans = [_span(item) for item in right]
    pairs = []
    for left_group, right_group in overlap_components(left_spans, right_spans):
        if not left_group or not right_group:
            continue
        keyed_left = [(*left_spans[i], i) for i in left_group]
        keyed_right = [(*right_spans[j], j) for j in right_group]
        found = assign(keyed_left, keyed_right, lambda a, b: credit(left[a[2]], right[b[2]]))
        pairs += [(keyed_left[g][2], keyed_right[p][2]) for g, p, _ in found]
    return sorted(pairs)


Unit = dict[str, int]  # annotator → index of that annotator's item


def group_units(items_by_annotator: Mapping[str, Sequence[Item]], credit: Credit) -> list[Unit]:
    """Group the items of several annotators into units holding at most one item per annotator.

    Annotators are taken in sorted order; each one's items are matched one to
    one against the first item of every unit so far, and unmatched items start
    new units.  With two annotators the units are exactly the pairwise matches.
    Units come back in text order.
    """
    units: list[Unit] = []
    representatives: list[Item] = []
    for annotator in sorted(items_by_annotator):
        items = items_by_annotator[annotator]
        matched = dict((j, i) for i, j in match_items(representatives, items, credit))
        for j, item in enumerate(items):
            if j in matched:
                units[matched[j]][annotator] = j
            else:
                units.append({annotator: j})
                representatives.append(item)
    order = sorted(range(len(units)), key=lambda u: (representatives[u]["start"], representatives[u]["end"], u))
    return [units[u] for u in order]
