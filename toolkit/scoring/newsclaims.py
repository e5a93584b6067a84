"""NewsClaims' figures (``compat.newsclaims``) and the files its scorer reads, from voci gold and predictions.

NewsClaims (Reddy et al., EMNLP 2022; blender-nlp/NewsClaims ``eval/eval_claim_detection.py``) scores claims by
*segment*: a gold file ``{doc id: {segment id: {has_claimer, claimer, claimer_in_sentence, stance, claim_span}}}``
and a predictions file of the same shape.  The mapping from voci (docs/scoring.md, "Comparing with published
results"):

- a segment is a sentence of the dataset's own segmentation (the ``ner`` config of a built folder), its id the
  sentence index as a string; a claim belongs to the sentence that holds its start, and when several claims start
  in one sentence the first (earliest start, then longest) stands for it;
- ``has_claimer``: the claimer kind is not ``author``; ``claimer``: the text of the claimer mention(s) in text
  order joined by a space, ``<UNNAMED>`` for an unnamed source, ``<AUTHOR>`` for the author;
  ``claimer_in_sentence``: a claimer mention lies inside the segment's sentence (an unnamed source counts as in it);
- ``claim_span``: the first and last token (indices over the document's tokens, inclusive) the claim overlaps;
- a prediction is assigned to the gold segment of the sentence its start falls in, like a gold claim.

NewsClaims scores claimer, stance and claim span on every gold segment and needs a prediction for each; the
*answers* file is the predictions plus every gold segment they miss, with an answer that earns nothing
(``has_claimer`` true, claimer ``""``, stance ``NONE``, span ``[-1, -1]``).  Claim detection reads the plain
predictions file (its segment ids are the predicted segments).

`figures` computes what the scorer prints, from those files: claim detection P/R/F1 over segment sets; claimer
answer F1 (SQuAD token F1 of the normalised strings), "no claimer" P/R/F1 and their weighted final F1, answer F1
in and out of the claim's sentence; stance accuracy and scikit-learn's classification report per label; the mean
claim-span precision and recall and their F1.  Where NewsClaims' script divides by zero (or takes the mean of
nothing) the figure is 0 here, and ``None`` for a mean over no segment.
"""

from __future__ import annotations

import bisect
import re
import string
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.built import BuiltFolder
from toolkit.files import parquet_batches
from toolkit.inventory import load_inventory
from toolkit.scoring.gold.parquet import integers, list_parts
from toolkit.scoring.spans import KIND_SPANS

AUTHOR, UNNAMED = "<AUTHOR>", "<UNNAMED>"
MISSED = {"has_claimer": True, "claimer": "", "stance": "NONE", "claim_span": [-1, -1]}
SEGMENT_CONFIG = "ner"
Span = tuple[int, int]


@dataclass(frozen=True)
class Segments:
    """One document's sentences and their tokens, as code-point offsets: the dataset's segmentation (one ``ner`` row
    per sentence).  Flat lists: every token's start and end in order, and where each sentence's tokens begin."""

    starts: list[int]
    ends: list[int]
    first: list[int]  # sentence k holds tokens first[k] to first[k + 1] - 1

    @classmethod
    def from_sentences(cls, sentences: Sequence[Sequence[Span]]) -> Segments:
        """From each sentence's ``(start, end)`` tokens (sentences without tokens are left out)."""
        sentences = [sentence for sentence in sentences if sentence]
        first = [0]
        for sentence in sentences:
            first.append(first[-1] + len(sentence))
        flat = [token for sentence in sentences for token in sentence]
        return cls([start for start, _ in flat], [end for _, end in flat], first)

    @property
    def sentences(self) -> list[Span]:
        """Each sentence's ``(start, end)``: its first token's start, its last token's end."""
        return [(self.starts[self.first[k]], self.ends[self.first[k + 1] - 1]) for k in range(len(self.first) - 1)]

    @property
    def tokens(self) -> list[list[Span]]:
        """Each sentence's tokens."""
        flat = self.flat_tokens()
        return [flat[self.first[k] : self.first[k + 1]] for k in range(len(self.first) - 1)]

    def flat_tokens(self) -> list[Span]:
        return list(zip(self.starts, self.ends, strict=True))


@dataclass(frozen=True)
class Claim:
    """A claim as NewsClaims needs it: its span, stance name, claimer kind name and claimer mention spans."""

    start: int
    end: int
    stance: str
    kind: str
    mentions: tuple[Span, ...] = ()


def folder_segments(folder: Path | BuiltFolder, split: str | None = None, ids: Iterable[str] | None = None):
    """``{doc id: Segments}`` from the ``ner`` config of a built folder (``None`` when it has none)."""
    files = BuiltFolder.open(folder).split_files(split, SEGMENT_CONFIG)
    if not files:
        return None
    wanted = None if ids is None else set(ids)
    rows: dict[str, list[tuple[int, list[int], list[int]]]] = {}
    for path in files:
        for batch in parquet_batches(path, ["doc_id", "sentence_index", "token_starts", "token_ends"]):
            doc_ids = batch.column("doc_id").to_pylist()
            index = integers(batch.column("sentence_index")).tolist()
            starts, row_of = list_parts(batch.column("token_starts"), "token_starts")
            ends, _ = list_parts(batch.column("token_ends"), "token_ends")
            starts, ends = integers(starts).tolist(), integers(ends).tolist()
            bounds = np.searchsorted(row_of, np.arange(len(doc_ids) + 1)).tolist()
            for row, doc_id in enumerate(doc_ids):
                if (wanted is None or doc_id in wanted) and bounds[row + 1] > bounds[row]:
                    part = slice(bounds[row], bounds[row + 1])
                    rows.setdefault(doc_id, []).append((index[row], starts[part], ends[part]))
    segments = {}
    for doc_id, sentences in rows.items():
        sentences.sort(key=lambda sentence: sentence[0])
        first, starts, ends = [0], [], []
        for _, sentence_starts, sentence_ends in sentences:
            starts += sentence_starts
            ends += sentence_ends
            first.append(len(starts))
        segments[doc_id] = Segments(starts, ends, first)
    return segments


def gold_claims(record: Mapping[str, Any]) -> list[Claim]:
    """The claims of a gold (annotation) record, each with its claimer mentions' spans."""
    spans = {entity["id"]: (entity["start"], entity["end"]) for entity in record.get("entities", ())}
    return [
        Claim(
            claim["start"],
            claim["end"],
            claim["stance"],
            claim["claimer"]["kind"],
            tuple(sorted(spans[entity_id] for entity_id in claim["claimer"].get("entity_ids", ()))),
        )
        for claim in record.get("claims", ())
    ]


def predicted_claims(record: Mapping[str, Any]) -> list[Claim]:
    """The claims of a prediction record; a claimer span is the one mention of an ``entity`` claimer."""
    keywords = load_inventory().prediction_claimer_keywords
    claims = []
    for claim in record.get("claims", ()):
        claimer = claim["claimer"]
        if isinstance(claimer, str):
            claims.append(Claim(claim["start"], claim["end"], claim["stance"], keywords[claimer]))
        else:
            claims.append(
                Claim(claim["start"], claim["end"], claim["stance"], "entity", ((claimer["start"], claimer["end"]),))
            )
    return claims


def entries(text: str, segments: Segments, claims: Iterable[Claim], gold: bool) -> dict[str, dict[str, Any]]:
    """``{segment id: entry}`` of one document's claims (gold entries say whether the claimer is in the sentence)."""
    claims = sorted(claims, key=lambda claim: (claim.start, -claim.end))
    if not claims:
        return {}
    starts, ends, first = segments.starts, segments.ends, segments.first
    sentence_starts = [starts[k] for k in first[:-1]]
    by_segment: dict[int, Claim] = {}
    for claim in claims:
        by_segment.setdefault(max(bisect.bisect_right(sentence_starts, claim.start) - 1, 0), claim)
    result = {}
    for index, claim in sorted(by_segment.items()):
        if claim.kind == "author":
            claimer = AUTHOR
        elif claim.kind == "entity":
            claimer = " ".join(text[start:end] for start, end in claim.mentions)
        else:
            claimer = UNNAMED
        entry: dict[str, Any] = {"has_claimer": claim.kind != "author", "claimer": claimer}
        if gold:
            low, high = starts[first[index]], ends[first[index + 1] - 1]
            entry["claimer_in_sentence"] = claim.kind != "entity" or any(
                low <= start and end <= high for start, end in claim.mentions
            )
        entry["stance"] = claim.stance
        span_first = bisect.bisect_right(ends, claim.start)  # the first token ending after the claim's start
        span_last = bisect.bisect_left(starts, claim.end) - 1  # the last token starting before its end
        entry["claim_span"] = [span_first, span_last] if span_first <= span_last else [-1, -1]
        result[str(index)] = entry
    return result


def answers(gold: Mapping[str, Mapping], predictions: Mapping[str, Mapping]) -> dict[str, dict]:
    """The predictions with every gold segment they miss answered by `MISSED` (NewsClaims' claimer, stance and span
    scoring needs one prediction per gold segment)."""
    filled = {doc_id: dict(segments) for doc_id, segments in predictions.items()}
    for doc_id, segments in gold.items():
        document = filled.setdefault(doc_id, {})
        for segment_id in segments:
            document.setdefault(segment_id, dict(MISSED))
    return filled


# ---------------------------------------------------------------- answer normalisation (SQuAD's, and Italian)


ENGLISH_PUNCTUATION = str.maketrans("", "", string.punctuation)
ITALIAN_PUNCTUATION = str.maketrans("", "", string.punctuation + "’‘“”«»…–—")


ENGLISH_ARTICLES = re.compile(r"\b(a|an|the)\b")
ITALIAN_ELIDED = re.compile(r"\b(l|un)['’]")
ITALIAN_ARTICLES = re.compile(r"\b(il|lo|la|i|gli|le|un|uno|una)\b")


def _english(text: str) -> str:
    """NewsClaims' (SQuAD's) normalisation: lower case, no punctuation, no a/an/the, single spaces."""
    return " ".join(ENGLISH_ARTICLES.sub(" ", text.lower().translate(ENGLISH_PUNCTUATION)).split())


def _italian(text: str) -> str:
    """The Italian variant: elided articles (l', un') first, then punctuation, then il/lo/la/i/gli/le/un/uno/una."""
    text = ITALIAN_ELIDED.sub(" ", text.lower()).translate(ITALIAN_PUNCTUATION)
    return " ".join(ITALIAN_ARTICLES.sub(" ", text).split())


NORMALISATIONS: dict[str, Callable[[str], str]] = {"english": _english, "italian": _italian}
DEFAULT_NORMALISATION = "english"


def answer_f1(prediction: str, truth: str, normalise: Callable[[str], str]) -> float:
    """SQuAD's token F1 of two normalised strings."""
    return _token_f1(normalise(prediction).split(), normalise(truth).split())


def _token_f1(predicted: list[str], true: list[str]) -> float:
    if predicted == true:
        return 1.0 if true else 0.0
    unique_predicted, unique_true = set(predicted), set(true)
    if len(unique_predicted) == len(predicted) and len(unique_true) == len(true):  # no repeated word: sets suffice
        same = len(unique_predicted & unique_true)
    else:
        same = sum((Counter(predicted) & Counter(true)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(true)
    return 2 * precision * recall / (precision + recall)


# ---------------------------------------------------------------- the figures


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class Entries:
    """NewsClaims entries (one per segment) as columns, in (document index, segment) order.  ``claimers``: the
    claimer strings (`entries`' ``claimer``); for gold entries, ``normalised`` gives them normalised and split
    (compiled at build time, else normalised when asked) and ``in_sentence`` is ``claimer_in_sentence``."""

    doc: np.ndarray
    segment: np.ndarray
    has_claimer: np.ndarray
    stance: np.ndarray  # index into `stance_codes`' names
    span_first: np.ndarray
    span_last: np.ndarray
    claimers: Sequence[str] = ()
    in_sentence: np.ndarray | None = None
    compiled: Mapping[str, Sequence[str]] | None = None  # normalisation name -> normalised claimer strings

    def __len__(self) -> int:
        return len(self.doc)

    def normalised(self, normalisation: str) -> Sequence[str]:
        """The claimer strings normalised, their words joined by one space."""
        if self.compiled is not None:
            return self.compiled[normalisation]
        return [_normalised(text, NORMALISATIONS[normalisation]) for text in self.claimers]


def _normalised(text: str, normalise: Callable[[str], str]) -> str:
    return " ".join(normalise(text).split())


NEWSCLAIMS_ARRAYS = ("doc", "segment", "has_claimer", "stance", "span_first", "span_last", "in_sentence")


def stance_codes() -> list[str]:
    """The stance names entries are coded by: the inventory's, then NewsClaims' ``NONE`` (a missed segment)."""
    return list(dict.fromkeys([*load_inventory().stance_names, MISSED["stance"]]))


def entries_columns(files: Mapping[str, Mapping[str, Mapping]], ids: Sequence[str]) -> Entries:
    """The `Entries` of a NewsClaims file (``{doc id: {segment id: entry}}``) for the documents ``ids``."""
    return _columns(
        [
            (d, int(segment_id), entry)
            for d, doc_id in enumerate(ids)
            for segment_id, entry in sorted(files.get(doc_id, {}).items(), key=lambda item: int(item[0]))
        ]
    )


def _columns(rows: Sequence[tuple[int, int, Mapping]]) -> Entries:
    """`Entries` of ``(document index, segment, entry)`` rows in that order."""
    code = {name: k for k, name in enumerate(stance_codes())}
    gold = bool(rows) and "claimer_in_sentence" in rows[0][2]
    return Entries(
        np.array([d for d, _, _ in rows], dtype=np.int64),
        np.array([segment for _, segment, _ in rows], dtype=np.int64),
        np.array([entry["has_claimer"] is not False for _, _, entry in rows], dtype=bool),
        np.array([code[entry["stance"]] for _, _, entry in rows], dtype=np.int64),
        np.array([entry["claim_span"][0] for _, _, entry in rows], dtype=np.int64),
        np.array([entry["claim_span"][1] for _, _, entry in rows], dtype=np.int64),
        [entry["claimer"] for _, _, entry in rows],
        np.array([bool(entry["claimer_in_sentence"]) for _, _, entry in rows], dtype=bool) if gold else None,
    )


def _detection(gold: Entries, predicted: Entries) -> dict[str, Any]:
    bound = int(max(gold.segment.max(initial=0), predicted.segment.max(initial=0))) + 1
    tp = len(np.intersect1d(gold.doc * bound + gold.segment, predicted.doc * bound + predicted.segment))
    true = len(gold)
    precision, recall = _ratio(tp, len(predicted)), _ratio(tp, true)
    return {
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "gold": true,
        "predicted": len(predicted),
    }


def _answered(gold: Entries, predicted: Entries) -> tuple[np.ndarray, np.ndarray]:
    """For each gold entry, the row of the predicted entry of its segment, and whether there is one (else it is
    answered by `MISSED`)."""
    bound = int(max(gold.segment.max(initial=0), predicted.segment.max(initial=0))) + 1
    keys = predicted.doc * bound + predicted.segment  # ascending
    wanted = gold.doc * bound + gold.segment
    at = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
    found = (keys[at] == wanted) if len(keys) else np.zeros(len(wanted), dtype=bool)
    return at, found


def _claimer(gold: Entries, predicted: Entries, at, found, normalisation: str) -> dict[str, Any]:
    has = np.where(found, predicted.has_claimer[at] if len(predicted) else True, True)  # MISSED has a claimer
    truths = gold.normalised(normalisation)
    normalise, seen = NORMALISATIONS[normalisation], {}
    rows = np.flatnonzero(gold.has_claimer)
    claimers = [
        (predicted.claimers[row] if there else MISSED["claimer"]) if answered else AUTHOR
        for answered, there, row in zip(has[rows].tolist(), found[rows].tolist(), at[rows].tolist(), strict=True)
    ]
    guesses = [seen[text] if text in seen else seen.setdefault(text, _normalised(text, normalise)) for text in claimers]
    answer = [
        (1.0 if truth else 0.0) if guess == truth else _token_f1(guess.split(), truth.split())
        for guess, truth in zip(guesses, (truths[row] for row in rows.tolist()), strict=True)
    ]
    inside = gold.in_sentence[rows].tolist()
    in_sentence = [f1 for f1, there in zip(answer, inside, strict=True) if there]
    out_of_sentence = [f1 for f1, there in zip(answer, inside, strict=True) if not there]
    no_predicted = int((~has).sum())
    no_tp, no_true = int((~has & ~gold.has_claimer).sum()), int((~gold.has_claimer).sum())
    precision, recall = _ratio(no_tp, no_predicted), _ratio(no_tp, no_true)
    no_f1, answer_mean = _f1(precision, recall), _mean(answer)
    weighted = len(answer) * (answer_mean or 0.0) + no_true * no_f1
    return {
        "answer_f1": answer_mean,
        "answers": len(answer),
        "no_claimer_precision": precision,
        "no_claimer_recall": recall,
        "no_claimer_f1": no_f1,
        "no_claimer": no_true,
        "final_f1": _ratio(weighted, len(answer) + no_true),
        "in_sentence_f1": _mean(in_sentence),
        "in_sentence": len(in_sentence),
        "out_of_sentence_f1": _mean(out_of_sentence),
        "out_of_sentence": len(out_of_sentence),
    }


def _stance(gold: Entries, predicted: Entries, at, found) -> dict[str, Any]:
    """Accuracy and scikit-learn's classification report (labels of gold or predictions, 0 for 0/0)."""
    names = stance_codes()
    true = gold.stance
    missed = names.index(MISSED["stance"])
    guess = np.where(found, predicted.stance[at] if len(predicted) else missed, missed)
    n = len(names)
    tp = np.bincount(true[true == guess], minlength=n)
    support, guessed = np.bincount(true, minlength=n), np.bincount(guess, minlength=n)
    per_label = {}
    for k in sorted((k for k in range(n) if support[k] or guessed[k]), key=names.__getitem__):
        precision, recall = _ratio(int(tp[k]), int(guessed[k])), _ratio(int(tp[k]), int(support[k]))
        per_label[names[k]] = {
            "precision": precision,
            "recall": recall,
            "f1": _f1(precision, recall),
            "support": int(support[k]),
        }
    return {"accuracy": _ratio(int(tp.sum()), len(true)), "per_label": per_label, "segments": len(true)}


def _span(gold: Entries, predicted: Entries, at, found) -> dict[str, Any]:
    start = np.where(found, predicted.span_first[at] if len(predicted) else -1, -1)
    end = np.where(found, predicted.span_last[at] if len(predicted) else -1, -1)
    gold_start, gold_end = gold.span_first, gold.span_last
    tp = np.maximum(np.minimum(gold_end, end) - np.maximum(start, gold_start) + 1, 0)
    # each ratio divided as Python divides, then summed in segment order: the script's own floats
    precision = _mean((tp / (end - start + 1)).tolist())
    recall = _mean((tp / (gold_end - gold_start + 1)).tolist())
    return {
        "precision": precision,
        "recall": recall,
        "f1": None if precision is None else _f1(precision, recall),
        "segments": len(gold),
    }


def figures(gold: Mapping, predictions: Mapping, normalisation: str = DEFAULT_NORMALISATION) -> dict[str, Any]:
    """``compat.newsclaims`` from NewsClaims-format gold and predictions files (missed segments answered by
    `MISSED`, as `answers` does)."""
    ids = list(gold)
    return column_figures(entries_columns(gold, ids), entries_columns(predictions, ids), normalisation)


def column_figures(gold: Entries, predicted: Entries, normalisation: str = DEFAULT_NORMALISATION) -> dict[str, Any]:
    """``compat.newsclaims`` from the gold and predicted `Entries` (what `figures` computes from the files)."""
    at, found = _answered(gold, predicted)
    return {
        "normalisation": normalisation,
        "segments": "sentences of the ner config (a claim's segment is the sentence of its start)",
        "claim_detection": _detection(gold, predicted),
        "claimer": _claimer(gold, predicted, at, found, normalisation),
        "stance": _stance(gold, predicted, at, found),
        "claim_span": _span(gold, predicted, at, found),
    }


GOLD_COLUMNS = [
    "id",
    "text",
    *(f"entities.list.element.{name}" for name in ("id", "start", "end")),
    *(f"claims.list.element.{name}" for name in ("start", "end", "stance", "claimer_kind", "claimer_ids")),
]


def folder_gold(folder: Path | BuiltFolder, split: str | None = None) -> dict[str, tuple[str, list[Claim]]]:
    """``{doc id: (text, claims)}`` of the documents config of a built folder (the gold's own claimer mentions)."""
    return {doc_id: (text, claims) for batch in gold_batches(folder, split) for doc_id, text, claims in batch}


def gold_batches(folder: Path | BuiltFolder, split: str | None = None) -> Iterator[list[tuple[str, str, list[Claim]]]]:
    """`folder_gold`'s ``(doc id, text, claims)`` a parquet batch at a time (what the build compiles, in flat
    memory)."""
    inventory = load_inventory()
    stances, kinds = inventory.stance_names, inventory.claimer_kind_names
    for path in BuiltFolder.open(folder).split_files(split):
        for batch in parquet_batches(path, GOLD_COLUMNS):
            entities, entity_row = list_parts(batch.column("entities"), "entities")
            entity_ids = entities.field("id").to_pylist()
            entity_spans = list(
                zip(integers(entities.field("start")).tolist(), integers(entities.field("end")).tolist(), strict=True)
            )
            entity_bounds = np.searchsorted(entity_row, np.arange(len(batch) + 1)).tolist()
            texts, claims = batch.column("text").to_pylist(), batch.column("claims").to_pylist()
            rows = []
            for row, doc_id in enumerate(batch.column("id").to_pylist()):
                named = [claim for claim in claims[row] if claim["claimer_ids"]]
                part = slice(entity_bounds[row], entity_bounds[row + 1])
                spans = dict(zip(entity_ids[part], entity_spans[part], strict=True)) if named else {}
                rows.append(
                    (
                        doc_id,
                        texts[row],
                        [
                            Claim(
                                claim["start"],
                                claim["end"],
                                stances[claim["stance"]],
                                kinds[claim["claimer_kind"]],
                                tuple(sorted(spans[entity_id] for entity_id in claim["claimer_ids"])),
                            )
                            for claim in claims[row]
                        ],
                    )
                )
            yield rows


def newsclaims_files(
    gold: Mapping[str, tuple[str, list[Claim]]],
    segments: Mapping[str, Segments],
    predicted: Mapping[str, list[Claim]],
) -> tuple[dict, dict]:
    """NewsClaims' gold and predictions files of the gold documents (`entries`); ``predicted``: the claims of the
    documents that have a prediction record."""
    gold_file = {doc_id: entries(text, segments[doc_id], claims, True) for doc_id, (text, claims) in gold.items()}
    predictions = {
        doc_id: entries(gold[doc_id][0], segments[doc_id], claims, False) for doc_id, claims in predicted.items()
    }
    return gold_file, predictions


class DocumentSegments:
    """Each document's `Segments` cut from a `toolkit.scoring.compat.TokenIndex` with its sentences (by document
    index): the dataset's segmentation one document at a time, never all of it as Python lists."""

    def __init__(self, index, lengths: np.ndarray):
        from toolkit.scoring.compat import bases

        self.index, self.base = index, bases(lengths)
        base = self.base.astype(index.keys.dtype)
        self.tokens = np.searchsorted(index.keys, base).tolist() + [len(index.keys)]  # each document's first token
        self.sentences = np.searchsorted(index.sentence_keys, base).tolist() + [len(index.sentence_keys)]
        self.heads = np.searchsorted(index.keys, index.sentence_keys)  # each sentence's first token

    def __getitem__(self, d: int) -> Segments:
        first, last = self.tokens[d], self.tokens[d + 1]
        heads = (self.heads[self.sentences[d] : self.sentences[d + 1]] - first).tolist()
        base = int(self.base[d])
        return Segments(
            (self.index.keys[first:last] - base).tolist(),
            (self.index.end_keys[first:last] - base).tolist(),
            [*heads, last - first],
        )


def gold_entries(documents: Iterable[tuple[int, str, list[Claim]]], segments: DocumentSegments) -> Entries:
    """The gold `Entries` of ``(document index, text, claims)`` (`entries` of each; read one at a time), with every
    normalisation of the claimer strings (what the build compiles, `toolkit.scoring.gold.compiler`)."""
    rows = [
        (d, int(segment_id), entry)
        for d, text, claims in documents
        if claims
        for segment_id, entry in entries(text, segments[d], claims, True).items()
    ]
    columns = _columns(sorted(rows, key=lambda row: row[:2]))
    compiled = {
        name: [_normalised(text, normalise) for text in columns.claimers] for name, normalise in NORMALISATIONS.items()
    }
    return replace(columns, compiled=compiled)


def folder_entries(
    folder: Path | BuiltFolder, split: str | None, position: Mapping[str, int], index, lengths
) -> Entries:
    """The gold `Entries` of a built folder's split (documents by ``position``), a parquet batch at a time."""
    documents = (
        (position[doc_id], text, claims)
        for batch in gold_batches(folder, split)
        for doc_id, text, claims in batch
        if doc_id in position
    )
    return gold_entries(documents, DocumentSegments(index, lengths))


class MentionTexts:
    """The text of every gold entity mention (rows of the gold's `toolkit.scoring.spans.EntityColumns`), compiled at
    build time as UTF-8 bytes end to end with each one's byte offset: a predicted claimer whose span is a gold
    mention's takes its string from here, and the texts are read only for a claimer span that is no gold mention's."""

    def __init__(self, entities, lengths: np.ndarray, blob: np.ndarray, offsets: np.ndarray):
        from toolkit.scoring.compat import bases
        from toolkit.scoring.engines import thresholds

        self.blob, self.offsets = blob, offsets
        base = bases(lengths)
        self.bound = int(lengths.sum()) + 1  # a span (start, end) as keys is the key start * bound + end
        start, end = base[entities.doc] + entities.start, base[entities.doc] + entities.end
        self.usable = self.bound * self.bound < thresholds.KEY_LIMIT
        keys = start * self.bound + end if self.usable else np.zeros(0, dtype=np.int64)
        self.order = np.argsort(keys, kind="stable")
        self.keys = keys[self.order]

    def rows(self, spans: np.ndarray) -> list[int]:
        """The gold mention row whose span is each ``(start, end)`` of ``spans`` (as keys), -1 where none is."""
        if not self.usable or not len(self.keys):
            return [-1] * len(spans)
        wanted = spans[:, 0] * self.bound + spans[:, 1]
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        return np.where(self.keys[at] == wanted, self.order[at], -1).tolist()

    def __getitem__(self, row: int) -> str:
        return str(self.blob[int(self.offsets[row]) : int(self.offsets[row + 1])].data, "utf-8")


class _Claimers(Sequence):
    """The claimer strings of predicted entries (`entries`' ``claimer``), each found when asked: only those of the
    segments that have a gold entry with a claimer are.  A span is a gold mention's text (`MentionTexts`, when
    compiled) or cut from ``text()``, every text end to end, which is read only then."""

    def __init__(
        self,
        kind: list[int],
        span: np.ndarray,
        author: int,
        text: Callable[[], str],
        mentions: Callable[[], MentionTexts | None] | None = None,
    ):
        self.kind, self.span, self.author, self.text, self.mentions = kind, span, author, text, mentions
        self._rows: list[int] | None = None
        self._mentions: MentionTexts | None = None

    def __getitem__(self, row):
        kind = self.kind[row]
        if kind == KIND_SPANS:
            if self._rows is None:  # every span looked up at once, on the first one asked
                self._mentions = self.mentions() if self.mentions else None
                self._rows = self._mentions.rows(self.span) if self._mentions else [-1] * len(self.kind)
            if self._rows[row] >= 0:
                return self._mentions[self._rows[row]]
            start, end = self.span[row].tolist()
            return self.text()[start:end]
        return AUTHOR if kind == self.author else UNNAMED

    def __len__(self) -> int:
        return len(self.kind)


def _entry_order(claims) -> np.ndarray:
    """The claims in `entries`' order: by document, start, longest first, then as given (one stable sort of
    composite keys where they fit, else `np.lexsort`)."""
    from toolkit.scoring.engines import thresholds

    bound = int(claims.end.max(initial=0)) + 1
    if (int(claims.doc.max(initial=0)) + 1) * bound * bound < thresholds.KEY_LIMIT:
        return np.argsort((claims.doc * bound + claims.start) * bound + (bound - 1 - claims.end), kind="stable")
    return np.lexsort((np.arange(len(claims)), -claims.end, claims.start, claims.doc))


def predicted_entries(
    claims,
    index,
    lengths: np.ndarray,
    text: Callable[[], str],
    mentions: Callable[[], MentionTexts | None] | None = None,
) -> Entries:
    """The predicted `Entries` of the scorer's claim columns (`toolkit.scoring.spans.ClaimColumns`), as `entries`
    finds them, over the dataset's tokens and sentences (a `toolkit.scoring.compat.TokenIndex`): sorted searches;
    a claimer string is found only when read: a gold mention's text (``mentions()``), else cut from ``text()``
    (every text end to end)."""
    from toolkit.scoring.compat import bases

    author = load_inventory().claimer_kind_names.index("author")
    base = bases(lengths)
    dtype = index.sentence_keys.dtype
    start = (base[claims.doc] + claims.start).astype(dtype)
    first_sentence = np.searchsorted(index.sentence_keys, base.astype(dtype))
    segment = np.searchsorted(index.sentence_keys, start, side="right") - 1 - first_sentence[claims.doc]
    segment = np.maximum(segment, 0)
    order = _entry_order(claims)
    doc, segment = claims.doc[order], segment[order]
    leads = np.ones(len(order), dtype=bool)
    leads[1:] = (doc[1:] != doc[:-1]) | (segment[1:] != segment[:-1])
    rows, doc, segment = order[leads], doc[leads], segment[leads]  # each segment's first claim
    kind = claims.kind[rows]
    spans = np.vstack([claims.claimer_spans, [[0, 0]]])  # a claimer without spans points past them: (0, 0)
    span = spans[claims.claimer_offsets[rows]] + base[doc][:, None]  # a predicted claimer's one span, as keys
    claimers = _Claimers(kind.tolist(), span, author, text, mentions)
    first_token = index.starting_below(base[doc])
    span_first = index.ending_by(start[rows]) - first_token
    span_last = index.starting_below(base[doc] + claims.end[rows]) - 1 - first_token
    empty = span_first > span_last
    return Entries(
        doc,
        segment,
        kind != author,
        claims.stance[rows],
        np.where(empty, -1, span_first),
        np.where(empty, -1, span_last),
        claimers,
    )
