"""``toolkit errors``: each kind of error found by hand on one document, the counts equal to ``toolkit eval``'s
categories on random corpora (gold JSONL and built folder), user text escaped in the Markdown, no extra imported."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest
from markdown_it import MarkdownIt
from scoring_corpus import build_random, random_predictions
from scoring_data import at, claim, entity, write_corpus, write_predictions
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.files import read_jsonl, write_jsonl

runner = CliRunner()
TEXT = "Mario Rossi ha detto che <b>Roma</b> | Milano *crescono*. Il governo nega che i prezzi salgano."


def _span(fragment: str) -> dict:
    start, end = at(TEXT, fragment)
    return {"start": start, "end": end}


@pytest.fixture
def hand(tmp_path):
    entities = [
        entity(TEXT, "e1", "Mario Rossi", "PER"),
        entity(TEXT, "e2", "Roma", "GPE"),
        entity(TEXT, "e3", "Milano", "GPE"),
        entity(TEXT, "e4", "governo", "ORG"),
    ]
    claims = [
        claim(TEXT, "c1", "<b>Roma</b> | Milano *crescono*", "SUPPORT", "entity", ["e1"]),
        claim(TEXT, "c2", "i prezzi salgano", "REFUTE", "entity", ["e4"]),
    ]
    documents, gold = write_corpus(tmp_path, {"d1": (TEXT, entities, claims)})
    predictions = {
        "id": "d1",
        "entities": [
            {**_span("Mario Rossi"), "label": "PER"},  # right
            {**_span("Roma"), "label": "LOC"},  # mislabelled
            {**_span("Milano *"), "label": "GPE"},  # mis-bounded
            {**_span("Il governo"), "label": "PER"},  # both
            {**_span("prezzi"), "label": "QUANTITY"},  # spurious
        ],
        "claims": [
            {**_span("Roma</b> | Milano *crescono*"), "stance": "REFUTE", "claimer": "AUTHOR"},
            {**_span("Il governo nega"), "stance": "NEUTRAL", "claimer": "UNNAMED"},
        ],
    }
    return tmp_path, documents, gold, write_predictions(tmp_path / "pred.jsonl", [predictions])


def _errors(*args) -> dict:
    result = runner.invoke(app, ["errors", *map(str, args), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_kind_found_by_hand(hand):
    folder, documents, gold, predictions = hand
    report = _errors(predictions, "--gold", gold, "--documents", documents)
    assert {kind: n for kind, n in report["counts"].items() if n} == {
        "spurious_entity": 1,
        "mislabelled_entity": 1,
        "mis_bounded_entity": 1,
        "mislabelled_and_mis_bounded_entity": 1,
        "missed_claim": 1,
        "spurious_claim": 1,
        "mis_bounded_claim": 1,
        "wrong_claimer": 1,
        "wrong_stance": 1,
    }
    by_kind = {error["kind"]: error for error in report["errors"]}
    assert by_kind["mislabelled_entity"]["gold"] == {**_span("Roma"), "label": "GPE"}
    assert by_kind["mislabelled_entity"]["predicted"]["label"] == "LOC"
    assert by_kind["missed_claim"]["gold"] == {**_span("i prezzi salgano"), "stance": "REFUTE", "claimer": "governo"}
    assert by_kind["wrong_claimer"]["gold"]["claimer"] == "Mario Rossi"
    assert by_kind["wrong_claimer"]["predicted"]["claimer"] == "author"
    both = by_kind["mislabelled_and_mis_bounded_entity"]
    assert (both["start"], both["end"]) == at(TEXT, "Il governo") and both["text"] == "Il governo"
    assert both["before"] + both["text"] + both["after"] in f"…{TEXT}…"


def test_markdown_escapes_user_text(hand):
    folder, documents, gold, predictions = hand
    out = folder / "errors.md"
    result = runner.invoke(app, ["errors", str(predictions), "--gold", str(gold), "--documents", str(documents)])
    assert result.exit_code == 0
    written = runner.invoke(
        app, ["errors", str(predictions), "--gold", str(gold), "--documents", str(documents), "--out", str(out)]
    )
    assert written.exit_code == 0 and "wrote" in written.stderr and out.read_text(encoding="utf-8") == result.stdout
    html = MarkdownIt("commonmark").enable("table").render(result.stdout)
    assert "<b>" not in html and "&lt;b&gt;Roma" in html
    assert html.count("<tr>") == 1 + 10 + 9 * 2  # the counts table (header, ten kinds), nine sections of one error
    for table in html.split("<table>")[2:]:
        assert all(row.count("<td") == 5 for row in table.split("<tr>")[2:])  # no cell split by a "|"
    assert "## wrong stances (1)" in result.stdout and "`mis_bounded_claim`" in result.stdout


@pytest.mark.parametrize("seed", [3, 8])
def test_counts_are_evals_categories(tmp_path, seed):
    built = build_random(tmp_path, seed, 30, splits=("test",))
    documents, golds = read_jsonl(tmp_path / "documents.jsonl"), read_jsonl(tmp_path / "gold.jsonl")
    write_jsonl(tmp_path / "pred.jsonl", random_predictions(random.Random(seed), documents, golds))
    jsonl = ["--gold", str(tmp_path / "gold.jsonl"), "--documents", str(tmp_path / "documents.jsonl")]
    for gold in (["--gold", str(built), "--split", "test"], jsonl):
        counts = _errors(tmp_path / "pred.jsonl", *gold)["counts"]
        result = runner.invoke(app, ["eval", str(tmp_path / "pred.jsonl"), *gold, "--format", "json"])
        figures = json.loads(result.stdout)
        strict, overlap = figures["entities"]["strict"], figures["claims"]["overlap"]
        assert counts["missed_entity"] == strict["missed"] and counts["spurious_entity"] == strict["spurious"]
        wrong_pairs = ("mislabelled_entity", "mis_bounded_entity", "mislabelled_and_mis_bounded_entity")
        assert sum(counts[kind] for kind in wrong_pairs) == strict["incorrect"] > 0
        assert counts["missed_claim"] == overlap["gold"] - overlap["true_positives"]
        assert counts["spurious_claim"] == overlap["predicted"] - overlap["true_positives"]
        claimer, stance = figures["claimer"], figures["stance"]
        assert counts["wrong_claimer"] == claimer["matched_claims"] - claimer["correct"] > 0
        diagonal = sum(row[k] for k, row in enumerate(stance["confusion"]["matrix"]))
        assert counts["wrong_stance"] == stance["n"] - diagonal > 0


def test_no_extra_is_imported():
    script = (
        "import sys; from toolkit.cli import register_commands; register_commands(['errors']); "
        "import toolkit.scoring.error_analysis; "
        "print(sorted({'spacy', 'datasets', 'sklearn', 'jinja2', 'label_studio_sdk'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
