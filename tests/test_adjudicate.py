"""Adjudication: each strategy against hand-built expectations, ties left out and listed, inputs never touched,
gold valid."""

from __future__ import annotations

import json

import pytest
from agreement_data import claim, documents, entity, record, write_documents, write_records
from typer.testing import CliRunner

from toolkit.agreement.adjudicate import adjudicate_records
from toolkit.cli import app
from toolkit.errors import InputError

runner = CliRunner()


def alice_bob_carol() -> list[dict]:
    alice = record(
        "d1",
        "alice",
        [entity("Mario Rossi", "PER", "e1"), entity("Russia", "GPE", "e2"), entity("Anna Bianchi", "PER", "e3")],
        [claim("la Russia è grande", "SUPPORT", "entity", ["e1"], "c1")],
    )
    bob = record(
        "d1",
        "bob",
        [entity("Mario Rossi", "PER", "x1"), entity("Russia", "LOC", "x2"), entity("Putin", "PER", "x3")],
        [claim("la Russia è grande", "SUPPORT", "entity", ["x1"], "k1")],
    )
    carol = record(
        "d1",
        "carol",
        [entity("Mario Rossi", "PER", "m1"), entity("Russia", "GPE", "m2")],
        [claim("Russia è grande", "REFUTE", claim_id="q1")],
    )
    return [alice, bob, carol]


def compact(gold_record: dict) -> tuple[list, list]:
    entities = [(e["id"], e["text"], e["label"], e["annotators"]) for e in gold_record["entities"]]
    claims = [(c["id"], c["text"], c["stance"], c["claimer"], c["annotators"]) for c in gold_record["claims"]]
    return entities, claims


def test_majority_of_three():
    gold, summary = adjudicate_records(alice_bob_carol(), documents(), ["majority"])
    entities, claims = compact(gold[0])
    assert entities == [
        ("e1", "Mario Rossi", "PER", ["alice", "bob", "carol"]),
        ("e2", "Russia", "GPE", ["alice", "carol"]),
    ]
    assert claims == [
        ("c1", "la Russia è grande", "SUPPORT", {"kind": "entity", "entity_ids": ["e1"]}, ["alice", "bob"])
    ]
    assert summary["items"]["minority_left_out"] == 2  # Anna Bianchi (alice only), Putin (bob only)
    assert summary["documents"] == {
        "gold": 1,
        "by_strategy": {"majority": 1},
        "with_unresolved_items": 0,
        "not_adjudicated": 0,
    }


def test_majority_of_two_leaves_ties_out_and_lists_them():
    alice, bob, _ = alice_bob_carol()
    alice["claims"].append(claim("Roma sia piccola", "REFUTE", "entity", ["e3"], "c2"))
    bob["entities"].append(entity("Anna Bianchi", "ORG", "x4"))
    bob["claims"].append(claim("Roma sia piccola", "REFUTE", "entity", ["x4"], "k2"))
    gold, summary = adjudicate_records([alice, bob], documents(), ["majority"])
    entities, claims = compact(gold[0])
    assert entities == [("e1", "Mario Rossi", "PER", ["alice", "bob"])]
    assert claims == [
        ("c1", "la Russia è grande", "SUPPORT", {"kind": "entity", "entity_ids": ["e1"]}, ["alice", "bob"])
    ]
    [listed] = summary["documents_with_unresolved_items"]
    reasons = [(item["text"], item["reason"]) for item in listed["items"]]
    assert reasons == [
        ("Russia", "tie on label"),
        ("Anna Bianchi", "tie on label"),
        ("Putin", "tie: marked by 1 of 2 annotators"),
        ("Roma sia piccola", "the claimer's entity mention did not enter gold"),
    ]
    assert listed["items"][0]["votes"] == {"alice": "28–34 · GPE", "bob": "28–34 · LOC"}
    assert summary["items"]["unresolved"] == 4


def test_ground_truth_wins_and_credits_everyone_who_agrees():
    alice, bob, carol = alice_bob_carol()
    bob["ground_truth"] = True
    gold, summary = adjudicate_records([alice, bob, carol], documents(), ["ground-truth", "majority"])
    entities, claims = compact(gold[0])
    assert entities == [
        ("e1", "Mario Rossi", "PER", ["alice", "bob", "carol"]),
        ("e2", "Russia", "LOC", ["bob"]),
        ("e3", "Putin", "PER", ["bob"]),
    ]
    assert claims == [
        ("c1", "la Russia è grande", "SUPPORT", {"kind": "entity", "entity_ids": ["e1"]}, ["alice", "bob"])
    ]
    assert summary["per_document"][0]["strategy"] == "ground-truth" and summary["per_document"][0]["winner"] == "bob"


def test_strategies_fall_back_in_order_and_unresolved_documents_are_listed():
    alice, bob, carol = alice_bob_carol()
    d2 = [record("d2", "alice", [], []), record("d2", "bob", [], [])]
    gold, summary = adjudicate_records([alice, bob, carol, *d2], documents(), ["ground-truth"])
    assert gold == []
    assert summary["not_adjudicated"][0] == {
        "id": "d1",
        "annotators": ["alice", "bob", "carol"],
        "reasons": ["ground-truth: no annotation is marked as ground truth"],
    }
    alice["ground_truth"] = bob["ground_truth"] = True
    gold, summary = adjudicate_records(
        [alice, bob, carol, *d2], documents(), ["ground-truth", "prefer:carol", "majority"]
    )
    assert [entry["strategy"] for entry in summary["per_document"]] == ["prefer:carol", "majority"]
    assert compact(gold[0])[0] == [
        ("e1", "Mario Rossi", "PER", ["alice", "bob", "carol"]),
        ("e2", "Russia", "GPE", ["alice", "carol"]),
    ]
    assert [r["id"] for r in gold] == ["d1", "d2"] and gold[1]["entities"] == [] and gold[1]["claims"] == []


def test_prefer_an_expert():
    gold, _ = adjudicate_records(alice_bob_carol(), documents(), ["prefer:carol"])
    entities, claims = compact(gold[0])
    assert entities == [
        ("e1", "Mario Rossi", "PER", ["alice", "bob", "carol"]),
        ("e2", "Russia", "GPE", ["alice", "carol"]),
    ]
    assert claims == [("c1", "Russia è grande", "REFUTE", {"kind": "author", "entity_ids": []}, ["carol"])]


@pytest.mark.parametrize(
    "value, message",
    [
        ("vote", "'vote' is not a strategy (expected one of: ground-truth, prefer:ANNOTATOR, majority)"),
        ("prefer", "'prefer' is not a strategy"),
        ("majority:x", "'majority:x' is not a strategy"),
        ("prefer:dave", "'prefer:dave' names no annotator of the input (expected one of: alice, bob, carol)"),
    ],
)
def test_bad_strategies(value, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        adjudicate_records(alice_bob_carol(), documents(), [value])


def test_single_annotator_becomes_gold_as_is():
    alice = alice_bob_carol()[0]
    gold, summary = adjudicate_records([alice], documents(), ["majority"])
    assert [e["text"] for e in gold[0]["entities"]] == ["Mario Rossi", "Russia", "Anna Bianchi"]
    assert all(e["annotators"] == ["alice"] for e in gold[0]["entities"])


def _files(tmp_path):
    docs = write_documents(tmp_path)
    alice, bob, carol = alice_bob_carol()
    first = write_records(tmp_path / "ab.jsonl", [alice, bob])
    second = write_records(tmp_path / "c.jsonl", [carol])
    return docs, first, second


def test_cli_gold_validates_and_inputs_are_untouched(tmp_path):
    docs, first, second = _files(tmp_path)
    before = first.read_bytes(), second.read_bytes()
    gold = tmp_path / "gold.jsonl"
    summary = tmp_path / "adjudication.json"
    result = runner.invoke(
        app,
        [
            "adjudicate",
            str(first),
            str(second),
            "--documents",
            str(docs),
            "--out",
            str(gold),
            "--format",
            "json",
            "--summary-out",
            str(summary),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "gold: 1 document(s) (majority 1), 2 entities, 1 claims" in result.stdout
    assert (first.read_bytes(), second.read_bytes()) == before
    assert json.loads(summary.read_text(encoding="utf-8"))["strategies"] == ["ground-truth", "majority"]
    check = runner.invoke(app, ["validate", str(gold), "--documents", str(docs), "--kind", "annotation"])
    assert check.exit_code == 0, check.output
    # the same run again leaves the file alone
    again = runner.invoke(app, ["adjudicate", str(first), str(second), "--documents", str(docs), "--out", str(gold)])
    assert again.exit_code == 0 and "already holds this gold (unchanged)" in again.stdout


def test_cli_refuses_to_overwrite(tmp_path):
    docs, first, second = _files(tmp_path)
    result = runner.invoke(app, ["adjudicate", str(first), str(second), "--documents", str(docs), "--out", str(second)])
    assert result.exit_code == 2
    assert f"--out {second}: is the same file as ANNOTATIONS {second}" in result.stderr
    gold = tmp_path / "gold.jsonl"
    gold.write_text("old gold\n", encoding="utf-8")
    result = runner.invoke(app, ["adjudicate", str(first), str(second), "--documents", str(docs), "--out", str(gold)])
    assert result.exit_code == 2
    assert "exists with different content (expected a new file; pass --overwrite to replace it)" in result.stderr
    assert gold.read_text(encoding="utf-8") == "old gold\n"
    result = runner.invoke(
        app, ["adjudicate", str(first), str(second), "--documents", str(docs), "--out", str(gold), "--overwrite"]
    )
    assert result.exit_code == 0
    assert json.loads(gold.read_text(encoding="utf-8").splitlines()[0])["id"] == "d1"


def test_cli_lists_ties_for_review(tmp_path):
    docs = write_documents(tmp_path)
    alice, bob, _ = alice_bob_carol()
    path = write_records(tmp_path / "two.jsonl", [alice, bob])
    result = runner.invoke(
        app,
        [
            "adjudicate",
            str(path),
            "--documents",
            str(docs),
            "--out",
            str(tmp_path / "gold.jsonl"),
            "--strategy",
            "majority",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "review d1:" in result.stdout
    assert "entities 28–34 'Russia': tie on label (alice: 28–34 · GPE; bob: 28–34 · LOC)" in result.stdout


def test_cli_bad_strategy(tmp_path):
    docs, first, _ = _files(tmp_path)
    result = runner.invoke(
        app,
        [
            "adjudicate",
            str(first),
            "--documents",
            str(docs),
            "--out",
            str(tmp_path / "g.jsonl"),
            "--strategy",
            "loudest",
        ],
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: [E100] --strategy: 'loudest' is not a strategy "
        "(expected one of: ground-truth, prefer:ANNOTATOR, majority)"
    )
    assert not (tmp_path / "g.jsonl").exists()
