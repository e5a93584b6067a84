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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from toolkit.inventory import load_inventory
from toolkit.scoring.figures import precision_recall_f1
from toolkit.scoring.spans import KIND_SPANS, ClaimColumns, within_runs

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


MARK = re.compile(f"[{re.escape(QUOTES + CLOSING)}]")
END_CANDIDATE = re.compile(f"[{re.escape(ENDS)}]")
MARKS = ("quotes", "spaced", "breaks", "ends")


@dataclass(frozen=True)
class Marks:
    """Where the texts can change a claim's breakdown values, as keys (a position plus the summed lengths of the
    texts before its document, `toolkit.scoring.compat.bases`), all ascending; compiled at build time so that most
    predicted claims get their values without the texts (`predicted_claim_values`)."""

    quotes: np.ndarray  # every quotation mark, opening or closing (`_quoted` looks at no other character)
    spaced: np.ndarray  # for each, where the white space right before it begins (its own key when there is none)
    breaks: np.ndarray  # every line break (where a paragraph begins)
    ends: np.ndarray  # every character where a sentence can end (`ENDS`: `_ends_between` looks no further)


def text_marks(texts: Sequence[str], lengths: np.ndarray) -> Marks:
    """The `Marks` of texts (of these lengths in code points)."""
    from toolkit.scoring.compat import bases

    quotes, spaced, breaks, ends = [], [], [], []
    for base, text in zip(bases(lengths).tolist(), texts, strict=True):
        for found in MARK.finditer(text):
            at = before = found.start()
            while before and text[before - 1].isspace():
                before -= 1
            quotes.append(base + at)
            spaced.append(base + before)
        for found in END_CANDIDATE.finditer(text):
            ends.append(base + found.start())
            if found.group() == "\n":
                breaks.append(base + found.start())
    return Marks(*(np.array(keys, dtype=np.int64) for keys in (quotes, spaced, breaks, ends)))


def predicted_claim_values(
    claims: ClaimColumns, marks: Marks, lengths: np.ndarray, texts: Callable[[], Sequence[str]]
) -> dict[str, np.ndarray]:
    """`claim_values` of these claims from the compiled `Marks`: a claim with no quotation mark in its paragraph
    before its start, nor right after the white space at its start, is reported speech; an entity claimer is in the
    claim's sentence when one of its spans overlaps the claim or has no `ENDS` character between it and the claim.
    Only the other claims go through `claim_values`' own rules, and only then are the ``texts()`` read."""
    from toolkit.scoring.compat import bases

    base = bases(lengths)
    doc_base, doc_end = base[claims.doc], base[claims.doc] + lengths[claims.doc]
    key = doc_base + claims.start
    line = _at(marks.breaks, np.searchsorted(marks.breaks, key) - 1, -1) + 1  # after the last line break before it
    low = np.maximum(np.minimum(np.maximum(line, doc_base), key - 1), doc_base)
    following = np.searchsorted(marks.quotes, key)  # the first quotation mark at or after the start
    next_mark = _at(marks.quotes, following, -1)
    reached = (next_mark >= 0) & (next_mark < doc_end) & (_at(marks.spaced, following, -1) <= key)
    plain_form = (np.searchsorted(marks.quotes, low) == following) & ~reached  # no mark: reported speech

    entity = load_inventory().claimer_kind_names.index("entity")
    kind = np.where(claims.kind == KIND_SPANS, entity, claims.kind).astype(np.int64)
    form = np.full(len(claims), FORMS.index("reported"), dtype=np.int64)
    position = np.full(len(claims), -1, dtype=np.int64)
    named = np.flatnonzero(claims.kind == KIND_SPANS)
    counts = claims.claimer_offsets[named + 1] - claims.claimer_offsets[named]
    spans = claims.claimer_spans[np.repeat(claims.claimer_offsets[named], counts) + within_runs(counts)]
    owner = np.repeat(np.arange(len(named)), counts)
    span_low, span_high = doc_base[named][owner] + spans[:, 0], doc_base[named][owner] + spans[:, 1]
    claim_low, claim_high = key[named][owner], (doc_base + claims.end)[named][owner]

    def no_end(first: np.ndarray, last: np.ndarray) -> np.ndarray:
        return np.searchsorted(marks.ends, last) == np.searchsorted(marks.ends, first)

    inside = (span_low < claim_high) & (claim_low < span_high)
    before = (span_high <= claim_low) & no_end(span_high, claim_low)
    after_claim = (span_low >= claim_high) & no_end(claim_high, span_low)
    certain = np.bincount(owner, weights=inside | before | after_claim, minlength=len(named)) > 0
    position[named[certain]] = POSITIONS.index("in_sentence")
    open_position = named[~certain & (counts > 0)]
    position[named[~certain & (counts == 0)]] = POSITIONS.index("elsewhere")
    open_form = np.flatnonzero(~plain_form)
    if len(open_form) or len(open_position):  # only these go through the rules on the texts
        values = claim_values(claims.take(np.union1d(open_form, open_position)), texts())
        rows = np.union1d(open_form, open_position)
        form[rows] = values["claim_form"]
        position[open_position] = values["claimer_position"][np.searchsorted(rows, open_position)]
    return {"claimer_kind": kind, "claimer_position": position, "claim_form": form}


def _at(keys: np.ndarray, rows: np.ndarray, missing: int) -> np.ndarray:
    """``keys[rows]``, and ``missing`` where a row is outside the array."""
    if not len(keys):
        return np.full(len(rows), missing, dtype=np.int64)
    inside = (rows >= 0) & (rows < len(keys))
    return np.where(inside, keys[np.clip(rows, 0, len(keys) - 1)], missing)


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
