"""Agreement figures against values computed by hand, the undefined cases, and a cross-check against scikit-learn
and krippendorff."""

from __future__ import annotations

import itertools
import random

import krippendorff
import numpy as np
import pytest
from agreement_data import claim, entity, record
from sklearn.metrics import cohen_kappa_score

from toolkit.agreement.figures import compute_agreement, headline
from toolkit.documents import make_document


def alice_and_bob() -> list[dict]:
    """Entities: 1 strict match of 3+3 (PER 1 of 2+2, GPE 0 of 1+0, LOC 0 of 0+1).
    Claims: 1 strict, 2 overlap matches of 2+2."""
    alice = record(
        "d1",
        "alice",
        [entity("Mario Rossi", "PER", "e1"), entity("Russia", "GPE", "e2"), entity("Anna Bianchi", "PER", "e3")],
        [
            claim("la Russia è grande", "SUPPORT", "entity", ["e1"], "c1"),
            claim("Roma sia piccola", "REFUTE", "entity", ["e3"], "c2"),
        ],
    )
    bob = record(
        "d1",
        "bob",
        [entity("Mario Rossi", "PER", "x1"), entity("Russia", "LOC", "x2"), entity("Putin", "PER", "x3")],
        [
            claim("la Russia è grande", "SUPPORT", "entity", ["x1"], "k1"),
            claim("che Roma sia piccola", "NEUTRAL", "author", [], "k2"),
        ],
    )
    return [alice, bob]


def test_pairwise_f1_by_hand():
    result = compute_agreement(alice_and_bob())
    assert result["comparable"] is True
    assert result["entities"]["strict"]["mean_pairwise_f1"] == pytest.approx(2 * 1 / 6)
    assert result["entities"]["overlap"]["mean_pairwise_f1"] == pytest.approx(
        2 * 1 / 6
    )  # Russia GPE vs LOC: labels differ
    per_label = result["entities"]["strict"]["per_label"]
    assert per_label["PER"]["mean_pairwise_f1"] == pytest.approx(0.5)
    assert per_label["GPE"]["mean_pairwise_f1"] == 0.0
    assert per_label["LOC"]["mean_pairwise_f1"] == 0.0
    assert per_label["ORG"]["mean_pairwise_f1"] is None
    assert "ORG" in per_label["ORG"]["null_reasons"]["mean_pairwise_f1"]
    assert result["claims"]["strict"]["mean_pairwise_f1"] == pytest.approx(0.5)
    assert result["claims"]["overlap"]["mean_pairwise_f1"] == pytest.approx(1.0)  # IoU 16/20 = 0.8
    pair = result["pairs"][0]
    assert pair["annotators"] == ["alice", "bob"]
    assert pair["documents"] == 1
    assert pair["entities"]["strict"]["matched"] == 1
    assert pair["entities"]["strict"]["items"] == {"alice": 3, "bob": 3}
    assert result["counts"]["documents_per_annotator"] == {"alice": 1, "bob": 1}
    assert result["counts"]["documents_with_2_or_more_annotators"] == 1
    assert result["counts"]["items_on_shared_documents"] == {"entities": 6, "claims": 4}


def test_stance_and_claimer_by_hand():
    """Stance pairs (S,S), (R,N): p_o = 1/2, p_e = 1/4 → kappa 1/3.
    Alpha: n = 4, D_o = 2/4, D_e = (16 − 6)/12 → 1 − 0.6 = 0.4."""
    result = compute_agreement(alice_and_bob())
    stance = result["stance"]
    assert stance["items"] == 2
    assert stance["percent_agreement"] == pytest.approx(0.5)
    assert stance["mean_pairwise_cohen_kappa"] == pytest.approx(1 / 3)
    assert stance["krippendorff_alpha"] == pytest.approx(0.4)
    assert result["pairs"][0]["stance"]["cohen_kappa"] == pytest.approx(1 / 3)
    # claimer: ("entity: mario rossi" twice) and ("entity: anna bianchi", "author"): the same shape of figures
    claimer = result["claimer"]
    assert claimer["percent_agreement"] == pytest.approx(0.5)
    assert claimer["krippendorff_alpha"] == pytest.approx(0.4)


def test_f1_is_symmetric_and_independent_of_order():
    alice, bob = alice_and_bob()
    swapped = [dict(bob, annotator="alice"), dict(alice, annotator="bob")]
    reordered = [dict(alice, entities=alice["entities"][::-1], claims=alice["claims"][::-1]), bob]
    base = compute_agreement([alice, bob])
    for other in (compute_agreement(swapped), compute_agreement(reordered), compute_agreement([bob, alice])):
        for layer, scheme in itertools.product(("entities", "claims"), ("strict", "overlap")):
            assert other[layer][scheme]["mean_pairwise_f1"] == pytest.approx(base[layer][scheme]["mean_pairwise_f1"])
        assert other["stance"]["krippendorff_alpha"] == pytest.approx(base["stance"]["krippendorff_alpha"])


def test_overlap_matching_is_one_to_one_and_end_exclusive():
    # alice marks "Mario Rossi" as one PER; bob marks "Mario" and "Rossi": one overlap match only → F1 = 2·1/(1+2)
    mario, rossi = (
        {"id": "x1", "start": 0, "end": 5, "label": "PER", "text": "Mario"},
        {"id": "x2", "start": 6, "end": 11, "label": "PER", "text": "Rossi"},
    )
    alice = record("d1", "alice", [entity("Mario Rossi", "PER", "e1")], [])
    bob = record("d1", "bob", [mario, rossi], [])
    result = compute_agreement([alice, bob])
    assert result["entities"]["overlap"]["mean_pairwise_f1"] == pytest.approx(2 / 3)
    assert result["entities"]["strict"]["mean_pairwise_f1"] == 0.0
    # [0,5) and [5,11) touch but do not overlap
    touching = record("d1", "carol", [{"id": "y1", "start": 5, "end": 11, "label": "PER", "text": " Rossi"}], [])
    assert (
        compute_agreement([record("d1", "alice", [mario], []), touching])["entities"]["overlap"]["mean_pairwise_f1"]
        == 0.0
    )


def test_claim_overlap_needs_iou_of_one_half():
    # "la Russia è grande" (18 chars) against "Russia è grande" (15): IoU 15/18 ≥ 0.5; against "grande" (6): 6/18 < 0.5
    alice = record("d1", "alice", [], [claim("la Russia è grande", "SUPPORT")])
    for needle, expected in (("Russia è grande", 1.0), ("grande", 0.0)):
        bob = record("d1", "bob", [], [claim(needle, "SUPPORT", claim_id="k1")])
        assert compute_agreement([alice, bob])["claims"]["overlap"]["mean_pairwise_f1"] == pytest.approx(expected)


def test_one_annotator_is_a_clean_null():
    result = compute_agreement([alice_and_bob()[0]])
    assert result["comparable"] is False
    assert result["pairs"] == []
    assert "no document was annotated by two or more annotators" in result["note"]
    for figures, key in (
        (result["entities"]["strict"], "mean_pairwise_f1"),
        (result["claims"]["overlap"], "mean_pairwise_f1"),
        (result["stance"], "krippendorff_alpha"),
        (result["stance"], "percent_agreement"),
        (result["claimer"], "percent_agreement"),
    ):
        assert figures[key] is None
        assert "no document was annotated by two or more annotators" in figures["null_reasons"][key]
    assert headline(result)[-1].startswith("no agreement: ")


def test_no_records_and_disjoint_documents_are_null():
    assert (
        compute_agreement([])["entities"]["strict"]["null_reasons"]["mean_pairwise_f1"]
        == "no annotation records were given"
    )
    alice = record("d1", "alice", [entity("Mario Rossi", "PER", "e1")], [])
    bob = record("d2", "bob", [], [])
    result = compute_agreement([alice, bob])
    assert result["comparable"] is False
    assert result["counts"]["documents_with_2_or_more_annotators"] == 0


def test_nothing_marked_is_null_not_zero():
    result = compute_agreement([record("d1", "alice", [], []), record("d1", "bob", [], [])])
    assert result["comparable"] is True
    pair = result["pairs"][0]
    assert pair["entities"]["strict"]["f1"] is None
    assert (
        pair["entities"]["strict"]["null_reasons"]["f1"]
        == "neither alice nor bob marked any entity on the 1 document(s) both annotated"
    )
    assert result["entities"]["strict"]["mean_pairwise_f1"] is None
    assert result["stance"]["percent_agreement"] is None
    assert pair["stance"]["cohen_kappa"] is None
    assert result["stance"]["krippendorff_alpha"] is None
    assert "no claim was marked by two or more annotators" in result["stance"]["null_reasons"]["krippendorff_alpha"]


def test_single_stance_makes_kappa_and_alpha_undefined():
    claims = [
        claim("la Russia è grande", "SUPPORT", claim_id="c1"),
        claim("Roma sia piccola", "SUPPORT", claim_id="c2"),
    ]
    result = compute_agreement([record("d1", "alice", [], claims), record("d1", "bob", [], claims)])
    stance = result["stance"]
    assert stance["percent_agreement"] == 1.0
    assert stance["krippendorff_alpha"] is None
    assert "are 'SUPPORT': expected disagreement is 0" in stance["null_reasons"]["krippendorff_alpha"]
    assert result["pairs"][0]["stance"]["cohen_kappa"] is None
    assert "single value 'SUPPORT'" in result["pairs"][0]["stance"]["null_reasons"]["cohen_kappa"]
    assert stance["mean_pairwise_cohen_kappa"] is None


def test_constant_but_different_raters_are_defined():
    """alice always SUPPORT, bob always REFUTE: p_o = 0 = p_e → kappa 0.
    Alpha: D_o = 4/4, D_e = (16 − 8)/12 → 1 − 1.5 = −0.5."""
    alice = record(
        "d1",
        "alice",
        [],
        [claim("la Russia è grande", "SUPPORT", claim_id="c1"), claim("Roma sia piccola", "SUPPORT", claim_id="c2")],
    )
    bob = record(
        "d1",
        "bob",
        [],
        [claim("la Russia è grande", "REFUTE", claim_id="c1"), claim("Roma sia piccola", "REFUTE", claim_id="c2")],
    )
    result = compute_agreement([alice, bob])
    assert result["pairs"][0]["stance"]["cohen_kappa"] == 0.0
    assert result["stance"]["krippendorff_alpha"] == pytest.approx(-0.5)
    assert result["stance"]["percent_agreement"] == 0.0


def test_three_annotators_with_a_missing_rating_by_hand():
    """Claim A rated S,S,S; claim B rated S,R by alice and bob only (carol did not mark it).

    Coincidences: unit A (m=3) adds o_SS = 6/2 = 3; unit B (m=2) adds o_SR = o_RS = 1.  n = 5, n_S = 4, n_R = 1.
    D_o = 2/5; D_e = (25 − 17)/(5·4) = 8/20 → alpha = 1 − 0.4/0.4 = 0.
    Percent agreement: 3 of 3 pairs on A, 0 of 1 on B → 3/4.
    """
    a = claim("la Russia è grande", "SUPPORT", claim_id="c1")
    b = claim("Roma sia piccola", "SUPPORT", claim_id="c2")
    records = [
        record("d1", "alice", [], [a, b]),
        record("d1", "bob", [], [a, dict(b, stance="REFUTE")]),
        record("d1", "carol", [], [a]),
    ]
    result = compute_agreement(records)
    assert result["stance"]["items"] == 2
    assert result["stance"]["krippendorff_alpha"] == pytest.approx(0.0)
    assert result["stance"]["percent_agreement"] == pytest.approx(0.75)
    assert [pair["annotators"] for pair in result["pairs"]] == [["alice", "bob"], ["alice", "carol"], ["bob", "carol"]]
    # claims overlap F1 per pair: alice–bob 2·2/4, alice–carol 2·1/3, bob–carol 2·1/3
    assert result["claims"]["overlap"]["mean_pairwise_f1"] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
    # the same figure from the reliability matrix form of the krippendorff package
    data = [[0, 0], [0, 1], [0, np.nan]]
    assert result["stance"]["krippendorff_alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    )


def _random_corpus(seed: int, slots: int = 40, annotators: tuple = ("ann", "ben", "cat")):
    """Claims on fixed sentences; each annotator marks a random subset with random stances (the truth for the
    cross-check)."""
    rng = random.Random(seed)
    sentences = [f"Frase numero {i} dice qualcosa." for i in range(slots)]
    text = " ".join(sentences)
    document = make_document("r1", text, "it")
    stances = ("SUPPORT", "REFUTE", "NEUTRAL")
    truth = {name: {} for name in annotators}
    records = []
    for name in annotators:
        claims = []
        for slot, sentence in enumerate(sentences):
            if rng.random() < 0.8:
                start = text.index(sentence)
                stance = rng.choice(stances) if rng.random() < 0.5 else stances[slot % 3]
                truth[name][slot] = stance
                claims.append(
                    {
                        "id": f"c{slot}",
                        "start": start,
                        "end": start + len(sentence),
                        "text": sentence,
                        "stance": stance,
                        "claimer": {"kind": "author", "entity_ids": []},
                    }
                )
        records.append(
            {"id": "r1", "text_sha256": document["text_sha256"], "entities": [], "claims": claims, "annotator": name}
        )
    return records, truth, slots


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_kappa_and_alpha_match_scikit_learn_and_krippendorff_on_random_data(seed):
    records, truth, slots = _random_corpus(seed)
    result = compute_agreement(records)
    for pair in result["pairs"]:
        left, right = pair["annotators"]
        both = [slot for slot in range(slots) if slot in truth[left] and slot in truth[right]]
        expected = cohen_kappa_score([truth[left][s] for s in both], [truth[right][s] for s in both])
        assert pair["stance"]["cohen_kappa"] == pytest.approx(expected)
        assert pair["stance"]["items"] == len(both)
    codes = {"SUPPORT": 0, "REFUTE": 1, "NEUTRAL": 2}
    matrix = [[codes[truth[name][s]] if s in truth[name] else np.nan for s in range(slots)] for name in sorted(truth)]
    assert result["stance"]["krippendorff_alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    )
