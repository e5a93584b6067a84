"""`ScoringOptions`: every option of ``toolkit eval`` is one of its fields, the scorer's steps take exactly those,
and `evaluate` with an option gives the JSON ``toolkit eval --format json`` writes with the same option."""

from __future__ import annotations

import dataclasses
import doctest
import inspect
import json
import random
import shutil
from pathlib import Path

import pytest
from scoring_corpus import build_random, random_predictions
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.cli.eval import eval_command
from toolkit.errors import InputError
from toolkit.files import read_jsonl, write_jsonl
from toolkit.scoring.evaluate import evaluate
from toolkit.scoring.options import RESULT, ROWS, SCORER, ScoringOptions
from toolkit.scoring.scorer import Scored, Scorer

# (command-line arguments, evaluate's keywords): one case or more per option; `split` is evaluate's own argument
CASES = {
    "defaults": ([], {}),
    "iou": (["--iou", "0.3"], {"iou": 0.3}),
    "ignore_extra": (["--split", "test", "--ignore-extra"], {"split": "test", "ignore_extra": True}),
    "engine": (["--engine", "reference"], {"engine": "reference"}),
    "per_label_convention": (["--per-label-convention", "seqeval"], {"per_label_convention": "seqeval"}),
    "compat": (["--compat"], {"compat": True}),
    "no_compat": (["--no-compat"], {"compat": False}),
    "token_label_map": (
        ["--token-label-map", "GPE=LOC", "--token-label-map", "FAC=O"],
        {"token_label_map": {"GPE": "LOC", "FAC": "O"}},
    ),
    "token_label_map_pairs": (["--token-label-map", "GPE=LOC"], {"token_label_map": ["GPE=LOC"]}),
    "newsclaims_normalisation": (
        ["--compat", "--newsclaims-normalisation", "italian"],
        {"compat": True, "newsclaims_normalisation": "italian"},
    ),
    "breakdown": (["--no-breakdown"], {"breakdown": False}),
    "bootstrap_seed": (["--bootstrap", "40", "--seed", "7"], {"bootstrap": 40, "seed": 7}),
    "by": (["--by", "split", "--by", "lang", "--bootstrap", "20"], {"by": ["split", "lang"], "bootstrap": 20}),
    "per_document": (["--per-document", "{rows}"], {"per_document": True}),
    "require_complete": (["--require-complete"], {"require_complete": True}),  # refused: a document is missing
}
# ``toolkit eval``'s parameters that are not scoring options: what is scored against, and where and how it is shown
NOT_OPTIONS = {"predictions", "gold", "documents", "split", "output_format", "out", "verbose", "no_compat"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("options")
    built = build_random(folder, 23, 14, splits=("test", "train"))
    predictions = random_predictions(
        random.Random(5), read_jsonl(folder / "documents.jsonl"), read_jsonl(built.parent / "gold.jsonl")
    )
    write_jsonl(folder / "predictions.jsonl", predictions)
    assert len(predictions) < 14  # some gold document has no prediction (require_complete refuses)
    return folder, built


@pytest.mark.parametrize("case", CASES)
def test_python_gives_the_command_lines_json(corpus, case, tmp_path):
    folder, built = corpus
    arguments, keywords = CASES[case]
    rows = tmp_path / "rows.jsonl"
    arguments = [argument.format(rows=rows) for argument in arguments]
    out = tmp_path / "result.json"
    run = CliRunner().invoke(
        app,
        [
            "eval",
            str(folder / "predictions.jsonl"),
            "--gold",
            str(built),
            *arguments,
            "--format",
            "json",
            "--out",
            str(out),
        ],
    )
    if case == "require_complete":
        with pytest.raises(InputError) as refused:
            evaluate(folder / "predictions.jsonl", built, **keywords)
        assert run.exit_code == 2 and not out.exists()
        message = str(refused.value)  # the library names the parameter, the command line the option
        assert "1 of 14 gold document(s) have no prediction" in message
        assert message.replace("as require_complete asks", "as --require-complete asks") in run.output
        return
    assert run.exit_code == 0, run.output
    result = evaluate(folder / "predictions.jsonl", built, **keywords)
    assert result.to_dict() == json.loads(out.read_text(encoding="utf-8"))
    assert (result.per_document is not None) == (case == "per_document")
    if case == "per_document":
        assert result.per_document == read_jsonl(rows) and len(rows.read_text().splitlines()) == result.n_documents
    # the option changes the result, so the case tests something (per_document's rows are apart; compat=True may be
    # the default's figures on a built folder, where the default computes every compat figure it can)
    if case not in ("defaults", "per_document", "compat"):
        assert result.to_dict() != evaluate(folder / "predictions.jsonl", built).to_dict()


def test_every_option_has_a_case_and_every_eval_option_is_one():
    fields = {option.name for option in dataclasses.fields(ScoringOptions)}
    assert fields <= {key for _, keywords in CASES.values() for key in keywords}
    parameters = set(inspect.signature(eval_command).parameters)
    aliases = {"no_breakdown": "breakdown"}  # a command-line flag that sets a field under another name
    assert {aliases.get(name, name) for name in parameters - NOT_OPTIONS} == fields


def test_each_step_takes_exactly_its_fields():
    """A keyword added to `Scorer` or `Scored.result` without a field here fails this test."""
    steps = {option.name: option.metadata["step"] for option in dataclasses.fields(ScoringOptions)}
    scorer = [p.name for p in inspect.signature(Scorer).parameters.values() if p.kind is p.KEYWORD_ONLY]
    result = [name for name in inspect.signature(Scored.result).parameters if name != "self"]
    assert sorted(scorer) == sorted(name for name, step in steps.items() if step == SCORER)
    assert sorted(result) == sorted(name for name, step in steps.items() if step == RESULT)
    assert [name for name, step in steps.items() if step == ROWS] == ["per_document"]
    defaults = {name: p.default for name, p in inspect.signature(Scorer).parameters.items() if name in steps}
    defaults |= {name: p.default for name, p in inspect.signature(Scored.result).parameters.items() if name in steps}
    options = ScoringOptions()
    assert {name: getattr(options, name) for name in defaults} == defaults | {"token_label_map": {}, "by": ()}


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"token_label_map": {"FOO": "LOC"}}, r"^\[E100\] token_label_map: 'FOO=LOC' \(expected LABEL=NAME"),
        ({"token_label_map": "GPE=LOC"}, r"token_label_map: got str \(expected a mapping"),
        ({"token_label_map": {"GPE": 5}}, r"token_label_map: .*expected label names"),
        ({"bootstrap": -1}, r"bootstrap: -1 is out of range"),
        ({"seed": "7"}, r"seed: got str '7'"),
        ({"iou": 0}, r"iou: 0 is out of range"),
        ({"engine": "quick"}, r"engine: 'quick' is not a scoring engine"),
        ({"per_label_convention": "conll"}, r"per_label_convention: 'conll' is not a convention"),
        ({"newsclaims_normalisation": "german"}, r"newsclaims_normalisation: got str 'german'"),
        ({"compat": "yes"}, r"compat: got str 'yes' \(expected True, False or None"),
        ({"breakdown": 0}, r"breakdown: got int 0 \(expected True or False\)"),
        ({"by": [1]}, r"by: \[1\] \(expected document field names"),
    ],
)
def test_bad_values_are_refused_when_the_options_are_made(keywords, message):
    with pytest.raises(InputError, match=message):  # a ParameterError, or the library's own InputError naming it
        ScoringOptions(**keywords)
    with pytest.raises(InputError, match=message):  # before the gold is read: this one does not exist
        evaluate("p.jsonl", "no/such/gold.jsonl", **keywords)


def test_options_and_keywords(corpus):
    folder, built = corpus
    with pytest.raises(TypeError, match=r"unknown scoring option\(s\) bootstrapp \(expected some of: iou, "):
        evaluate(folder / "predictions.jsonl", built, bootstrapp=10)
    base = ScoringOptions(iou=0.3, breakdown=False)
    both = evaluate(folder / "predictions.jsonl", built, options=base, bootstrap=20)
    assert (
        both.to_dict()
        == evaluate(folder / "predictions.jsonl", built, iou=0.3, breakdown=False, bootstrap=20).to_dict()
    )
    assert both.breakdown is None and both.settings["iou"] == 0.3 and both.ci is not None
    assert ScoringOptions(by="split").by == ("split",) and ScoringOptions(by=["split", "split"]).by == ("split",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.iou = 0.5  # type: ignore[misc]
    with pytest.raises(InputError, match=r"by: no document of the gold .* has the field 'sorce'"):
        evaluate(folder / "no-such-predictions.jsonl", built, by=["sorce"])  # refused before predictions are read


def test_the_python_examples_of_the_scoring_doc_run(tmp_path, monkeypatch):
    from toolkit.baseline import predict_document
    from toolkit.validate import load_documents

    repo = Path(__file__).resolve().parent.parent
    shutil.copytree(repo / "annotations", tmp_path / "annotations")
    documents = load_documents(tmp_path / "annotations" / "documents.jsonl").values()
    write_jsonl(tmp_path / "predictions.jsonl", [predict_document(document) for document in documents])
    monkeypatch.chdir(tmp_path)
    failures, attempted = doctest.testfile(
        str(repo / "docs" / "scoring.md"), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert attempted >= 15 and failures == 0
