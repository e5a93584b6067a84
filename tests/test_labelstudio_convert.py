"""Export → per-annotator records: every failure located, nothing silently dropped."""

from __future__ import annotations

import copy
import json

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.documents import make_document
from toolkit.files import read_jsonl, write_jsonl
from toolkit.labelstudio.annotations.reading import AnnotationRejected, convert_annotation, read_annotation
from toolkit.labelstudio.annotations.store import convert_tasks
from toolkit.labelstudio.annotations.writing import WrittenFiles
from toolkit.labelstudio.report import conversion_summary
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
    return {
        "id": task_id,
        "project": 3,
        "data": task_data(DOCUMENT),
        "annotations": list(annotations),
        "predictions": [],
    }


def _reasons(result):
    with pytest.raises(AnnotationRejected) as caught:
        convert_annotation(result, TEXT)
    return caught.value.reasons


def test_emoji_offsets_are_code_points():
    start, _ = _span("Il PIL")
    assert TEXT[0] == "🙂" and start == 3  # UTF-16 would say 4


def _convert(*tasks, **options):
    return convert_tasks(list(tasks), **options)


def test_round_trip_keeps_ids_and_provenance():
    outcome = _convert(_task(_annotation(1, record_to_result(_record()))), users={1: "anna@example.org"})
    assert outcome.problems() == [] and outcome.notes() == []
    (record,) = outcome.records()
    assert record == {
        "id": "doc-1",
        "text_sha256": DOCUMENT["text_sha256"],
        "annotator": "anna@example.org",
        "annotator_kind": "person",
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


def test_unlabelled_relation_counts_as_claimer_and_is_noted():
    # what the editor submits for a relation drawn with Alt+R and never labelled: no "labels" key at all
    result = [
        {k: v for k, v in item.items() if k != "labels"} if item["type"] == "relation" else item
        for item in record_to_result(_record())
    ]
    assert convert_annotation(result, TEXT)[1][0]["claimer"] == {"kind": "entity", "entity_ids": ["e1"]}
    outcome = _convert(
        _task(_annotation(1, result)), task_link=lambda task, annotation: "http://ls/projects/3/data?task=7"
    )
    assert len(outcome.records()) == 1 and outcome.problems() == []
    assert outcome.notes() == [], "the documented gesture: no note per claim ..."
    assert outcome.summary().unlabelled_claimers == 1, "... but one count for the whole conversion"
    # two annotators; the first one's older annotation is replaced, so not counted
    two = _convert(_task(_annotation(1, result), _annotation(2, result, user=2), _annotation(3, result)))
    assert two.summary().unlabelled_claimers == 2 and two.summary().superseded == 1
    lines: list[str] = []
    conversion_summary(two.summary(), WrittenFiles(), "export.json", lines.append)
    assert [line for line in lines if "note" in line] == [
        "note: 2 claim(s) take their claimer from a relation drawn without a label (Alt+R), read as 'claimer'"
    ]


def _claimer_choice(result, claim_id):
    return next(i for i in result if i.get("from_name") == "claimer" and i["id"] == claim_id)


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (
            lambda r: r[0]["value"].update(start=r[0]["value"]["start"] + 1),
            "PER “Mario Draghi” 31..42: the text at 31..42 is “ario Draghi” (was the task text changed?)",
        ),
        (
            lambda r: r[0]["value"].update(start=500, end=510),
            "PER “Mario Draghi” 500..510: outside the text (expected 0 <= start < end <= 87)",
        ),
        (
            lambda r: r[0]["value"].update(labels=["PERSON"]),
            "PERSON “Mario Draghi” 30..42: labels ['PERSON'] (expected one of: DATE, EVENT",
        ),
        (
            lambda r: r[0].update(from_name="entity"),
            "result[0].from_name 'entity' is not in the voci config (expected one of: label, stance, claimer;",
        ),
        (
            lambda r: r.remove(next(i for i in r if i.get("from_name") == "stance" and i["id"] == "c1")),
            "CLAIM “Il PIL crescerà” 3..18: no stance (expected one of: SUPPORT, REFUTE, NEUTRAL)",
        ),
        (
            lambda r: r.remove(_claimer_choice(r, "c1")),
            "CLAIM “Il PIL crescerà” 3..18: no claimer chosen (expected one of: entity, author, unnamed)",
        ),
        (
            lambda r: r.remove(next(i for i in r if i["type"] == "relation")),
            "CLAIM “Il PIL crescerà” 3..18: claimer 'entity' without a relation to the mention naming it "
            "(select the claim, press Alt+R, click the mention)",
        ),
        (
            lambda r: _claimer_choice(r, "c1")["value"].update(choices=["author"]),
            "CLAIM “Il PIL crescerà” 3..18: claimer 'author' and a relation to PER “Mario Draghi” 30..42 "
            "(expected a relation only with claimer 'entity': delete the relation “Il PIL crescerà” – “Mario Draghi” "
            "in the side panel's Relations list, or choose 'entity')",
        ),
        (
            lambda r: next(i for i in r if i["type"] == "relation").update(to_id="gone"),
            "relation PER “Mario Draghi” 30..42: one end ('gone') is not a region of this annotation",
        ),
        (
            lambda r: next(i for i in r if i["type"] == "relation").update(labels=["cites"]),
            "relation PER “Mario Draghi” 30..42 → CLAIM “Il PIL crescerà” 3..18: labelled ['cites'] "
            "(expected 'claimer' or none)",
        ),
        (
            lambda r: r.append(dict(r[0], value=dict(r[0]["value"], labels=["CLAIM"]))),
            "PER/CLAIM “Mario Draghi” 30..42: 2 labels (expected one per region)",
        ),
    ],
)
def test_each_broken_annotation_is_rejected_with_a_message_naming_the_region(break_it, expected):
    result = record_to_result(_record())
    break_it(result)
    reasons = _reasons(result)
    assert any(reason.startswith(expected) for reason in reasons), reasons


def test_every_problem_of_an_annotation_is_reported_at_once():
    result = record_to_result(_record())
    result.remove(next(i for i in result if i.get("from_name") == "stance" and i["id"] == "c1"))
    result.remove(_claimer_choice(result, "c1"))
    _claimer_choice(result, "c2")["value"]["choices"] = ["entity"]
    result[1]["value"]["labels"] = ["XYZ"]
    assert _reasons(result) == [
        "XYZ “ISTAT” 47..52: labels ['XYZ'] (expected one of: DATE, EVENT, FAC, GPE, LOC, NORP, ORG, PER, QUANTITY, "
        "CLAIM; one label per region)",
        "CLAIM “Il PIL crescerà” 3..18: no stance (expected one of: SUPPORT, REFUTE, NEUTRAL)",
        "CLAIM “Il PIL crescerà” 3..18: no claimer chosen (expected one of: entity, author, unnamed)",
        "CLAIM “non è vero” 55..65: claimer 'entity' without a relation to the mention naming it "
        "(select the claim, press Alt+R, click the mention)",
    ]


def test_choices_on_a_mention_are_ignored_with_a_note():
    """The editor never submits them (a per-region choice with whenLabelValue is dropped from other regions);
    an export made otherwise gets the same reading, said in a note."""
    result = record_to_result(_record())
    result.append(
        {
            "id": "e1",
            "from_name": "stance",
            "to_name": "text",
            "type": "choices",
            "value": {**{k: result[0]["value"][k] for k in ("start", "end", "text")}, "choices": ["SUPPORT"]},
        }
    )
    read = read_annotation(result, TEXT)
    assert read.reasons == [] and [e["id"] for e in read.entities] == ["e1", "e2"]
    assert read.notes == [
        "PER “Mario Draghi” 30..42: stance SUPPORT ignored (chosen while this mention was selected; "
        "only a CLAIM has one)"
    ]


def test_record_checks_of_the_validator_apply_and_name_the_region():
    result = record_to_result(_record())
    result.append(copy.deepcopy(result[0]) | {"id": "e9"})
    outcome = _convert(_task(_annotation(1, result)))
    assert outcome.records() == []
    assert [p.reason for p in outcome.problems()] == [
        "PER “Mario Draghi” 30..42: duplicate of entities[0] (expected each span and label once)"
    ]


def test_a_problem_names_task_annotator_region_and_links_to_the_task():
    bad_result = record_to_result(_record())
    bad_result.remove(next(i for i in bad_result if i.get("from_name") == "stance" and i["id"] == "c2"))
    good = _annotation(1, record_to_result(_record()), user={"id": 1, "email": "anna@example.org"})
    bad = _annotation(2, bad_result, user=2)
    cancelled = _annotation(3, [], user=3, was_cancelled=True)
    outcome = _convert(
        _task(good, bad, cancelled),
        users={2: "bob@example.org"},
        task_link=lambda task, annotation: f"http://127.0.0.1:8080/projects/{task['project']}/data?task={task['id']}",
    )
    assert [r["annotator"] for r in outcome.records()] == ["anna@example.org"]
    assert (outcome.submitted, outcome.cancelled, outcome.rejected()) == (2, 1, 1)
    assert [str(p) for p in outcome.problems()] == [
        "task 7 (document doc-1), annotation 2 by bob@example.org: CLAIM “non è vero” 55..65: no stance "
        "(expected one of: SUPPORT, REFUTE, NEUTRAL) — http://127.0.0.1:8080/projects/3/data?task=7"
    ]


def test_long_span_texts_are_shortened_in_the_middle_on_one_line():
    from toolkit.labelstudio.annotations.reading import Region

    text = "Il PIL crescerà del due per cento\nnel 2025 secondo le stime più recenti dell’istituto"
    region = Region("c1", 10, 10 + len(text), text, labels=["CLAIM"])
    assert str(region) == "CLAIM “Il PIL crescerà del … dell’istituto” 10..95"


def test_same_annotator_twice_keeps_the_latest_without_a_problem():
    first, second = _annotation(1, record_to_result(_record())), _annotation(2, record_to_result(_record()))
    outcome = _convert(_task(first, second))
    assert [r["annotation_id"] for r in outcome.records()] == [2]
    assert outcome.problems() == [] and outcome.superseded == 1


def test_a_broken_later_annotation_never_erases_the_converted_one():
    """Issue 27 item 16: the broken annotation leaves no record and is listed; the good one is still written."""
    broken = record_to_result(_record())
    broken.remove(_claimer_choice(broken, "c2"))
    older = _annotation(1, record_to_result(_record()), updated_at="2026-01-01T10:00:00Z")
    newer = _annotation(2, broken, updated_at="2026-01-05T10:00:00Z")
    for order in ([older, newer], [newer, older]):
        outcome = _convert(_task(*order))
        assert [r["annotation_id"] for r in outcome.records()] == [1]
        (problem,) = outcome.problems()
        assert problem.annotation_id == 2 and "“non è vero” 55..65: no claimer chosen" in problem.reason
        assert (outcome.rejected(), outcome.superseded) == (1, 0)


@pytest.mark.parametrize("order", ["good-first", "broken-first"])
def test_a_broken_copy_of_a_task_never_erases_the_good_annotation(order):
    """The issue's scenario: two tasks of the same document (a copied task), the later annotation's region ends at
    10⁹. The good annotation is written, the broken one is listed with its task, whichever task is read first."""
    broken = record_to_result(_record())
    next(item for item in broken if item["type"] == "labels")["value"]["end"] = 10**9
    good = _task(_annotation(1, record_to_result(_record()), updated_at="2026-01-01T10:00:00Z"), task_id=7)
    bad = _task(_annotation(2, broken, updated_at="2026-02-01T10:00:00Z"), task_id=8)
    outcome = _convert(*([good, bad] if order == "good-first" else [bad, good]))
    assert [(r["task_id"], r["annotation_id"]) for r in outcome.records()] == [(7, 1)]
    assert outcome.records()[0]["entities"] == _record()["entities"]
    assert [(p.task_id, p.annotation_id) for p in outcome.problems()] == [(8, 2)]
    assert "outside the text" in outcome.problems()[0].reason


def test_a_later_good_annotation_replaces_every_earlier_broken_one():
    broken = record_to_result(_record())
    broken.remove(_claimer_choice(broken, "c2"))
    tasks = [
        _task(_annotation(1, broken, updated_at="2026-01-01T10:00:00Z"), task_id=7),
        _task(_annotation(2, record_to_result(_record()), updated_at="2026-01-02T10:00:00Z"), task_id=8),
        _task(_annotation(3, broken, updated_at="2026-01-03T10:00:00Z"), task_id=9),
        _task(_annotation(4, record_to_result(_record()), updated_at="2026-01-04T10:00:00Z"), task_id=10),
    ]
    for ordered in (tasks, tasks[::-1], [tasks[2], tasks[0], tasks[3], tasks[1]]):
        outcome = _convert(*ordered)
        assert [r["annotation_id"] for r in outcome.records()] == [4]
        assert outcome.problems() == [] and (outcome.rejected(), outcome.superseded) == (0, 3)


def test_the_latest_wins_across_tasks_of_the_same_document():
    """Two tasks for one document (e.g. imported twice from the UI): the annotator's later annotation counts,
    and a failure in the earlier one is no longer a problem."""
    broken = record_to_result(_record())
    broken.remove(_claimer_choice(broken, "c2"))
    early = _task(_annotation(1, broken, updated_at="2026-01-01T10:00:00Z"), task_id=7)
    late = _task(_annotation(2, record_to_result(_record()), updated_at="2026-02-01T10:00:00Z"), task_id=8)
    outcome = _convert(early, late)
    assert [(r["task_id"], r["annotation_id"]) for r in outcome.records()] == [(8, 2)]
    assert outcome.problems() == [] and outcome.superseded == 1


def test_text_changed_since_import_is_reported():
    task = _task(_annotation(1, record_to_result(_record())))
    task["data"]["text"] = TEXT + " aggiunta"
    outcome = _convert(task)
    assert outcome.records() == [] and "does not match its data.text_sha256" in outcome.problems()[0].reason


def test_documents_file_cross_check():
    other = make_document("doc-1", "Un altro testo.", "it")
    outcome = _convert(_task(_annotation(1, record_to_result(_record()))), documents={"doc-1": other})
    assert "task text differs from document 'doc-1' in the documents file" in outcome.problems()[0].reason


def _export(path, *tasks):
    path.write_text(json.dumps(list(tasks)), encoding="utf-8")
    return path


def test_cli_convert_export_writes_per_annotator_files_and_is_stable(tmp_path):
    bob = _record()
    bob["claims"][1]["stance"] = "NEUTRAL"
    export = _export(
        tmp_path / "export.json",
        _task(
            _annotation(1, record_to_result(_record()), user={"id": 1, "email": "anna@example.org"}),
            _annotation(2, record_to_result(bob), user={"id": 2, "email": "bob@example.org"}),
        ),
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


def test_cli_convert_export_never_leaves_a_stale_record(tmp_path):
    """The issue's scenario: a record converted once, then the annotator's update breaks it; the old record must go,
    the problem is listed, and fixing it brings the record back."""
    anna = {"id": 1, "email": "anna@example.org"}
    out = tmp_path / "out"
    run = CliRunner().invoke
    good = _export(tmp_path / "1.json", _task(_annotation(1, record_to_result(_record()), user=anna)))
    assert run(app, ["convert-export", str(good), "--out", str(out)]).exit_code == 0
    annotator_file = out / "annotators" / "anna-example.org.jsonl"
    assert [r["id"] for r in read_jsonl(annotator_file)] == ["doc-1"]

    broken = record_to_result(_record())
    broken.remove(_claimer_choice(broken, "c2"))
    updated = _export(tmp_path / "2.json", _task(_annotation(1, broken, user=anna, updated_at="2026-01-09T10:00:00Z")))
    failed = run(app, ["convert-export", str(updated), "--out", str(out), "--url", "http://127.0.0.1:8080/"])
    assert failed.exit_code == 2 and "Traceback" not in failed.output
    assert not annotator_file.exists(), "the previous version of the record must not survive"
    assert f"{annotator_file}: removed" in failed.output
    line = (
        "task 7 (document doc-1), annotation 1 by anna@example.org: CLAIM “non è vero” 55..65: no claimer chosen "
        "(expected one of: entity, author, unnamed) — http://127.0.0.1:8080/projects/3/data?task=7&annotation=1"
    )
    assert (out / "conversion-problems.txt").read_text(encoding="utf-8") == line + "\n"
    assert f"{updated}: {line}" in failed.output
    assert "1 annotation(s) not converted, 1 problem(s)" in failed.output

    fixed = _export(
        tmp_path / "3.json",
        _task(_annotation(1, record_to_result(_record()), user=anna, updated_at="2026-01-10T10:00:00Z")),
    )
    again = run(app, ["convert-export", str(fixed), "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert [r["id"] for r in read_jsonl(annotator_file)] == ["doc-1"]
    assert (out / "conversion-problems.txt").read_text(encoding="utf-8") == ""


def test_cli_convert_export_bad_inputs(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(app, ["convert-export", str(tmp_path / "nope.json"), "--out", str(tmp_path)])
    assert missing.exit_code == 2 and "nope.json: file not found" in missing.output
    (tmp_path / "min.json").write_text('{"text": "x"}', encoding="utf-8")
    not_list = runner.invoke(app, ["convert-export", str(tmp_path / "min.json"), "--out", str(tmp_path)])
    assert (
        not_list.exit_code == 2 and "min.json: the export is an object (expected the list of tasks" in not_list.output
    )
    (tmp_path / "cut.json").write_text(json.dumps([_task()])[:-30], encoding="utf-8")
    cut = runner.invoke(app, ["convert-export", str(tmp_path / "cut.json"), "--out", str(tmp_path / "c")])
    assert cut.exit_code == 2 and "cut.json: invalid JSON after task 0" in cut.output, cut.output
    assert not (tmp_path / "c").exists(), "nothing is written from an export that cannot be read to its end"
    bad_result = record_to_result(_record())
    bad_result[2]["value"]["end"] += 1
    _export(tmp_path / "bad.json", _task(_annotation(4, bad_result)))
    bad = runner.invoke(app, ["convert-export", str(tmp_path / "bad.json"), "--out", str(tmp_path / "o")])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert (
        "bad.json: task 7 (document doc-1), annotation 4 by user-1: CLAIM “Il PIL crescerà” 3..19: "
        "the text at 3..19 is “Il PIL crescerà»”"
    ) in bad.output
    assert "1 annotation(s) not converted" in bad.output
    assert "annotation 4 by user-1" in (tmp_path / "o" / "conversion-problems.txt").read_text()


def test_the_task_link_opens_the_annotators_own_annotation():
    from toolkit.labelstudio.client import task_link

    link = task_link("http://ls", 3)
    assert link({"id": 7}, {"id": 12}) == "http://ls/projects/3/data?task=7&annotation=12"
    assert link({"id": 7, "project": 4}, None) == "http://ls/projects/4/data?task=7"
    assert link({"id": 7}, {"id": "12"}) == "http://ls/projects/3/data?task=7", "only a server's integer id"
    assert task_link("http://ls")({"id": 7}, {"id": 12}) is None, "no project, no link"
