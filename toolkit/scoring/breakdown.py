"""``breakdown`` of a result: claimer accuracy and end-to-end figures by claimer kind, claimer position and claim
form, where attribution systems are known to fail (out-of-sentence claimers, reported speech).

Every claim, gold or predicted, gets one value per dimension from its own text and claimer (docs/scoring.md,
"Breakdowns"):

- ``claimer_kind``: ``entity`` (named by mentions), ``author``, ``unnamed``;
- ``claimer_position`` (entity claimers only): ``in_sentence`` when a claimer mention overlaps the claim or no
  sentence ends between them, else ``elsewhere``;
- ``claim_form``: ``quoted`` when the claim begins inside quotation marks, else ``reported``.

A value's ``gold`` and ``predicted`` count the claims with that value; a matched pair (the engine's overlap
matching, the pairs of `Engine.count`) counts under its gold claim's value.  Sentences here are found by a rule on the
characters (`SENTENCE_END`), not by the dataset's tokenizer, so that every gold source (JSONL, built folder, Hub)
gives the same values without spaCy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from toolkit.inventory import load_inventory
from toolkit.scoring.figures import precision_recall_f1
from toolkit.scoring.spans import KIND_SPANS, ClaimColumns

# A sentence ends at a line break, or at final punctuation (with any closing quotes or brackets written right after
# it) followed by white space and a character that is not a lowercase letter: `toolkit.sentences`' rules
# on characters.
SENTENCE_END = re.compile(r"\n|[.!?…]+[»”’\"')\]]*(?=\s+[^\sa-zà-öø-ÿ])")
OPENING, CLOSING, STRAIGHT = "«“", "»”", '"'
QUOTES = OPENING + STRAIGHT
ENDS = "\n.!?…"  # where `SENTENCE_END` can match
POSITIONS = ("in_sentence", "elsewhere")
FORMS = ("quoted", "reported")


def dimensions() -> dict[str, tuple[str, ...]]:
    """Each breakdown dimension and its values, in output order."""
    kinds = load_inventory().claimer_kind_names
    return {"claimer_kind": tuple(kinds), "claimer_position": POSITIONS, "claim_form": FORMS}


def _quoted(text: str, start: int) -> bool:
    """Whether position ``start`` is inside quotation marks opened in its paragraph (or opens one).

    Italian news also opens quotations with a closing mark (``secondo Kcna: ”Grazie…”``): a ``”`` or ``»`` written
    right before the claim, after a space or a colon, opens it."""
    while start < len(text) and (
        text[start].isspace() or text[start] in QUOTES or _opens_with_closing_mark(text, start)
    ):
        if not text[start].isspace():
            return True
        start += 1
    if start and _opens_with_closing_mark(text, start - 1):
        return True
    paragraph = text.rfind("\n", 0, start) + 1
    if (
        text.rfind("«", paragraph, start) < 0
        and text.rfind("“", paragraph, start) < 0
        and text.rfind('"', paragraph, start) < 0
    ):
        return False  # the common case, at the speed of str.rfind
    before = text[paragraph:start]
    depth = sum(before.count(c) for c in OPENING) - sum(before.count(c) for c in CLOSING)
    return depth > 0 or before.count(STRAIGHT) % 2 == 1


def _opens_with_closing_mark(text: str, at: int) -> bool:
    """Whether the closing mark at ``at`` opens a quotation: it follows a space or a colon, and a word follows it."""
    return (
        text[at] in CLOSING
        and (at == 0 or text[at - 1].isspace() or text[at - 1] == ":")
        and at + 1 < len(text)
        and not text[at + 1].isspace()
    )


def _ends_between(text: str, first: int, last: int) -> bool:
    """Whether a sentence ends (`SENTENCE_END`) between positions ``first`` and ``last``."""
    if all(text.find(mark, first, last) < 0 for mark in ENDS):
        return False  # no candidate at all: the common case, at the speed of str.find
    found = SENTENCE_END.search(text, first, min(len(text), last + 2))  # the look-ahead may read the next word
    return found is not None and found.start() < last


def _in_sentence(text: str, start: int, end: int, spans) -> bool:
    """Whether a claimer span lies in the claim's sentence(s): no sentence ends between it and the claim."""
    for a, b in spans:
        if a < end and start < b:
            return True
        if (b <= start and not _ends_between(text, b, start)) or (a >= end and not _ends_between(text, end, a)):
            return True
    return False


def claim_values(claims: ClaimColumns, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Each claim's value index per dimension (-1: not in that dimension, e.g. the position of an author claim)."""
    entity = load_inventory().claimer_kind_names.index("entity")
    kind = np.where(claims.kind == KIND_SPANS, entity, claims.kind).astype(np.int64)
    docs, starts, ends = claims.doc.tolist(), claims.start.tolist(), claims.end.tolist()
    quoted = [_quoted(texts[doc], start) for doc, start in zip(docs, starts, strict=True)]
    form = np.where(quoted, FORMS.index("quoted"), FORMS.index("reported")).astype(np.int64).reshape(-1)
    position = np.full(len(claims), -1, dtype=np.int64)
    offsets, spans = claims.claimer_offsets.tolist(), claims.claimer_spans.tolist()
    for row in np.flatnonzero(claims.kind == KIND_SPANS).tolist():
        inside = _in_sentence(texts[docs[row]], starts[row], ends[row], spans[offsets[row] : offsets[row + 1]])
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
