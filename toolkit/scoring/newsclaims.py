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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.built import BuiltFolder
from toolkit.files import parquet_batches
from toolkit.inventory import load_inventory
from toolkit.scoring.gold.parquet import integers, list_parts

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


def _english(text: str) -> str:
    """NewsClaims' (SQuAD's) normalisation: lower case, no punctuation, no a/an/the, single spaces."""
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text.lower().translate(ENGLISH_PUNCTUATION)).split())


def _italian(text: str) -> str:
    """The Italian variant: elided articles (l', un') first, then punctuation, then il/lo/la/i/gli/le/un/uno/una."""
    text = re.sub(r"\b(l|un)['’]", " ", text.lower()).translate(ITALIAN_PUNCTUATION)
    return " ".join(re.sub(r"\b(il|lo|la|i|gli|le|un|uno|una)\b", " ", text).split())


NORMALISATIONS: dict[str, Callable[[str], str]] = {"english": _english, "italian": _italian}
DEFAULT_NORMALISATION = "english"


def answer_f1(prediction: str, truth: str, normalise: Callable[[str], str]) -> float:
    """SQuAD's token F1 of two normalised strings."""
    predicted, true = normalise(prediction).split(), normalise(truth).split()
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


def _detection(gold: Mapping, predictions: Mapping) -> dict[str, Any]:
    tp = predicted = true = 0
    for doc_id, segments in gold.items():
        if doc_id in predictions:
            tp += len(set(segments) & set(predictions[doc_id]))
            predicted += len(predictions[doc_id])
        true += len(segments)
    precision, recall = _ratio(tp, predicted), _ratio(tp, true)
    return {
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "gold": true,
        "predicted": predicted,
    }


def _claimer(pairs: list[tuple[dict, dict]], normalise) -> dict[str, Any]:
    answer, in_sentence, out_of_sentence = [], [], []
    no_tp = no_predicted = no_true = 0
    for truth, predicted in pairs:
        if predicted["has_claimer"] is False:
            no_predicted += 1
        claimer = AUTHOR if predicted["has_claimer"] is False else predicted["claimer"]
        if truth["has_claimer"]:
            f1 = answer_f1(claimer, truth["claimer"], normalise)
            (in_sentence if truth["claimer_in_sentence"] else out_of_sentence).append(f1)
            answer.append(f1)
        else:
            no_tp += predicted["has_claimer"] is False
            no_true += 1
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


def _stance(pairs: list[tuple[dict, dict]]) -> dict[str, Any]:
    """Accuracy and scikit-learn's classification report (labels of gold or predictions, 0 for 0/0)."""
    true = [truth["stance"] for truth, _ in pairs]
    predicted = [prediction["stance"] for _, prediction in pairs]
    per_label = {}
    for label in sorted(set(true) | set(predicted)):
        tp = sum(t == p == label for t, p in zip(true, predicted, strict=True))
        precision, recall = _ratio(tp, predicted.count(label)), _ratio(tp, true.count(label))
        per_label[label] = {
            "precision": precision,
            "recall": recall,
            "f1": _f1(precision, recall),
            "support": true.count(label),
        }
    correct = sum(t == p for t, p in zip(true, predicted, strict=True))
    return {"accuracy": _ratio(correct, len(true)), "per_label": per_label, "segments": len(true)}


def _span(pairs: list[tuple[dict, dict]]) -> dict[str, Any]:
    precisions, recalls = [], []
    for truth, predicted in pairs:
        (gold_start, gold_end), (start, end) = truth["claim_span"], predicted["claim_span"]
        tp = max((gold_end if end >= gold_end else end) - max(start, gold_start) + 1, 0)
        precisions.append(tp / (end - start + 1))
        recalls.append(tp / (gold_end - gold_start + 1))
    precision, recall = _mean(precisions), _mean(recalls)
    return {
        "precision": precision,
        "recall": recall,
        "f1": None if precision is None else _f1(precision, recall),
        "segments": len(precisions),
    }


def figures(gold: Mapping, predictions: Mapping, normalisation: str = DEFAULT_NORMALISATION) -> dict[str, Any]:
    """``compat.newsclaims`` from NewsClaims-format gold and predictions (`answers` fills the missed segments)."""
    filled = answers(gold, predictions)
    pairs = [
        (truth, filled[doc_id][segment_id])
        for doc_id, segments in gold.items()
        for segment_id, truth in segments.items()
    ]
    return {
        "normalisation": normalisation,
        "segments": "sentences of the ner config (a claim's segment is the sentence of its start)",
        "claim_detection": _detection(gold, predictions),
        "claimer": _claimer(pairs, NORMALISATIONS[normalisation]),
        "stance": _stance(pairs),
        "claim_span": _span(pairs),
    }


GOLD_COLUMNS = [
    "id",
    "text",
    *(f"entities.list.element.{name}" for name in ("id", "start", "end")),
    *(f"claims.list.element.{name}" for name in ("start", "end", "stance", "claimer_kind", "claimer_ids")),
]


def folder_gold(folder: Path | BuiltFolder, split: str | None = None) -> dict[str, tuple[str, list[Claim]]]:
    """``{doc id: (text, claims)}`` of the documents config of a built folder (the gold's own claimer mentions)."""
    inventory = load_inventory()
    stances, kinds = inventory.stance_names, inventory.claimer_kind_names
    gold = {}
    for path in BuiltFolder.open(folder).split_files(split):
        for batch in parquet_batches(path, GOLD_COLUMNS):
            entities, entity_row = list_parts(batch.column("entities"), "entities")
            entity_ids = entities.field("id").to_pylist()
            entity_spans = list(
                zip(integers(entities.field("start")).tolist(), integers(entities.field("end")).tolist(), strict=True)
            )
            entity_bounds = np.searchsorted(entity_row, np.arange(len(batch) + 1)).tolist()
            texts, claims = batch.column("text").to_pylist(), batch.column("claims").to_pylist()
            for row, doc_id in enumerate(batch.column("id").to_pylist()):
                named = [claim for claim in claims[row] if claim["claimer_ids"]]
                part = slice(entity_bounds[row], entity_bounds[row + 1])
                spans = dict(zip(entity_ids[part], entity_spans[part], strict=True)) if named else {}
                gold[doc_id] = (
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
    return gold


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


def column_claims(claims, ids: Sequence[str], present: set[int]) -> dict[str, list[Claim]]:
    """The predicted claims of the scorer's columns (`toolkit.scoring.spans.ClaimColumns`), by document id, for the
    documents that have a prediction record."""
    stances = load_inventory().stance_names
    per_document = claims.per_document(len(ids))
    result = {}
    for index in sorted(present):
        result[ids[index]] = [
            Claim(start, end, stances[stance], claimer)
            if isinstance(claimer, str)
            else Claim(start, end, stances[stance], "entity", (tuple(claimer),))
            for start, end, stance, claimer in per_document[index]
        ]
    return result
