"""Documents and pre-annotations → Label Studio tasks; records → editor results."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.documents import make_document
from toolkit.files import write_jsonl
from toolkit.labelstudio.annotations.reading import convert_annotation
from toolkit.labelstudio.config import NAMES
from toolkit.labelstudio.tasks import ConversionNotes, build_task, prediction_to_result, record_to_result

TEXT = "Secondo l’ISTAT il PIL crescerà, ha detto Mario Draghi."


def _record():
    istat = TEXT.index("ISTAT")
    draghi = TEXT.index("Mario Draghi")
    claim = TEXT.index("il PIL crescerà")
    return {
        "id": "d1",
        "text_sha256": make_document("d1", TEXT, "it")["text_sha256"],
        "entities": [
            {"id": "e1", "start": istat, "end": istat + 5, "label": "ORG", "text": "ISTAT"},
            {"id": "e2", "start": draghi, "end": draghi + 12, "label": "PER", "text": "Mario Draghi"},
        ],
        "claims": [
            {
                "id": "c1",
                "start": claim,
                "end": claim + 15,
                "text": "il PIL crescerà",
                "stance": "SUPPORT",
                "claimer": {"kind": "entity", "entity_ids": ["e1", "e2"]},
            },
        ],
    }


def test_task_data_carries_ids_hash_and_metadata():
    document = make_document("d1", TEXT, "it", title="Titolo", url="https://example.org/a", split="test")
    task = build_task(document)
    expected = {
        "text": TEXT,
        "doc_id": "d1",
        "text_sha256": document["text_sha256"],
        "lang": "it",
        "title": "Titolo",
        "url": "https://example.org/a",
        "split": "test",
    }
    assert task == {"data": expected}


def test_record_to_result_is_what_the_editor_submits_and_converts_back():
    record = _record()
    result = record_to_result(record)
    kinds = [(item["type"], item.get("from_name")) for item in result]
    assert kinds == [
        ("labels", NAMES.entity),
        ("labels", NAMES.entity),
        ("labels", NAMES.claim),
        ("choices", NAMES.stance),
        ("choices", NAMES.claimer),
        ("relation", None),
        ("relation", None),
    ]
    assert [item["value"]["labels"] for item in result[:3]] == [["ORG"], ["PER"], ["CLAIM"]]
    stance_value = {"start": 16, "end": 31, "text": "il PIL crescerà", "choices": ["SUPPORT"]}
    assert result[3] == {"id": "c1", "from_name": "stance", "to_name": "text", "type": "choices", "value": stance_value}
    assert result[4]["id"] == "c1" and result[4]["value"]["choices"] == ["entity"]
    assert result[5] == {
        "from_id": "e1",
        "to_id": "c1",
        "type": "relation",
        "direction": "right",
        "labels": ["claimer"],
    }
    entities, claims = convert_annotation(result, TEXT)
    assert entities == record["entities"] and claims == record["claims"]


def test_claimer_without_mention_is_a_per_region_choice_and_no_relation():
    record = _record()
    record["claims"][0]["claimer"] = {"kind": "author", "entity_ids": []}
    result = record_to_result(record, TEXT)
    (choice,) = [item for item in result if item.get("from_name") == NAMES.claimer]
    assert choice["id"] == "c1" and choice["value"]["choices"] == ["author"]
    assert not [item for item in result if item["type"] == "relation"]


def test_prediction_claimer_span_links_to_the_predicted_entity():
    draghi, claim = TEXT.index("Mario Draghi"), TEXT.index("il PIL crescerà")
    prediction = {
        "id": "d1",
        "entities": [{"start": draghi, "end": draghi + 12, "label": "PER", "score": 0.5}],
        "claims": [
            {"start": claim, "end": claim + 15, "stance": "REFUTE", "claimer": {"start": draghi, "end": draghi + 12}},
            {"start": 0, "end": 7, "stance": "NEUTRAL", "claimer": "UNNAMED"},
            {"start": 8, "end": 15, "stance": "SUPPORT", "claimer": {"start": 0, "end": 3}},
        ],
    }
    notes = ConversionNotes()
    result = prediction_to_result(prediction, TEXT, notes)
    assert {"from_id": "e0", "to_id": "c0", "type": "relation", "direction": "right", "labels": ["claimer"]} in result
    assert result[0]["score"] == 0.5 and result[0]["value"]["text"] == "Mario Draghi"
    claimers = [item for item in result if item.get("from_name") == NAMES.claimer]
    # an unlinked claimer span gets no claimer choice: the editor asks the annotator for one
    assert [(c["id"], c["value"]["choices"]) for c in claimers] == [("c0", ["entity"]), ("c1", ["unnamed"])]
    assert notes.unlinked_claimers == ["d1: claims[2].claimer 0..3"]
    assert {"id": "c2", "from_name": "stance"}.items() <= [
        i for i in result if i.get("id") == "c2" and i["type"] == "choices"
    ][0].items()


def test_cli_tasks_with_predictions(tmp_path):
    document = make_document("d1", TEXT, "it")
    write_jsonl(tmp_path / "docs.jsonl", [document, make_document("d2", "Altro testo.", "it")])
    draghi = TEXT.index("Mario Draghi")
    write_jsonl(
        tmp_path / "pred.jsonl", [{"id": "d1", "entities": [{"start": draghi, "end": draghi + 12, "label": "PER"}]}]
    )
    out = tmp_path / "tasks.json"
    result = CliRunner().invoke(
        app,
        [
            "tasks",
            str(tmp_path / "docs.jsonl"),
            "--out",
            str(out),
            "--predictions",
            str(tmp_path / "pred.jsonl"),
            "--model-version",
            "rules-1",
        ],
    )
    assert result.exit_code == 0, result.output
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert [task["data"]["doc_id"] for task in tasks] == ["d1", "d2"]
    assert tasks[0]["predictions"][0]["model_version"] == "rules-1"
    assert tasks[0]["predictions"][0]["result"][0]["value"] == {
        "start": draghi,
        "end": draghi + 12,
        "text": "Mario Draghi",
        "labels": ["PER"],
    }
    assert "predictions" not in tasks[1]
    assert "2 task(s), 1 with pre-annotations" in result.output


def test_cli_tasks_bad_prediction_is_one_line_exit_2(tmp_path):
    write_jsonl(tmp_path / "docs.jsonl", [make_document("d1", TEXT, "it")])
    write_jsonl(tmp_path / "pred.jsonl", [{"id": "d1", "entities": [{"start": 5, "end": 500, "label": "PER"}]}])
    result = CliRunner().invoke(
        app,
        [
            "tasks",
            str(tmp_path / "docs.jsonl"),
            "--out",
            str(tmp_path / "t.json"),
            "--predictions",
            str(tmp_path / "pred.jsonl"),
        ],
    )
    assert result.exit_code == 2
    assert "pred.jsonl:1: entities[0].end: 500 is past the end of the text" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "t.json").exists()
