"""`toolkit agree` as a user runs it: inputs checked record by record, JSON the dataset card can quote, a Markdown
report that stays a table."""

from __future__ import annotations

import json

import pytest
from agreement_data import OTHER_TEXT, TEXT, claim, entity, record, write_documents, write_records
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.markdown import escape_markdown, in_context

runner = CliRunner()


def two_annotators(tmp_path):
    alice = record(
        "d1",
        "alice",
        [entity("Mario Rossi", "PER", "e1"), entity("Russia", "GPE", "e2")],
        [
            claim("la Russia è grande", "SUPPORT", "entity", ["e1"], "c1"),
            claim("Roma sia piccola", "REFUTE", claim_id="c2"),
        ],
    )
    bob = record(
        "d1",
        "bob",
        [entity("Mario Rossi", "PER", "x1"), entity("Russia", "LOC", "x2")],
        [
            claim("la Russia è grande", "SUPPORT", "entity", ["x1"], "k1"),
            claim("Roma sia piccola", "NEUTRAL", claim_id="k2"),
        ],
    )
    # d2 holds a name with a pipe and backticks: it must not break the report table
    tricky = OTHER_TEXT.index("Milano | `Torino`")
    odd = {
        "id": "e1",
        "start": tricky,
        "end": tricky + len("Milano | `Torino`"),
        "label": "GPE",
        "text": "Milano | `Torino`",
    }
    carol_d2 = record("d2", "alice", [odd], [])
    bob_d2 = record("d2", "bob", [], [])
    documents = write_documents(tmp_path)
    first = write_records(tmp_path / "alice.jsonl", [alice, carol_d2])
    second = write_records(tmp_path / "bob.jsonl", [bob, bob_d2])
    return documents, first, second


def test_agree_writes_json_and_report(tmp_path):
    documents, first, second = two_annotators(tmp_path)
    out, report = tmp_path / "agreement.json", tmp_path / "report.md"
    result = runner.invoke(
        app,
        [
            "agree",
            str(first),
            str(second),
            "--documents",
            str(documents),
            "--format",
            "json",
            "--out",
            str(out),
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "entities: mean pairwise F1 strict 0.400, overlap 0.400" in result.stdout  # 1 match of 3 + 2 entities
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["entities"]["strict"]["mean_pairwise_f1"] == 2 / 5
    assert figures["claims"]["overlap"]["mean_pairwise_f1"] == 1.0
    assert figures["stance"]["percent_agreement"] == 0.5
    assert figures["claimer"]["percent_agreement"] == 1.0
    assert figures["claimer"]["krippendorff_alpha"] == 1.0  # two claimer values, always agreed
    assert figures["stance"]["krippendorff_alpha"] == pytest.approx(0.4)
    assert figures["pairs"][0]["annotators"] == ["alice", "bob"]
    assert figures["inputs"] == [str(first), str(second)]
    text = report.read_text(encoding="utf-8")
    assert "## d1" in text and "## d2" in text
    assert "different label" in text and "different stance" in text and "marked only by alice" in text


def test_report_tables_survive_pipes_and_backticks(tmp_path):
    documents, first, second = two_annotators(tmp_path)
    report = tmp_path / "report.md"
    assert (
        runner.invoke(
            app, ["agree", str(first), str(second), "--documents", str(documents), "--report", str(report)]
        ).exit_code
        == 0
    )
    tokens = MarkdownIt("commonmark").enable("table").parse(report.read_text(encoding="utf-8"))
    rows, row = [], None
    for token in tokens:
        if token.type == "tr_open":
            row = []
        elif token.type in ("th_open", "td_open"):
            row.append("")
        elif token.type == "inline" and row is not None:
            row[-1] += "".join(child.content for child in token.children if child.type in ("text", "code_inline"))
        elif token.type == "tr_close":
            rows.append(row)
            row = None
    assert rows and all(len(cells) == 6 for cells in rows)  # #, layer, disagreement, context, alice, bob
    assert any("Milano | `Torino`" in cells[3] for cells in rows)  # shown as typed, not as code, not split
    assert not any(token.type == "code_inline" for block in tokens if block.children for token in block.children)


def test_escape_and_context():
    assert escape_markdown("a|b `c` *d* <e>\nf") == "a\\|b \\`c\\` \\*d\\* &lt;e&gt; ↵ f"
    assert in_context("0123456789", 4, 6, width=2) == "…23**45**67…"
    assert in_context("0123", 0, 4, width=2) == "**0123**"
    text = "quando la Corea del Nord ha lanciato"
    start = text.index("Corea del Nord")
    assert in_context(text, start, start + len("Corea del Nord"), width=4) == "… la **Corea del Nord** ha …"
    assert in_context('x, "Corea" y', 3, 10, width=3) == 'x, **"Corea"** y'  # the words around stay apart


def test_json_to_stdout_keeps_stdout_parseable(tmp_path):
    documents, first, second = two_annotators(tmp_path)
    result = runner.invoke(app, ["agree", str(first), str(second), "--documents", str(documents), "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["counts"]["documents_with_2_or_more_annotators"] == 2
    assert "mean pairwise F1" in result.stderr


def test_one_annotator_explains_itself(tmp_path):
    documents, first, _ = two_annotators(tmp_path)
    out = tmp_path / "agreement.json"
    result = runner.invoke(
        app,
        [
            "agree",
            str(first),
            "--documents",
            str(documents),
            "--format",
            "json",
            "--out",
            str(out),
            "--report",
            str(tmp_path / "r.md"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "no agreement: no document was annotated by two or more annotators (1 annotator(s): alice)" in result.stdout
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["comparable"] is False and figures["stance"]["krippendorff_alpha"] is None
    assert "Documents with one annotator" in (tmp_path / "r.md").read_text(encoding="utf-8")


def test_seed_article_with_one_annotator(tmp_path):
    """The real seed document, annotated by one person: a clean, explained null."""
    from pathlib import Path

    from toolkit.validate import load_documents

    documents_path = Path(__file__).resolve().parent.parent / "annotations" / "documents.jsonl"
    document = next(iter(load_documents(documents_path).values()))
    start = document["text"].index("Kim Jong Un")
    annotation = {
        "id": document["id"],
        "text_sha256": document["text_sha256"],
        "annotator": "seed",
        "entities": [{"id": "e1", "start": start, "end": start + 11, "label": "PER", "text": "Kim Jong Un"}],
        "claims": [],
    }
    path = write_records(tmp_path / "seed.jsonl", [annotation])
    result = runner.invoke(app, ["agree", str(path), "--documents", str(documents_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["entities"]["strict"]["mean_pairwise_f1"] is None
    assert figures["counts"]["documents_per_annotator"] == {"seed": 1}


def _invoke_with(tmp_path, records, name="bad.jsonl"):
    documents = write_documents(tmp_path)
    path = write_records(tmp_path / name, records)
    return runner.invoke(app, ["agree", str(path), "--documents", str(documents)]), path


def test_gold_record_without_annotator_is_refused(tmp_path):
    gold = record("d1", "x", [], [])
    del gold["annotator"]
    result, path = _invoke_with(tmp_path, [gold])
    assert result.exit_code == 2
    assert f"{path}:1: annotator: missing (expected the annotator's name" in result.stderr
    assert "Traceback" not in result.output


def test_two_records_of_one_document_by_one_annotator_are_refused(tmp_path):
    result, path = _invoke_with(
        tmp_path, [record("d1", "alice", [], []), record("d2", "alice", [], []), record("d1", "alice", [], [])]
    )
    assert result.exit_code == 2
    assert (
        f"{path}:3: annotator: second record of document 'd1' by 'alice' "
        f"(expected one record per document per annotator; first at {path}:1)"
    ) in result.stderr


def test_bad_offsets_and_labels_are_located(tmp_path):
    wrong_text = record("d1", "alice", [dict(entity("Mario Rossi", "PER", "e1"), text="Maria Rossi")], [])
    bad_label = record("d1", "bob", [dict(entity("Mario Rossi", "PER", "e1"), label="PERSON")], [])
    result, path = _invoke_with(tmp_path, [wrong_text, bad_label, "not an object"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert any(line.startswith(f"{path}:1: entities[0].text: 'Maria Rossi' does not match") for line in lines)
    assert any(line.startswith(f"{path}:2: entities[0].label: 'PERSON' is not allowed") for line in lines)
    assert any(line.startswith(f"{path}:3: (record): got a JSON string") for line in lines)


def test_missing_file(tmp_path):
    documents = write_documents(tmp_path)
    result = runner.invoke(app, ["agree", str(tmp_path / "nope.jsonl"), "--documents", str(documents)])
    assert result.exit_code == 2
    assert "nope.jsonl: file not found" in result.stderr


def test_the_report_shows_claimer_names_as_written_and_compares_them_case_folded():
    """Two annotators naming "Mario Rossi" and "MARIO ROSSI" agree on the claimer; the report writes the names as
    the text has them (never "entity: mario rossi")."""
    from toolkit.agreement.records import claimer_shown, claimer_value
    from toolkit.agreement.report import document_disagreements

    said = "la Russia è grande"
    first = record("d1", "alice", [entity("Mario Rossi", "PER", "e1")], [claim(said, "SUPPORT", "entity", ("e1",))])
    shouted = {**entity("Mario Rossi", "PER", "e9"), "text": "MARIO  ROSSI"}
    second = record("d1", "bob", [shouted], [claim(said, "REFUTE", "entity", ("e9",))])
    assert (
        claimer_value(first["claims"][0], first) == claimer_value(second["claims"][0], second) == "entity: mario rossi"
    )
    assert claimer_shown(first["claims"][0], first) == "entity: Mario Rossi"
    assert claimer_shown(second["claims"][0], second) == "entity: MARIO ROSSI"
    (row,) = [row for row in document_disagreements({"alice": first, "bob": second}, TEXT) if row["layer"] == "claims"]
    assert row["disagreement"] == "different stance"
    start, end = TEXT.index(said), TEXT.index(said) + len(said)
    assert row["cells"] == {
        "alice": f"SUPPORT · entity: Mario Rossi · {start}–{end}",
        "bob": f"REFUTE · entity: MARIO ROSSI · {start}–{end}",
    }
