"""Export → per-annotator records: every failure located, nothing silently dropped."""

from __future__ import annotations

import copy
import json

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.documents import make_document
from toolkit.files import read_jsonl, write_jsonl
from toolkit.labelstudio.convert import AnnotationRejected, convert_annotation, convert_tasks
from toolkit.labelstudio.tasks import record_to_result, task_data

TEXT = "🙂 «Il PIL crescerà», ha detto Mario Draghi all’ISTAT; “non è vero”, rispondono i media."
DOCUMENT = make_document("doc-1", TEXT, "it")


def _span(fragment: str) -> tuple[int, int]:
    start = TEXT.index(fragment)
    return start, start + len(fragment)


def _record():
    e1, e2 = _span("Mario Draghi"), _span("ISTAT")
    c1, c2 = _span("Il PIL crescerà"), _span("non è vero")
    return {
        "id": "doc-1",
        "text_sha256": DOCUMENT["text_sha256"],
        "entities": [
            {"id": "e1", "start": e1[0], "end": e1[1], "label": "PER", "text": "Mario Draghi"},
            {"id": "e2", "start": e2[0], "end": e2[1], "label": "ORG", "text": "ISTAT"},
        ],
        "claims": [
            {
                "id": "c1",
                "start": c1[0],
                "end": c1[1],
                "text": "Il PIL crescerà",
                "stance": "SUPPORT",
                "claimer": {"kind": "entity", "entity_ids": ["e1"]},
            },
            {
                "id": "c2",
                "start": c2[0],
                "end": c2[1],
                "text": "non è vero",
                "stance": "REFUTE",
                "claimer": {"kind": "unnamed", "entity_ids": []},
            },
        ],
    }


def _annotation(annotation_id, result, user=1, **extra):
    return {
        "id": annotation_id,
        "completed_by": user,
        "result": result,
        "was_cancelled": False,
        "ground_truth": False,
        "created_at": f"2026-01-0{annotation_id}T10:00:00Z",
        "lead_time": 12.5,
        **extra,
    }


def _task(*annotations, task_id=7):
    return {"id": task_id, "data": task_data(DOCUMENT), "annotations": list(annotations), "predictions": []}


def _reasons(result):
    with pytest.raises(AnnotationRejected) as caught:
        convert_annotation(result, TEXT)
    return caught.value.reasons


def test_emoji_offsets_are_code_points():
    start, _ = _span("Il PIL")
    assert TEXT[0] == "🙂" and start == 3  # UTF-16 would say 4


def test_round_trip_keeps_ids_and_provenance():
    outcome = convert_tasks([_task(_annotation(1, record_to_result(_record())))], users={1: "anna@example.org"})
    assert outcome.problems == []
    (record,) = outcome.records
    assert record == {
        "id": "doc-1",
        "text_sha256": DOCUMENT["text_sha256"],
        "annotator": "anna@example.org",
        "annotation_id": 1,
        "task_id": 7,
        "created_at": "2026-01-01T10:00:00Z",
        "lead_time": 12.5,
        "ground_truth": False,
        **{k: _record()[k] for k in ("entities", "claims")},
    }


def test_relation_direction_does_not_matter():
    forward = record_to_result(_record())
    backward = [
        dict(item, from_id=item["to_id"], to_id=item["from_id"]) if item["type"] == "relation" else item
        for item in forward
    ]
    assert forward != backward
    assert convert_annotation(forward, TEXT) == convert_annotation(backward, TEXT)


def test_unlabelled_relation_counts_as_claimer():
    result = [dict(item, labels=[]) if item["type"] == "relation" else item for item in record_to_result(_record())]
    assert convert_annotation(result, TEXT)[1][0]["claimer"] == {"kind": "entity", "entity_ids": ["e1"]}


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (
            lambda r: r[0]["value"].update(start=r[0]["value"]["start"] + 1),
            "span text 'Mario Draghi' differs from the document text",
        ),
        (lambda r: r[0]["value"].update(start=500, end=510), "offsets 500..510 are outside the text"),
        (
            lambda r: r[0]["value"].update(labels=["PERSON"]),
            "unknown entity label 'PERSON' (expected one of: DATE, EVENT",
        ),
        (lambda r: r[0].update(from_name="ner"), "from_name 'ner' is not in the voci config"),
        (
            lambda r: r.remove(next(i for i in r if i.get("from_name") == "stance" and i["id"] == "c1")),
            "claim c1 ('Il PIL crescerà'): stance missing",
        ),
        (
            lambda r: r.remove(next(i for i in r if i["type"] == "relation")),
            "claim c1 ('Il PIL crescerà'): claim without claimer",
        ),
        (
            lambda r: next(i for i in r if i["type"] == "relation").update(to_id="gone"),
            "relation 'e1' → 'gone': relation to nothing ('gone' is not a region",
        ),
        (
            lambda r: next(i for i in r if i["type"] == "relation").update(labels=["cites"]),
            "labels ['cites'] (expected 'claimer' or none)",
        ),
        (
            lambda r: r.append(
                {
                    "id": "c1",
                    "from_name": "attribution",
                    "to_name": "text",
                    "type": "choices",
                    "value": {**{k: r[2]["value"][k] for k in ("start", "end", "text")}, "choices": ["author"]},
                }
            ),
            "both a claimer relation and the attribution 'author'",
        ),
        (
            lambda r: r.append(
                {
                    "id": "e1",
                    "from_name": "stance",
                    "to_name": "text",
                    "type": "choices",
                    "value": {**{k: r[0]["value"][k] for k in ("start", "end", "text")}, "choices": ["SUPPORT"]},
                }
            ),
            "region e1: stance chosen on an entity mention",
        ),
    ],
)
def test_each_broken_annotation_is_rejected_with_its_reason(break_it, expected):
    result = record_to_result(_record())
    break_it(result)
    reasons = _reasons(result)
    assert any(expected in reason for reason in reasons), reasons


def test_record_checks_of_the_validator_apply():
    result = record_to_result(_record())
    result.append(copy.deepcopy(result[0]) | {"id": "e9"})
    outcome = convert_tasks([_task(_annotation(1, result))])
    assert outcome.records == []
    assert [p.reason for p in outcome.problems] == [
        "entities[1]: duplicate of entities[0] (expected each span and label once)"
    ]


def test_bad_annotations_are_listed_the_good_ones_kept_cancelled_counted():
    good = _annotation(1, record_to_result(_record()), user={"id": 1, "email": "anna@example.org"})
    bad_result = record_to_result(_record())
    bad_result[0]["value"]["labels"] = ["XYZ"]
    bad = _annotation(2, bad_result, user=2)
    cancelled = _annotation(3, [], user=3, was_cancelled=True)
    outcome = convert_tasks([_task(good, bad, cancelled)])
    assert [r["annotator"] for r in outcome.records] == ["anna@example.org"]
    assert (outcome.submitted, outcome.cancelled) == (2, 1)
    assert {(p.task_id, p.annotation_id, p.annotator, p.doc_id) for p in outcome.problems} == {
        (7, 2, "user-2", "doc-1")
    }
    assert [str(p) for p in outcome.problems] == [
        # its only claimer relation went to the bad region
        "task 7, annotation 2 by user-2 (document doc-1): claim c1 ('Il PIL crescerà'): claim without claimer "
        "(expected a 'claimer' relation to a mention or an attribution choice)",
        "task 7, annotation 2 by user-2 (document doc-1): region e1: unknown entity label 'XYZ' "
        "(expected one of: DATE, EVENT, FAC, GPE, LOC, NORP, ORG, PER, QUANTITY)",
    ]


def test_same_annotator_twice_keeps_the_latest_and_reports_the_other():
    first, second = _annotation(1, record_to_result(_record())), _annotation(2, record_to_result(_record()))
    outcome = convert_tasks([_task(first, second)])
    assert [r["annotation_id"] for r in outcome.records] == [2]
    assert [p.annotation_id for p in outcome.problems] == [1] and "superseded by annotation 2" in outcome.problems[
        0
    ].reason


def test_text_changed_since_import_is_reported():
    task = _task(_annotation(1, record_to_result(_record())))
    task["data"]["text"] = TEXT + " aggiunta"
    outcome = convert_tasks([task])
    assert outcome.records == [] and "does not match its data.text_sha256" in outcome.problems[0].reason


def test_documents_file_cross_check():
    other = make_document("doc-1", "Un altro testo.", "it")
    outcome = convert_tasks([_task(_annotation(1, record_to_result(_record())))], documents={"doc-1": other})
    assert "task text differs from document 'doc-1' in the documents file" in outcome.problems[0].reason


def test_cli_convert_export_writes_per_annotator_files_and_is_stable(tmp_path):
    export = tmp_path / "export.json"
    bob = _record()
    bob["claims"][1]["stance"] = "NEUTRAL"
    export.write_text(
        json.dumps(
            [
                _task(
                    _annotation(1, record_to_result(_record()), user={"id": 1, "email": "anna@example.org"}),
                    _annotation(2, record_to_result(bob), user={"id": 2, "email": "bob@example.org"}),
                )
            ]
        ),
        encoding="utf-8",
    )
    write_jsonl(tmp_path / "docs.jsonl", [DOCUMENT])
    out = tmp_path / "out"
    args = ["convert-export", str(export), "--out", str(out), "--documents", str(tmp_path / "docs.jsonl")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    anna, bob_records = (
        read_jsonl(out / "annotators" / "anna-example.org.jsonl"),
        read_jsonl(out / "annotators" / "bob-example.org.jsonl"),
    )
    assert anna[0]["claims"][1]["stance"] == "REFUTE" and bob_records[0]["claims"][1]["stance"] == "NEUTRAL"
    assert (out / "conversion-problems.txt").read_text() == ""
    validated = CliRunner().invoke(
        app,
        ["validate", str(out / "annotators" / "anna-example.org.jsonl"), "--documents", str(tmp_path / "docs.jsonl")],
    )
    assert validated.exit_code == 0, validated.output
    mtimes = {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()}
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0 and "3 file(s) unchanged" in again.output
    assert mtimes == {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()}


def test_cli_convert_export_bad_inputs(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(app, ["convert-export", str(tmp_path / "nope.json"), "--out", str(tmp_path)])
    assert missing.exit_code == 2 and "nope.json: file not found" in missing.output
    (tmp_path / "min.json").write_text('{"text": "x"}', encoding="utf-8")
    not_list = runner.invoke(app, ["convert-export", str(tmp_path / "min.json"), "--out", str(tmp_path)])
    assert not_list.exit_code == 2 and "expected the list of tasks" in not_list.output
    bad_result = record_to_result(_record())
    bad_result[2]["value"]["end"] += 1
    (tmp_path / "bad.json").write_text(json.dumps([_task(_annotation(4, bad_result))]), encoding="utf-8")
    bad = runner.invoke(app, ["convert-export", str(tmp_path / "bad.json"), "--out", str(tmp_path / "o")])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert "bad.json: task 7 annotation 4 (user-1, doc-1): region c1: span text" in bad.output
    assert "1 annotation(s) not converted" in bad.output
    assert "annotation 4 by user-1" in (tmp_path / "o" / "conversion-problems.txt").read_text()
