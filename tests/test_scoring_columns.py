"""The vectorised entity and claim scorers give exactly the per-document Python scorers' counts."""

from __future__ import annotations

import random

import numpy as np
import pytest

from toolkit.scoring.claims import score_claims
from toolkit.scoring.columns import ClaimColumns, EntityColumns, score_claim_columns, score_entity_columns
from toolkit.scoring.entities import WIDTH, score_entities

N_LABELS = 4


def random_spans(rng: random.Random, length: int, count: int) -> list[tuple]:
    spans = set()
    for _ in range(count):
        start = rng.randrange(length)
        spans.add((start, min(length, start + rng.randint(1, 8)), rng.randrange(N_LABELS)))
    return sorted(spans)


def random_corpus(rng: random.Random, n_documents: int) -> tuple[list[list[tuple]], list[list[tuple]]]:
    """Dense random spans (nested, sharing a boundary, one over several) and predictions derived from the gold."""
    golds, preds = [], []
    for _ in range(n_documents):
        length = rng.randint(5, 60)
        gold = random_spans(rng, length, rng.randint(0, 8))
        pred = set()
        for start, end, label in gold:
            roll = rng.random()
            if roll < 0.3:
                pred.add((start, end, label))
            elif roll < 0.45:
                pred.add((start, end, (label + 1) % N_LABELS))
            elif roll < 0.7:
                pred.add((max(0, start - rng.randint(0, 2)), end + rng.randint(0, 3), label))
            elif roll < 0.8:
                pred.add((start, end + 4, rng.randrange(N_LABELS)))  # may cover the next gold span too
        pred.update(random_spans(rng, length, rng.randint(0, 3)))
        pred = sorted(pred)
        rng.shuffle(pred)
        golds.append(gold)
        preds.append(pred)
    return golds, preds


def python_counts(golds, preds):
    label_counts = [0] * (N_LABELS * WIDTH)
    rows = [score_entities(g, p, label_counts) for g, p in zip(golds, preds, strict=True)]
    return np.array(rows, dtype=np.int64).reshape(len(golds), WIDTH), np.array(label_counts).reshape(N_LABELS, WIDTH)


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_counts_equal_the_python_scorer(seed):
    rng = random.Random(seed)
    golds, preds = random_corpus(rng, 400)
    documents, labels = score_entity_columns(
        EntityColumns.from_documents(golds), EntityColumns.from_documents(preds), len(golds), N_LABELS
    )
    expected_documents, expected_labels = python_counts(golds, preds)
    assert np.array_equal(documents, expected_documents)
    assert np.array_equal(labels, expected_labels)
    assert (
        documents.sum() > 0 and documents[:, 1].sum() > 0 and documents[:, 3].sum() > 0
    )  # the data had errors and misses


def test_hand_built_groups():
    """Each kind of group: identical, one-to-one with a boundary or label error, one over two, one-sided, nested."""
    gold = [[(0, 5, 0), (10, 14, 1), (20, 24, 0), (26, 30, 0), (40, 45, 2), (60, 70, 1), (62, 66, 3)], [], [(0, 3, 1)]]
    pred = [[(0, 5, 0), (10, 14, 2), (20, 30, 0), (50, 55, 1), (60, 70, 1), (61, 66, 3)], [(1, 2, 0)], []]
    documents, labels = score_entity_columns(
        EntityColumns.from_documents(gold), EntityColumns.from_documents(pred), 3, N_LABELS
    )
    expected_documents, expected_labels = python_counts(gold, pred)
    assert np.array_equal(documents, expected_documents) and np.array_equal(labels, expected_labels)
    assert documents[0, :5].tolist() == [
        2,
        3,
        0,
        2,
        1,
    ]  # strict: (0,5) and (60,70) correct; three incorrect; two missed; one spurious


def test_repeated_spans_and_empty_inputs_fall_back_or_give_zeros():
    gold = [
        [(0, 5, 0), (0, 5, 0)],
        [(2, 4, 1)],
    ]  # a repeated span (never in validated data): the per-document scorer counts it
    pred = [[(0, 5, 0)], []]
    documents, labels = score_entity_columns(
        EntityColumns.from_documents(gold), EntityColumns.from_documents(pred), 2, N_LABELS
    )
    expected_documents, expected_labels = python_counts(gold, pred)
    assert np.array_equal(documents, expected_documents) and np.array_equal(labels, expected_labels)
    empty = EntityColumns.from_documents([[], []])
    documents, labels = score_entity_columns(empty, empty, 2, N_LABELS)
    assert documents.shape == (2, WIDTH) and not documents.any() and not labels.any()


def random_claims(rng: random.Random, n_documents: int) -> tuple[list[list[tuple]], list[list[tuple]]]:
    """Long overlapping claims (several per document, shared boundaries), claimers as kinds or spans."""
    golds, preds = [], []
    for _ in range(n_documents):
        gold = []
        for _ in range(rng.randint(0, 4)):
            start = rng.randrange(0, 40)
            claimer = rng.choice(["author", "unnamed", ((0, 5),), ((0, 5), (30, 34))])
            gold.append((start, start + rng.randint(3, 25), rng.randrange(3), claimer))
        pred = []
        for start, end, stance, _ in gold:
            if rng.random() < 0.8:
                pred.append(
                    (
                        start + rng.randint(-3, 3) if start > 3 else start,
                        end + rng.randint(-3, 6),
                        rng.choice([stance, rng.randrange(3)]),
                        rng.choice(["author", "unnamed", (1, 3), (31, 33), (20, 22)]),
                    )
                )
        for _ in range(rng.randint(0, 2)):
            start = rng.randrange(0, 40)
            pred.append((start, start + rng.randint(3, 25), rng.randrange(3), "author"))
        rng.shuffle(pred)
        golds.append(gold)
        preds.append(pred)
    return golds, preds


@pytest.mark.parametrize("threshold", [0.5, 0.3, 0.9, 1.0])
def test_vectorised_claims_equal_the_python_scorer(threshold):
    rng = random.Random(int(threshold * 10))
    golds, preds = random_claims(rng, 500)
    vectorised = score_claim_columns(
        ClaimColumns.from_documents(golds),
        ClaimColumns.from_documents(preds, single_span=True),
        len(golds),
        threshold,
        3,
    )
    expected = np.array([score_claims(g, p, threshold, 3) for g, p in zip(golds, preds, strict=True)], dtype=np.int64)
    assert np.array_equal(vectorised, expected)
    assert (
        expected[:, 1].sum() > 0 and expected[:, 0].sum() > 0 and expected[:, 5].sum() > 0
    )  # overlap, strict and end-to-end matches occurred
