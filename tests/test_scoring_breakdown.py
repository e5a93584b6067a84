"""``breakdown``: claim figures by claimer kind, claimer position and claim form, counted by hand on one document,
the same under both engines and from a built folder."""

from __future__ import annotations

import random

import numpy as np
import pytest
from scoring_data import at, claim, entity, write_corpus, write_predictions

from toolkit.scoring.breakdown import SENTENCE_END, _quoted, claim_values, predicted_claim_values, text_marks
from toolkit.scoring.scorer import Scorer
from toolkit.scoring.spans import KIND_SPANS, ClaimColumns

TEXT = (
    "«La Russia vincerà», ha detto Putin. Il Governo nega che i prezzi salgano.\n"
    "Biden è arrivato a Roma. Secondo lui l’economia cresce."
)


def _span(fragment: str) -> dict:
    start, end = at(TEXT, fragment)
    return {"start": start, "end": end}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("breakdown")
    entities = [
        entity(TEXT, "e1", "Putin", "PER"),
        entity(TEXT, "e2", "Governo", "ORG"),
        entity(TEXT, "e3", "Biden", "PER"),
        entity(TEXT, "e4", "Roma", "GPE"),
    ]
    claims = [
        claim(TEXT, "c1", "La Russia vincerà", "SUPPORT", "entity", ["e1"]),  # quoted, claimer in its sentence
        claim(TEXT, "c2", "i prezzi salgano", "REFUTE", "entity", ["e2"]),  # reported, claimer in its sentence
        claim(TEXT, "c3", "l’economia cresce", "SUPPORT", "entity", ["e3"]),  # reported, claimer elsewhere
        claim(TEXT, "c4", "Biden è arrivato a Roma", "SUPPORT"),  # the author's
    ]
    documents, gold = write_corpus(folder, {"d1": (TEXT, entities, claims)})
    predictions = write_predictions(
        folder / "predictions.jsonl",
        [
            {
                "id": "d1",
                "entities": [],
                "claims": [
                    {**_span("La Russia vincerà"), "stance": "SUPPORT", "claimer": _span("Putin")},  # all right
                    {**_span("i prezzi salgano"), "stance": "REFUTE", "claimer": "AUTHOR"},  # wrong claimer
                    {**_span("l’economia cresce"), "stance": "REFUTE", "claimer": _span("Biden")},  # wrong stance
                    {**_span("è arrivato"), "stance": "NEUTRAL", "claimer": "UNNAMED"},  # spurious
                ],
            }
        ],
    )
    return folder, documents, gold, predictions


def _value(gold, predicted, matched, correct, tp) -> dict:
    def ratio(a, b):
        return a / b if b else None

    return {
        "gold": gold,
        "predicted": predicted,
        "matched": matched,
        "claimer_correct": correct,
        "claimer_accuracy": ratio(correct, matched),
        "end_to_end": {
            "true_positives": tp,
            "precision": ratio(tp, predicted),
            "recall": ratio(tp, gold),
            "f1": ratio(2 * tp, gold + predicted),
        },
    }


EXPECTED = {
    "claimer_kind": {
        "entity": _value(3, 2, 3, 2, 1),
        "author": _value(1, 1, 0, 0, 0),
        "unnamed": _value(0, 1, 0, 0, 0),
    },
    "claimer_position": {"in_sentence": _value(2, 1, 2, 1, 1), "elsewhere": _value(1, 1, 1, 1, 0)},
    "claim_form": {"quoted": _value(1, 1, 1, 1, 1), "reported": _value(3, 3, 2, 1, 0)},
}


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_breakdown_counted_by_hand(corpus, engine):
    folder, documents, gold, predictions = corpus
    result = Scorer(gold, documents, engine=engine).score(predictions).result().to_dict()
    assert result["breakdown"] == EXPECTED
    kinds = result["breakdown"]["claimer_kind"]
    assert (
        sum(value["end_to_end"]["true_positives"] for value in kinds.values()) == result["end_to_end"]["true_positives"]
    )
    assert sum(value["claimer_correct"] for value in kinds.values()) == result["claimer"]["correct"]


def test_breakdown_off(corpus):
    folder, documents, gold, predictions = corpus
    result = Scorer(gold, documents, breakdown=False).score(predictions).result().to_dict()
    assert result["breakdown"] is None and result["claimer"]["correct"] == 2


@pytest.mark.parametrize(
    ("text", "position", "quoted"),
    [
        ("«Sì», disse.", 1, True),
        ("Disse: «sì e no».", 9, True),  # inside a quotation opened before the claim
        ("«Sì». Poi disse no.", 10, False),  # the quotation was closed
        ('Disse "sì".', 7, True),  # straight quotes: an odd number before the claim
        ('Disse "sì" e poi no.', 13, False),
        ("«Sì.\nPoi no.", 5, False),  # a quotation does not cross a line break
        ("secondo Kcna: ”Grazie”.", 15, True),  # a closing mark after a colon opens a quotation (the seed's)
        ("secondo Kcna: ”Grazie”.", 14, True),  # the claim may begin with that mark
        ("Finì.” La crisi resta.", 7, False),  # a closing mark after a word closes
        ("Finì ” la crisi.", 7, False),  # a closing mark followed by a space opens nothing
    ],
)
def test_quoted(text, position, quoted):
    assert _quoted(text, position) is quoted


def test_sentence_ends():
    text = "«È falso.» ha detto. Poi Rossi è partito! «Sì», disse.\nFine"
    assert [text[m.start() : m.end()] for m in SENTENCE_END.finditer(text)] == [".", "!", ".", "\n"]


def test_compiled_marks_give_the_values_of_the_rules_on_the_texts():
    """`predicted_claim_values` (compiled `Marks`, texts read only for claims near a mark) equals `claim_values` on
    random texts full of quotation marks, sentence ends, line breaks and white space; without marks it reads no
    text."""
    rng = random.Random(3)
    pieces = [
        "a",
        "b",
        "C",
        "à",
        " ",
        "  ",
        "\n",
        ".",
        "!",
        "?",
        "…",
        "«",
        "»",
        "“",
        "”",
        '"',
        "'",
        ")",
        ":",
        "\t",
        "É",
    ]
    for trial in range(300):
        texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 60))) for _ in range(rng.randint(1, 6))]
        rows = []
        for d, text in enumerate(texts):
            for _ in range(rng.randint(0, 6)):
                start = rng.randrange(len(text))
                kind = rng.choice([KIND_SPANS, KIND_SPANS, 1, 2])
                spans = []
                for _ in range(rng.randint(trial % 2, 3) if kind == KIND_SPANS else 0):
                    first = rng.randrange(len(text))
                    spans.append((first, rng.randint(first + 1, len(text))))
                rows.append((d, start, rng.randint(start + 1, len(text)), 0, kind, spans))
        claims = ClaimColumns.from_rows(*([row[k] for row in rows] for k in range(5)), [row[5] for row in rows])
        lengths = np.array([len(text) for text in texts], dtype=np.int64)
        expected = claim_values(claims, texts)
        found = predicted_claim_values(claims, text_marks(texts, lengths), lengths, lambda texts=texts: texts)
        assert {k: v.tolist() for k, v in found.items()} == {k: v.tolist() for k, v in expected.items()}, trial
    plain = ["parole senza segni " * 3] * 2
    claims = ClaimColumns.from_rows([0, 1], [0, 7], [5, 20], [0, 0], [KIND_SPANS, 1], [[(30, 35)], []])
    lengths = np.array([len(text) for text in plain], dtype=np.int64)
    found = predicted_claim_values(claims, text_marks(plain, lengths), lengths, lambda: pytest.fail("texts read"))
    assert found["claim_form"].tolist() == [1, 1] and found["claimer_position"].tolist() == [0, -1]
