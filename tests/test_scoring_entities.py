"""Entity scoring: hand-computed pitfalls, and cross-checks against nervaluate and seqeval."""

from __future__ import annotations

import random

import pytest

from toolkit.scoring import figures
from toolkit.scoring.engines.reference import score_entities
from toolkit.scoring.statistics import ENTITY_COLUMNS, SCHEMES
from toolkit.scoring.statistics import ENTITY_WIDTH as WIDTH

PER, ORG, GPE = 0, 1, 2
NAMES = ["PER", "ORG", "GPE"]


def entity_figures(totals, label_counts, names):
    """`figures.entity_figures` of flat lists: the document totals and the labels' counts end to end."""
    rows = [label_counts[index * WIDTH : (index + 1) * WIDTH] for index in range(len(names))]
    return figures.entity_figures(dict(zip(ENTITY_COLUMNS, totals, strict=True)), rows, names)


def counts(gold, pred):
    """``{scheme: (cor, inc, par, mis, spu)}`` plus the per-label flat list."""
    labels = [0] * (WIDTH * len(NAMES))
    flat = score_entities(gold, pred, labels)
    return {scheme: tuple(flat[i * 5 : (i + 1) * 5]) for i, scheme in enumerate(SCHEMES)}, labels


def test_exact_match_is_correct_in_every_scheme():
    result, _ = counts([(0, 5, PER)], [(0, 5, PER)])
    assert all(result[scheme] == (1, 0, 0, 0, 0) for scheme in SCHEMES)


def test_label_confusion_on_same_span():
    result, labels = counts([(0, 5, PER)], [(0, 5, ORG)])
    assert result == {
        "strict": (0, 1, 0, 0, 0),
        "exact": (1, 0, 0, 0, 0),
        "partial": (1, 0, 0, 0, 0),
        "ent_type": (0, 1, 0, 0, 0),
    }
    # counted under the gold label only
    assert labels[PER * WIDTH : PER * WIDTH + 5] == [0, 1, 0, 0, 0]
    assert not any(labels[ORG * WIDTH : (ORG + 1) * WIDTH])


def test_boundary_error_same_label():
    result, _ = counts([(0, 10, PER)], [(2, 10, PER)])
    assert result == {
        "strict": (0, 1, 0, 0, 0),
        "exact": (0, 1, 0, 0, 0),
        "partial": (0, 0, 1, 0, 0),
        "ent_type": (1, 0, 0, 0, 0),
    }


def test_adjacent_spans_do_not_overlap():
    """[0,5) and [5,9) touch but share no character (the inclusive/exclusive off-by-one)."""
    result, _ = counts([(0, 5, PER)], [(5, 9, PER)])
    assert all(result[scheme] == (0, 0, 0, 1, 1) for scheme in SCHEMES)


def test_prediction_covering_two_gold_spans_is_paired_once():
    result, _ = counts([(0, 5, GPE), (8, 12, GPE)], [(0, 12, GPE)])
    assert result["strict"] == (0, 1, 0, 1, 0)
    assert result["partial"] == (0, 0, 1, 1, 0)
    assert result["ent_type"] == (1, 0, 0, 1, 0)


def test_nested_gold_spans():
    """Gold: ``Università di Roma`` (ORG) containing ``Roma`` (GPE); both predicted exactly."""
    gold = [(0, 18, ORG), (14, 18, GPE)]
    result, _ = counts(gold, list(reversed(gold)))
    assert all(result[scheme] == (2, 0, 0, 0, 0) for scheme in SCHEMES)


def test_optimal_pairing_does_not_depend_on_order():
    """nervaluate's issue #40: a greedy matcher pairs the first prediction with gold A and loses B."""
    gold = [(0, 10, PER), (8, 20, ORG)]
    pred = [(5, 12, ORG), (0, 10, PER)]
    first, _ = counts(gold, pred)
    second, _ = counts(gold, list(reversed(pred)))
    assert first == second
    assert first["strict"] == (1, 1, 0, 0, 0)
    assert first["ent_type"] == (2, 0, 0, 0, 0)


def test_the_pairing_maximises_each_schemes_credit():
    """Issue 17's minimal case: gold PER[0,19), PER[16,19); predictions PER[0,3), PER[0,19).

    Pairing the identical spans first left ``ent_type`` at correct 1, missed 1, spurious 1 (F1 0.5); pairing
    PER[0,3)↔PER[0,19) and PER[0,19)↔PER[16,19) gets both right.  Where credit ties (strict, exact, partial), the
    identical pair is kept.
    """
    gold = [(0, 19, PER), (16, 19, PER)]
    pred = [(0, 3, PER), (0, 19, PER)]
    for order in (pred, pred[::-1]):
        result, labels = counts(gold, order)
        assert result["ent_type"] == (2, 0, 0, 0, 0)
        assert result["strict"] == result["exact"] == result["partial"] == (1, 0, 0, 1, 1)
        assert labels[PER * WIDTH + 15 : PER * WIDTH + 20] == [2, 0, 0, 0, 0]
    labels = [0] * (WIDTH * len(NAMES))
    figures = entity_figures(score_entities(gold, pred, labels), labels, NAMES)
    assert figures["ent_type"]["f1"] == 1.0 and figures["strict"]["f1"] == 0.5


def best_credit(gold, pred, credit) -> tuple[float, int]:
    """The largest summed credit of any one-to-one pairing, and the most identical pairs at that credit."""
    best = (0.0, 0)

    def extend(row, used, total, identical):
        nonlocal best
        if row == len(gold):
            best = max(best, (total, identical))
            return
        extend(row + 1, used, total, identical)
        for column, p in enumerate(pred):
            value = credit(gold[row], p)
            if column not in used and value is not None:
                extend(row + 1, used | {column}, total + value, identical + (gold[row] == p))

    extend(0, frozenset(), 0.0, 0)
    return best


def dense_spans(rng: random.Random, length: int, count: int) -> list[tuple]:
    return sorted(
        {(s, min(length, s + rng.randint(1, 6)), rng.randrange(2)) for s in rng.choices(range(length), k=count)}
    )


def test_every_scheme_reaches_the_best_credit_of_any_pairing():
    """Brute force over every one-to-one pairing of small dense groups (the definition in docs/scoring.md)."""
    from toolkit.scoring.engines.reference import CREDIT

    rng = random.Random(8)
    improved = 0
    for _ in range(1500):
        length = rng.randint(4, 12)
        gold = dense_spans(rng, length, rng.randint(1, 4))
        pred = sorted(set(dense_spans(rng, length, rng.randint(1, 4))) | set(rng.sample(gold, 1)))
        result, _ = counts(gold, pred)
        for scheme in SCHEMES:
            correct, _, partial, _, _ = result[scheme]
            credit = correct + 0.5 * partial
            assert credit == best_credit(gold, pred, CREDIT[scheme])[0], (scheme, gold, pred)
        identical = [g for g in gold if g in pred]
        rest = [g for g in gold if g not in identical], [p for p in pred if p not in identical]
        improved += result["ent_type"][0] > len(identical) + best_credit(*rest, CREDIT["ent_type"])[0]
    assert improved  # the data had groups where pairing identical spans first loses ent_type credit


def test_ties_are_broken_deterministically_and_by_iou():
    gold = [(0, 10, PER)]
    pred = [(0, 9, PER), (1, 10, ORG), (0, 3, PER)]
    results = {tuple(sorted(counts(gold, order)[0].items())) for order in (pred, pred[::-1], pred[1:] + pred[:1])}
    assert len(results) == 1
    result = dict(results.pop())
    assert result["strict"] == (0, 1, 0, 0, 2)
    assert result["ent_type"] == (1, 0, 0, 0, 2)


def test_duplicate_predictions_count_once_then_spurious():
    result, _ = counts([(0, 5, PER)], [(0, 5, PER), (0, 5, PER)])
    assert result["strict"] == (1, 0, 0, 0, 1)


def test_empty_gold_and_empty_predictions():
    assert counts([], [])[0]["strict"] == (0, 0, 0, 0, 0)
    assert counts([(0, 5, PER)], [])[0]["strict"] == (0, 0, 0, 1, 0)
    assert counts([], [(0, 5, PER)])[0]["strict"] == (0, 0, 0, 0, 1)
    figures = entity_figures([0] * WIDTH, [0] * (WIDTH * 3), NAMES)
    assert (
        figures["strict"]["precision"] is None
        and figures["strict"]["recall"] is None
        and figures["strict"]["f1"] is None
    )
    only_predictions = entity_figures([0, 0, 0, 0, 3] * 4, [0] * (WIDTH * 3), NAMES)
    assert (
        only_predictions["strict"]["precision"] == 0.0
        and only_predictions["strict"]["recall"] is None
        and only_predictions["strict"]["f1"] == 0.0
    )


def test_figures_from_counts():
    figures = entity_figures([2, 1, 0, 1, 1] + [0, 0, 2, 1, 1] * 3, [0] * (WIDTH * 3), NAMES)
    assert figures["strict"]["precision"] == pytest.approx(2 / 4) and figures["strict"]["recall"] == pytest.approx(
        2 / 4
    )
    assert figures["partial"]["precision"] == pytest.approx(1 / 3) and figures["partial"]["recall"] == pytest.approx(
        1 / 3
    )


def random_document(rng: random.Random, flat: bool):
    """Gold spans and predictions with boundary, label, missing and spurious errors."""
    gold, pred, position = [], [], 0
    for _ in range(rng.randint(0, 8)):
        position += rng.randint(2, 6)
        start, end = position, position + rng.randint(1, 6)
        position = end
        label = rng.randrange(3)
        gold.append((start, end, label))
        roll = rng.random()
        if roll < 0.15:
            continue
        if roll < 0.35:
            label = (label + 1) % 3
        elif roll < 0.55 and end - start > 1:
            start += 1 if rng.random() < 0.5 else 0
            end -= 1 if start == gold[-1][0] else 0
        pred.append((start, end, label))
    for _ in range(rng.randint(0, 2)):
        start = position + rng.randint(2, 6)
        position = start + rng.randint(1, 4)
        pred.append((start, position, rng.randrange(3)))
    if not flat and gold and rng.random() < 0.5:
        start, end, label = rng.choice(gold)
        pred.append((max(0, start - 2), end + 2, rng.randrange(3)))  # overlaps two gold spans at times
    rng.shuffle(pred)
    return gold, pred


def unambiguous(gold, pred) -> bool:
    """Every span overlaps at most one span of the other side: greedy and optimal matching agree."""

    def overlaps(a, b):
        return a[0] < b[1] and b[0] < a[1]

    return all(sum(overlaps(g, p) for p in pred) <= 1 for g in gold) and all(
        sum(overlaps(g, p) for g in gold) <= 1 for p in pred
    )


def test_counts_equal_nervaluate_where_its_greedy_matching_is_unambiguous():
    from nervaluate import Evaluator

    rng = random.Random(3)
    documents = [random_document(rng, flat=rng.random() < 0.5) for _ in range(400)]
    documents = [(g, p) for g, p in documents if unambiguous(g, p)]
    assert len(documents) > 250
    label_totals = [0] * (WIDTH * 3)
    totals = [0] * WIDTH
    for gold, pred in documents:
        totals = [a + b for a, b in zip(totals, score_entities(gold, pred, label_totals), strict=True)]
    ours = entity_figures(totals, label_totals, NAMES)
    # nervaluate's ends are inclusive
    true = [[{"label": NAMES[label], "start": s, "end": e - 1} for s, e, label in gold] for gold, _ in documents]
    predicted = [[{"label": NAMES[label], "start": s, "end": e - 1} for s, e, label in pred] for _, pred in documents]
    theirs = Evaluator(true, predicted, tags=NAMES, loader="dict").evaluate()["overall"]
    for scheme in SCHEMES:
        for name in ("correct", "incorrect", "partial", "missed", "spurious", "possible", "actual"):
            assert ours[scheme][name] == getattr(theirs[scheme], name), (scheme, name)
        for name in ("precision", "recall", "f1"):
            assert ours[scheme][name] == pytest.approx(getattr(theirs[scheme], name)), (scheme, name)


def test_strict_f1_equals_seqeval_strict_iob2_on_flat_spans():
    from seqeval.metrics import f1_score
    from seqeval.scheme import IOB2

    rng = random.Random(5)
    y_true, y_pred = [], []
    totals, label_totals = [0] * WIDTH, [0] * (WIDTH * 3)
    for _ in range(300):
        gold, pred = random_document(rng, flat=True)
        if not unambiguous(gold, pred):
            continue
        # one character = one token, so spans are token spans
        length = max([e for _, e, _ in gold + pred], default=0) + 1
        tags = []
        for spans in (gold, pred):
            sequence = ["O"] * length
            for start, end, label in spans:
                sequence[start:end] = [f"B-{NAMES[label]}"] + [f"I-{NAMES[label]}"] * (end - start - 1)
            tags.append(sequence)
        y_true.append(tags[0])
        y_pred.append(tags[1])
        totals = [a + b for a, b in zip(totals, score_entities(gold, pred, label_totals), strict=True)]
    ours = entity_figures(totals, label_totals, NAMES)["strict"]["f1"]
    assert ours == pytest.approx(f1_score(y_true, y_pred, mode="strict", scheme=IOB2))


def test_per_label_counts_add_up_to_overall_counts():
    rng = random.Random(11)
    totals, label_totals = [0] * WIDTH, [0] * (WIDTH * 3)
    for _ in range(300):
        gold, pred = random_document(rng, flat=False)
        totals = [a + b for a, b in zip(totals, score_entities(gold, pred, label_totals), strict=True)]
    summed = [sum(label_totals[label * WIDTH + i] for label in range(3)) for i in range(WIDTH)]
    assert summed == totals
    assert totals[3] > 0 and totals[1] > 0  # the data did contain errors
