"""``toolkit eval --per-document FILE``: each document's own counts and figures, equal to scoring that document
alone, the same under both engines."""

from __future__ import annotations

import json
import random
import subprocess
import sys

from scoring_corpus import random_corpus, random_predictions

from toolkit.files import write_jsonl
from toolkit.scoring.scorer import Scorer


def test_each_row_is_the_document_scored_alone(tmp_path):
    rng = random.Random(17)
    documents, golds = random_corpus(rng, 12)
    predictions = random_predictions(rng, documents, golds)[1:]  # at least one document without a prediction
    write_jsonl(tmp_path / "documents.jsonl", documents)
    write_jsonl(tmp_path / "gold.jsonl", golds)
    rows = {}
    for engine in ("fast", "reference"):
        scorer = Scorer(tmp_path / "gold.jsonl", tmp_path / "documents.jsonl", engine=engine)
        rows[engine] = scorer.score(predictions).per_document()
    assert rows["fast"] == rows["reference"]
    assert [row["id"] for row in rows["fast"]] == [gold["id"] for gold in golds]
    predicted = {p["id"] for p in predictions}
    assert {row["id"] for row in rows["fast"] if not row["predicted"]} == {g["id"] for g in golds} - predicted
    assert any(not row["predicted"] for row in rows["fast"])
    by_id = {p["id"]: p for p in predictions}
    for row, gold in zip(rows["fast"], golds, strict=True):
        alone = tmp_path / f"{gold['id']}.jsonl"
        write_jsonl(alone, [gold])
        result = Scorer(alone, tmp_path / "documents.jsonl").score([by_id[gold["id"]]] if row["predicted"] else [])
        expected = result.result().to_dict()
        for key in ("claims", "claimer", "stance", "end_to_end"):
            assert row[key] == expected[key], (gold["id"], key)
        for scheme in ("strict", "exact", "partial", "ent_type"):
            assert row["entities"][scheme] == expected["entities"][scheme]


def test_per_document_on_the_command_line(tmp_path):
    rng = random.Random(4)
    documents, golds = random_corpus(rng, 5)
    write_jsonl(tmp_path / "documents.jsonl", documents)
    write_jsonl(tmp_path / "gold.jsonl", golds)
    write_jsonl(tmp_path / "p.jsonl", random_predictions(rng, documents, golds))
    out = tmp_path / "rows" / "per-document.jsonl"
    command = [sys.executable, "-m", "toolkit", "eval", str(tmp_path / "p.jsonl")]
    command += ["--gold", str(tmp_path / "gold.jsonl"), "--documents", str(tmp_path / "documents.jsonl")]
    command += ["--format", "json", "--per-document", str(out)]
    run = subprocess.run(command, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    total = json.loads(run.stdout)["entities"]["strict"]
    assert len(rows) == 5
    for count in ("correct", "incorrect", "missed", "spurious", "possible", "actual"):
        assert sum(row["entities"]["strict"][count] for row in rows) == total[count]
    refused = subprocess.run([*command[:-1], str(tmp_path / "gold.jsonl")], capture_output=True, text=True)
    assert refused.returncode == 2 and "--per-document" in refused.stderr and refused.stderr.count("\n") == 1
