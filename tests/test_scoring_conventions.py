"""The conventions a user expects of the scorer: ``--require-complete``, warnings on bootstraps over few documents,
``str(ValidationError)`` with its first problems, numpy numbers in records, a signature naming the gold by content."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from scoring_data import TEXT, at, entity, write_corpus, write_predictions

from toolkit.errors import InputError, ValidationError
from toolkit.scoring.evaluate import evaluate

ENGINES = ("fast", "reference")


def corpus(folder, n: int):
    golds = {f"d{k}": (TEXT, [entity(TEXT, "e1", "Roma", "GPE")], []) for k in range(n)}
    return write_corpus(folder, golds)


def roma(doc_id: str, number=int) -> dict:
    start, end = at(TEXT, "Roma")
    return {"id": doc_id, "entities": [{"start": number(start), "end": number(end), "label": "GPE"}], "claims": []}


@pytest.mark.parametrize("engine", ENGINES)
def test_require_complete_names_how_many_and_the_first_ids(tmp_path, engine):
    documents, gold = corpus(tmp_path, 8)
    predictions = write_predictions(tmp_path / "p.jsonl", [roma("d0")])
    with pytest.raises(InputError) as raised:
        evaluate(predictions, gold, documents, engine=engine, require_complete=True)
    assert str(raised.value) == (
        f"[E100] {predictions}: 7 of 8 gold document(s) have no prediction: d1, d2, d3, d4, d5 … "
        "(expected one record per gold document, as require_complete asks)"  # Python names the parameter
    )
    empty = write_predictions(tmp_path / "e.jsonl", [])
    with pytest.raises(InputError, match="8 of 8 gold document.s. have no prediction .no prediction at all."):
        evaluate(empty, gold, documents, engine=engine, require_complete=True)
    assert evaluate(predictions, gold, documents, engine=engine).missing_documents == [f"d{k}" for k in range(1, 8)]
    complete = [roma(f"d{k}") for k in range(8)]
    assert evaluate(complete, gold, documents, engine=engine, require_complete=True).entities["strict"]["f1"] == 1.0


def test_require_complete_on_the_command_line(tmp_path):
    documents, gold = corpus(tmp_path, 3)
    predictions = write_predictions(tmp_path / "p.jsonl", [roma("d1")])
    command = [sys.executable, "-m", "toolkit", "eval", str(predictions), "--gold", str(gold)]
    command += ["--documents", str(documents), "--format", "json"]
    refused = subprocess.run([*command, "--require-complete"], capture_output=True, text=True)
    assert refused.returncode == 2 and refused.stdout == "" and "Traceback" not in refused.stderr
    assert refused.stderr == (
        f"error: [E100] {predictions}: 2 of 3 gold document(s) have no prediction: d0, d2 "
        "(expected one record per gold document, as --require-complete asks)\n"
    )
    assert json.loads(subprocess.run(command, capture_output=True, text=True).stdout)["missing_documents"] == [
        "d0",
        "d2",
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_bootstrap_over_few_documents_warns_and_one_document_gives_no_interval(tmp_path, engine):
    documents, gold = corpus(tmp_path, 3)
    few = evaluate([roma("d0"), roma("d1")], gold, documents, bootstrap=200, engine=engine)
    assert few.ci_warning == "bootstrap over 3 document(s): intervals over fewer than 30 documents are not meaningful"
    assert few.to_dict()["ci_warning"] == few.ci_warning
    low, high = few.ci["entities.strict.f1"]["low"], few.ci["entities.strict.f1"]["high"]
    assert 0 <= low < high <= 1  # still computed, with the warning
    assert evaluate([roma("d0")], gold, documents, engine=engine).ci_warning is None  # no bootstrap, no warning
    single_documents, single_gold = corpus(tmp_path / "one", 1)
    one = evaluate([roma("d0")], single_gold, single_documents, bootstrap=200, engine=engine)
    assert one.ci_warning.startswith("bootstrap over 1 document(s)")
    assert set(one.ci) == {"entities.strict.f1", "claims.overlap.f1", "end_to_end.f1", "overall"}
    for interval in one.ci.values():
        assert interval == {
            "low": None,
            "high": None,
            "resamples": 200,
            "seed": 12345,
            "reason": "1 document(s): resampling gives no interval",
        }
    many_documents, many_gold = corpus(tmp_path / "many", 30)
    assert evaluate([roma("d0")], many_gold, many_documents, bootstrap=20, engine=engine).ci_warning is None


def test_the_bootstrap_warning_on_the_command_line(tmp_path):
    documents, gold = corpus(tmp_path, 2)
    predictions = write_predictions(tmp_path / "p.jsonl", [roma("d0"), roma("d1")])
    command = [sys.executable, "-m", "toolkit", "eval", str(predictions), "--gold", str(gold)]
    command += ["--documents", str(documents), "--bootstrap", "50"]
    warning = "warning: bootstrap over 2 document(s): intervals over fewer than 30 documents are not meaningful"
    table = subprocess.run(command, capture_output=True, text=True)
    assert table.returncode == 0 and warning in table.stdout.splitlines() and table.stderr == ""
    as_json = subprocess.run([*command, "--format", "json"], capture_output=True, text=True)
    assert as_json.stderr == warning + "\n" and json.loads(as_json.stdout)["ci_warning"] == warning[9:]


def test_str_of_a_validation_error_quotes_its_first_problems(tmp_path):
    documents, gold = corpus(tmp_path, 1)
    bad = [{"id": "d0", "entities": [{"start": 0, "end": 999 + k, "label": "GPE"} for k in range(5)]}]
    with pytest.raises(ValidationError) as raised:
        evaluate(bad, gold, documents)
    error = raised.value
    lines = error.lines()
    assert len(lines) == 5 and all(line.startswith("record 0: entities[") for line in lines)
    assert str(error) == "[E101] 5 problem(s): " + "; ".join(lines[:3]) + "; and 2 more (all in .lines())"
    assert error.summary() == "[E101] 5 problem(s)"
    assert str(ValidationError(error.problems[:1])) == "[E101] 1 problem(s): " + lines[0]
    assert str(ValidationError([])) == "[E101] 0 problem(s)"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("number", [np.int64, np.int32, np.uint16])
def test_numpy_numbers_in_records_are_numbers(tmp_path, engine, number):
    documents, gold = corpus(tmp_path, 1)
    result = evaluate([roma("d0", number)], gold, documents, engine=engine)
    assert result.entities["strict"]["correct"] == 1 and result.entities["strict"]["f1"] == 1.0


@pytest.mark.parametrize("engine", ENGINES)
def test_a_numpy_float_offset_is_refused_naming_the_field(tmp_path, engine):
    documents, gold = corpus(tmp_path, 1)
    with pytest.raises(ValidationError) as raised:
        evaluate([roma("d0", np.float64)], gold, documents, engine=engine)
    assert raised.value.lines()[0].startswith("record 0: entities[0].start: ")
    with pytest.raises(ValidationError) as raised:
        evaluate([{**roma("d0"), "entities": np.array([1, 2])}], gold, documents, engine=engine)
    assert raised.value.lines()[0].startswith("record 0: (record): cannot be written as JSON")


def test_the_signature_names_the_gold_by_its_content_only(tmp_path):
    documents, gold = corpus(tmp_path, 2)
    renamed = tmp_path / "elsewhere.jsonl"
    renamed.write_bytes(gold.read_bytes())
    a = evaluate([roma("d0")], gold, documents)
    b = evaluate([roma("d0")], renamed, documents)
    assert a.signature == b.signature and f"|gold:{a.settings['gold_hash']}|" in a.signature
    assert "gold.jsonl" not in a.signature and "hub:" not in a.signature
