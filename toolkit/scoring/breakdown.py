"""``breakdown`` of a result: claimer accuracy and end-to-end figures by claimer kind, claimer position and claim
form, where attribution systems are known to fail (out-of-sentence claimers, reported speech).

Every claim, gold or predicted, gets one value per dimension from its own text and claimer (docs/scoring.md,
"Breakdowns"):

- ``claimer_kind``: ``entity`` (named by mentions), ``author``, ``unnamed``;
- ``claimer_position`` (entity claimers only): ``in_sentence`` when a claimer mention lies inside the claim's
  sentence(s), else ``elsewhere``;
- ``claim_form``: ``quoted`` when the claim begins inside quotation marks, else ``reported``.

A value's ``gold`` and ``predicted`` count the claims with that value; a matched pair (the engine's overlap
matching, `Engine.claim_pairs`) counts under its gold claim's value.  Sentences here are found by a rule on the
characters (`SENTENCE_END`), not by the dataset's tokenizer, so that every gold source (JSONL, built folder, Hub)
gives the same values without spaCy.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

import numpy as np

from toolkit.inventory import load_inventory
from toolkit.scoring.figures import precision_recall_f1
from toolkit.scoring.spans import KIND_SPANS, ClaimColumns

# A sentence ends at a line break, or at final punctuation (with any closing quotes or brackets written right after
# it) followed by white space and a character that is not a lowercase letter: `toolkit.dataset.sentences`' rules
# on characters.
SENTENCE_END = re.compile(r"\n|[.!?…]+[»”’\"')\]]*(?=\s+[^\sa-zà-öø-ÿ])")
OPENING, CLOSING, STRAIGHT = "«“", "»”", '"'
POSITIONS = ("in_sentence", "elsewhere")
FORMS = ("quoted", "reported")


def dimensions() -> dict[str, tuple[str, ...]]:
    """Each breakdown dimension and its values, in output order."""
    kinds = load_inventory().claimer_kind_names
    return {"claimer_kind": tuple(kinds), "claimer_position": POSITIONS, "claim_form": FORMS}


def _quoted(text: str, start: int) -> bool:
    """Whether position ``start`` is inside quotation marks opened in its paragraph (or opens one)."""
    while start < len(text) and (text[start].isspace() or text[start] in OPENING + STRAIGHT):
        if text[start] in OPENING + STRAIGHT:
            return True
        start += 1
    before = text[text.rfind("\n", 0, start) + 1 : start]
    depth = sum(before.count(c) for c in OPENING) - sum(before.count(c) for c in CLOSING)
    return depth > 0 or before.count(STRAIGHT) % 2 == 1


def claim_values(claims: ClaimColumns, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Each claim's value index per dimension (-1: not in that dimension, e.g. the position of an author claim)."""
    kinds = claims.kind.tolist()
    entity = load_inventory().claimer_kind_names.index("entity")
    kind = np.array([entity if k == KIND_SPANS else k for k in kinds], dtype=np.int64).reshape(-1)
    position = np.full(len(claims), -1, dtype=np.int64)
    form = np.zeros(len(claims), dtype=np.int64)
    ends_of: dict[int, tuple[list[int], list[int]]] = {}
    offsets, spans = claims.claimer_offsets.tolist(), claims.claimer_spans.tolist()
    columns = (claims.doc.tolist(), claims.start.tolist(), claims.end.tolist())
    for row, (doc, start, end) in enumerate(zip(*columns, strict=True)):
        text = texts[doc]
        form[row] = FORMS.index("reported") if not _quoted(text, start) else FORMS.index("quoted")
        if kinds[row] != KIND_SPANS:
            continue
        if doc not in ends_of:
            found = [(m.start(), m.end()) for m in SENTENCE_END.finditer(text)]
            ends_of[doc] = ([s for s, _ in found], [e for _, e in found])
        starts, ends = ends_of[doc]
        before = bisect_right(ends, start) - 1
        after = bisect_left(ends, end)
        low = ends[before] if before >= 0 else 0
        high = starts[after] if after < len(starts) else len(text)
        inside = any(low <= a and b <= high for a, b in spans[offsets[row] : offsets[row + 1]])
        position[row] = POSITIONS.index("in_sentence" if inside else "elsewhere")
    return {"claimer_kind": kind, "claimer_position": position, "claim_form": form}


def breakdown_figures(
    gold: dict[str, np.ndarray],
    predicted: dict[str, np.ndarray],
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
    gold_stance: np.ndarray,
    predicted_stance: np.ndarray,
) -> dict:
    """``breakdown``: per dimension and value, the counts, claimer accuracy and end-to-end precision/recall/F1.

    ``gold``/``predicted``: `claim_values` of the gold and predicted claims; ``pairs``: the matched
    ``(gold rows, predicted rows, claimer right)``."""
    g_rows, p_rows, right = pairs
    end_to_end = right & (gold_stance[g_rows] == predicted_stance[p_rows])
    result = {}
    for dimension, values in dimensions().items():
        n = len(values)
        gold_value = gold[dimension]
        pair_value = gold_value[g_rows]

        def tally(rows: np.ndarray, weights=None, n=n) -> np.ndarray:
            kept = rows >= 0
            return np.bincount(rows[kept], weights=None if weights is None else weights[kept], minlength=n)

        gold_counts, predicted_counts = tally(gold_value), tally(predicted[dimension])
        matched, correct, true_positives = tally(pair_value), tally(pair_value, right), tally(pair_value, end_to_end)
        result[dimension] = {
            value: {
                "gold": int(gold_counts[k]),
                "predicted": int(predicted_counts[k]),
                "matched": int(matched[k]),
                "claimer_correct": int(correct[k]),
                "claimer_accuracy": int(correct[k]) / int(matched[k]) if matched[k] else None,
                "end_to_end": {
                    "true_positives": int(true_positives[k]),
                    **precision_recall_f1(int(true_positives[k]), int(predicted_counts[k]), int(gold_counts[k])),
                },
            }
            for k, value in enumerate(values)
        }
    return result
