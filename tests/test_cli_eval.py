"""``toolkit eval`` and ``toolkit compare`` through the CLI: formats, files, errors, help."""

from __future__ import annotations

import json

from scoring_data import TEXT, at, standard_corpus, write_predictions
from typer.testing import CliRunner

from toolkit.cli import app

runner = CliRunner()


def prediction(stance: str = "SUPPORT") -> dict:
    start, end = at(TEXT, "Roma")
    claim_start, claim_end = at(TEXT, "Roma e Milano crescono")
    return {
        "id": "d1",
        "entities": [{"start": start, "end": end, "label": "GPE"}],
        "claims": [{"start": claim_start, "end": claim_end, "stance": stance, "claimer": "AUTHOR"}],
    }


def run(*args: str):
    return runner.invoke(app, list(args))


def test_eval_table_json_and_markdown(tmp_path):
    documents, gold = standard_corpus(tmp_path)
    predictions = write_predictions(tmp_path / "p.jsonl", [prediction()])
    table = run("eval", str(predictions), "--gold", str(gold), "--documents", str(documents))
    assert table.exit_code == 0, table.output
    assert table.stdout.startswith("signature: voci-eval:")
    assert "entities.strict.f1" in table.stdout and "0.3333" in table.stdout  # 1 correct of 5 gold, 1 predicted
    assert "SUPPORT 1.0000; REFUTE, NEUTRAL: in neither gold nor predictions, not averaged" in table.stdout
    empty = run(
        "eval", str(write_predictions(tmp_path / "empty.jsonl", [])), "--gold", str(gold), "--documents", str(documents)
    )
    assert empty.exit_code == 0
    assert "overall: undefined (the predictions have no entities and no claims layer" in empty.stdout
    rows = [line.split() for line in empty.stdout.splitlines()]
    assert ["stance", "macro-F1", "–", "no", "matched", "claims"] in rows
    assert [line.split()[-3:] for line in empty.stdout.splitlines() if line.startswith("strict ")] == [
        ["–", "0.0000", "0.0000"]
    ]
    as_json = run("eval", str(predictions), "--gold", str(gold), "--documents", str(documents), "--format", "json")
    data = json.loads(as_json.stdout)
    assert (
        data["entities"]["strict"]["f1"] == 1 / 3
        and data["claimer"]["accuracy"] == 0.0
        and data["end_to_end"]["f1"] == 0.0
    )
    note = (  # GPE alone predicted of the gold's PER, GPE, ORG: the voci convention's macro precision says so
        "macro precision: the mean over the 1 of 3 labels with predictions; PER, ORG: never predicted, precision "
        "undefined, not averaged (the seqeval convention counts them as 0)"
    )
    assert note in table.stdout.splitlines()
    convention = ("--per-label-convention", "seqeval")
    seqeval = run("eval", str(predictions), "--gold", str(gold), "--documents", str(documents), *convention)
    assert seqeval.exit_code == 0 and "macro precision:" not in seqeval.stdout
    markdown = run("eval", str(predictions), "--gold", str(gold), "--documents", str(documents), "--format", "markdown")
    assert "| entities.strict.f1 | 0.3333 |" in markdown.stdout and "### stance confusion" in markdown.stdout


def test_eval_writes_out_file_with_bootstrap(tmp_path):
    documents, gold = standard_corpus(tmp_path)
    predictions = write_predictions(tmp_path / "p.jsonl", [prediction()])
    out = tmp_path / "result" / "eval.json"
    result = run(
        "eval",
        str(predictions),
        "--gold",
        str(gold),
        "--documents",
        str(documents),
        "--format",
        "json",
        "--out",
        str(out),
        "--bootstrap",
        "100",
        "--seed",
        "5",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    reason = "1 document(s): resampling gives no interval"  # not a zero-width interval
    expected = {"low": None, "high": None, "resamples": 100, "seed": 5, "reason": reason}
    assert data["ci"]["entities.strict.f1"] == expected
    assert data["ci_warning"].startswith("bootstrap over 1 document(s)")
    assert data["signature"].endswith("|boot:100|seed:5")
    assert f"wrote {out}" in result.stderr
    assert "warning: bootstrap over 1 document(s)" in result.stderr
    table = run("eval", str(predictions), "--gold", str(gold), "--documents", str(documents), "--bootstrap", "100")
    assert f"95% CI: undefined ({reason})" in table.stdout.splitlines()  # the table says why it shows [–, –]


def test_missing_documents_are_said_on_stderr_when_the_result_is_json_or_a_file(tmp_path):
    """Without --require-complete an empty predictions file scores 0 with a warning line, whatever the format."""
    documents, gold = standard_corpus(tmp_path)
    empty = write_predictions(tmp_path / "empty.jsonl", [])
    full = write_predictions(tmp_path / "p.jsonl", [prediction()])
    warning = (
        "warning: 1 of 1 gold document(s) have no prediction, scored as predicting nothing: d1 "
        "(--require-complete refuses them)"
    )
    for extra in (
        ["--format", "json"],
        ["--out", str(tmp_path / "r.txt")],
        ["--format", "json", "--out", str(tmp_path / "r.json")],
    ):
        result = run("eval", str(empty), "--gold", str(gold), "--documents", str(documents), *extra)
        assert result.exit_code == 0 and warning in result.stderr.splitlines(), result.output
        complete = run("eval", str(full), "--gold", str(gold), "--documents", str(documents), *extra)
        assert complete.exit_code == 0 and "warning" not in complete.stderr
    table = run("eval", str(empty), "--gold", str(gold), "--documents", str(documents))
    assert "missing from the predictions (scored as predicting nothing): 1: d1" in table.stdout
    assert "warning" not in table.stderr  # the table on screen says it


def test_eval_bad_input_is_one_line_exit_2(tmp_path):
    documents, gold = standard_corpus(tmp_path)
    bad = prediction()
    bad["entities"][0]["label"] = "gpe"
    predictions = write_predictions(tmp_path / "p.jsonl", [bad])
    result = run("eval", str(predictions), "--gold", str(gold), "--documents", str(documents))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith(
        f"{predictions}:1: entities[0].label: 'gpe' is not allowed (expected one of: PER, "
    )
    assert "Traceback" not in result.output
    unknown = run("eval", str(predictions), "--gold", str(gold), "--documents", str(documents), "--format", "xml")
    assert unknown.exit_code == 2 and "--format: 'xml' is not one of 'table', 'json', 'markdown'" in unknown.stderr
    missing = run("eval", str(tmp_path / "nope.jsonl"), "--gold", str(gold), "--documents", str(documents))
    assert missing.exit_code == 2 and "nope.jsonl: file not found" in missing.stderr


def test_compare(tmp_path):
    documents, gold = standard_corpus(tmp_path)
    a = write_predictions(tmp_path / "a.jsonl", [prediction("SUPPORT")])
    b = write_predictions(tmp_path / "b.jsonl", [prediction("REFUTE")])
    result = run("compare", str(a), str(b), "--gold", str(gold), "--documents", str(documents), "--resamples", "50")
    assert result.exit_code == 0, result.output
    assert "entities.strict.f1" in result.stdout and "p-value" in result.stdout
    data = json.loads(
        run(
            "compare",
            str(a),
            str(b),
            "--gold",
            str(gold),
            "--documents",
            str(documents),
            "--resamples",
            "50",
            "--format",
            "json",
        ).stdout
    )
    assert data["figures"]["entities.strict.f1"]["difference"] == 0.0


def test_help_explains_every_figure():
    result = run("eval", "--help")
    assert result.exit_code == 0
    for figure in (
        "entities.<scheme>",
        "entities.per_label",
        "entities.macro",
        "claims.strict",
        "claims.overlap",
        "claimer.accuracy",
        "stance.accuracy",
        "stance.macro_f1",
        "stance.f_avg",
        "stance.confusion",
        "end_to_end",
        "overall",
        "ci",
        "signature",
    ):
        assert figure in result.stdout, figure


def test_eval_against_a_folder_built_by_toolkit_build(tmp_path):
    documents, gold = standard_corpus(tmp_path)
    built = tmp_path / "voci"
    build = run(
        "build",
        "--documents",
        str(documents),
        "--gold",
        str(gold),
        "--out",
        str(built),
        "--card",
        str(tmp_path / "card.md"),
        "--agreement",
        str(tmp_path / "none.json"),
        "--scores",
        str(tmp_path / "none.json"),
        "--ratios",
        "test=1",
    )
    assert build.exit_code == 0, build.output
    predictions = write_predictions(tmp_path / "p.jsonl", [prediction()])
    from_build = json.loads(
        run("eval", str(predictions), "--gold", str(built), "--split", "test", "--format", "json").stdout
    )
    from_jsonl = json.loads(
        run("eval", str(predictions), "--gold", str(gold), "--documents", str(documents), "--format", "json").stdout
    )
    assert from_build["settings"]["gold_hash"] == from_jsonl["settings"]["gold_hash"]
    assert from_build["entities"] == from_jsonl["entities"] and from_build["end_to_end"] == from_jsonl["end_to_end"]
    assert "|split:test|" in from_build["signature"]
    wrong_split = run("eval", str(predictions), "--gold", str(built), "--split", "train")
    assert wrong_split.exit_code == 2 and "--split: 'train' is not a split of" in wrong_split.stderr
    assert wrong_split.stderr.strip().endswith("(splits there: test)")


def test_engine_option_and_environment_variable(tmp_path, monkeypatch):
    """``--engine reference`` (or VOCI_SCORER_ENGINE) gives the same JSON apart from the engine; ``--verbose`` says
    which paths were taken; an unknown engine is a one-line error."""
    documents, gold = standard_corpus(tmp_path)
    predictions = str(write_predictions(tmp_path / "p.jsonl", [prediction()]))
    common = ("eval", predictions, "--gold", str(gold), "--documents", str(documents), "--format", "json")
    fast = json.loads(run(*common).stdout)
    reference = run(*common, "--engine", "reference", "--verbose")
    assert reference.exit_code == 0 and "engine: reference; predictions validated record by record" in reference.stderr
    checked = json.loads(reference.stdout)
    assert checked["settings"].pop("engine") == "reference" and fast["settings"].pop("engine") == "fast"
    assert checked.pop("signature") == fast.pop("signature") + "|engine:reference" and checked == fast
    monkeypatch.setenv("VOCI_SCORER_ENGINE", "reference")
    assert json.loads(run(*common).stdout)["settings"]["engine"] == "reference"
    assert json.loads(run(*common, "--engine", "fast").stdout)["settings"]["engine"] == "fast"  # the option wins
    monkeypatch.setenv("VOCI_SCORER_ENGINE", "turbo")
    unknown = run(*common)
    assert unknown.exit_code == 2 and unknown.stderr.strip() == (
        "error: [E100] VOCI_SCORER_ENGINE: 'turbo' is not a scoring engine (expected one of: fast, reference)"
    )
    assert "--engine: 'turbo'" in run(*common, "--engine", "turbo").stderr
