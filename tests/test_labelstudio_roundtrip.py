"""push → annotate through the REST API exactly as the editor submits → pull, against a real Label Studio server,
on every selected database backend (``--backends``; see conftest)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.documents import make_document
from toolkit.files import read_jsonl, write_jsonl
from toolkit.labelstudio.tasks import record_to_result

pytestmark = pytest.mark.studio


@pytest.fixture
def label_studio(any_label_studio):
    """Every test of this module runs on each selected backend (SQLite, PostgreSQL)."""
    return any_label_studio


TEXT = (
    "🙂 Secondo l’ISTAT «il PIL crescerà del 2%», ha detto Mario Draghi; "
    "“non è vero”, rispondono i media dell’opposizione."
)
GOLD = Path("annotations/gold.jsonl")
DOCUMENTS = Path("annotations/documents.jsonl")
PROVENANCE = ("annotator", "annotator_kind", "annotation_id", "task_id", "created_at", "lead_time", "ground_truth")


def _span(fragment: str) -> tuple[int, int]:
    start = TEXT.index(fragment)
    return start, start + len(fragment)


def _record(doc_id: str):
    document = make_document(doc_id, TEXT, "it")
    (e1s, e1e), (e2s, e2e) = _span("ISTAT"), _span("Mario Draghi")
    (c1s, c1e), (c2s, c2e) = _span("il PIL crescerà del 2%"), _span("non è vero")
    return {
        "id": doc_id,
        "text_sha256": document["text_sha256"],
        "entities": [
            {"id": "ent-istat", "start": e1s, "end": e1e, "label": "ORG", "text": "ISTAT"},
            {"id": "ent-draghi", "start": e2s, "end": e2e, "label": "PER", "text": "Mario Draghi"},
        ],
        "claims": [
            {
                "id": "claim-pil",
                "start": c1s,
                "end": c1e,
                "text": "il PIL crescerà del 2%",
                "stance": "SUPPORT",
                "claimer": {"kind": "entity", "entity_ids": ["ent-istat", "ent-draghi"]},
            },
            {
                "id": "claim-vero",
                "start": c2s,
                "end": c2e,
                "text": "non è vero",
                "stance": "REFUTE",
                "claimer": {"kind": "unnamed", "entity_ids": []},
            },
        ],
    }


def _run(label_studio, *args):
    return CliRunner().invoke(app, [str(arg) for arg in args], env=label_studio.env())


def _tasks(label_studio, project_title):
    (project,) = [p for p in label_studio.client.projects.list(title=project_title) if p.title == project_title]
    return project.id, {
        task.data["doc_id"]: task for task in label_studio.client.tasks.list(project=project.id, fields="all")
    }


def _content(record):
    return {key: value for key, value in record.items() if key not in PROVENANCE}


@pytest.fixture
def pushed(label_studio, tmp_path):
    """A fresh project with two documents (one with an emoji before the spans, curly quotes and elisions)."""
    title = label_studio.project_title("roundtrip")
    documents = tmp_path / "docs.jsonl"
    write_jsonl(
        documents,
        [
            make_document("doc-a", TEXT, "it", title="Prova"),
            make_document("doc-b", "Un secondo testo, senza annotazioni.", "it"),
        ],
    )
    result = _run(label_studio, "push", documents, "--project", title, "--guidelines", tmp_path / "none.md")
    assert result.exit_code == 0, result.output
    assert "2 task(s) created, 0 already present" in result.output
    return title, documents


def test_annotation_submitted_like_the_editor_comes_back_equal(label_studio, pushed, tmp_path):
    title, documents = pushed
    _, tasks = _tasks(label_studio, title)
    record = _record("doc-a")
    result = record_to_result(record, TEXT)
    for item in result:  # the annotator drew the second relation claim → mention
        if item["type"] == "relation" and item["from_id"] == "ent-draghi":
            item["from_id"], item["to_id"] = item["to_id"], item["from_id"]
    bob = label_studio.create_user("bob@voci.test")
    bob_record = json.loads(json.dumps(record))
    bob_record["claims"][1]["stance"] = "NEUTRAL"
    label_studio.client.annotations.create(id=tasks["doc-a"].id, result=result, lead_time=42.5)
    label_studio.client.annotations.create(
        id=tasks["doc-a"].id, result=record_to_result(bob_record, TEXT), lead_time=7.0, completed_by=bob.id
    )
    label_studio.client.annotations.create(id=tasks["doc-b"].id, result=[], was_cancelled=True)

    out = tmp_path / "pulled"
    pulled = _run(label_studio, "pull", "--project", title, "--out", out, "--documents", documents)
    assert pulled.exit_code == 0, pulled.output
    assert "3 submitted annotation(s)" not in pulled.output and "1 cancelled (skipped)" in pulled.output
    admin = read_jsonl(out / "annotators" / "admin-voci.local.jsonl")
    bobs = read_jsonl(out / "annotators" / "bob-voci.test.jsonl")
    assert [_content(r) for r in admin] == [record]
    assert [_content(r) for r in bobs] == [bob_record]
    assert admin[0]["annotator"] == "admin@voci.local" and bobs[0]["annotator"] == "bob@voci.test"
    assert (
        admin[0]["task_id"] == tasks["doc-a"].id and admin[0]["lead_time"] == 42.5 and admin[0]["ground_truth"] is False
    )
    assert isinstance(admin[0]["annotation_id"], int) and admin[0]["created_at"].startswith("20")
    (raw,) = (out / "raw").iterdir()
    assert len(json.loads(raw.read_text(encoding="utf-8"))) == 2
    valid = _run(label_studio, "validate", out / "annotators" / "admin-voci.local.jsonl", "--documents", documents)
    assert valid.exit_code == 0, valid.output

    # pulling again without new work: a new raw snapshot, no converted file touched
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in out.glob("annotators/*")}
    again = _run(label_studio, "pull", "--project", title, "--out", out)
    assert again.exit_code == 0, again.output
    assert len(list((out / "raw").iterdir())) == 2
    assert before == {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in out.glob("annotators/*")}


def test_push_is_idempotent_and_refuses_changed_text(label_studio, pushed, tmp_path):
    title, documents = pushed
    again = _run(label_studio, "push", documents, "--project", title)
    assert again.exit_code == 0, again.output
    assert "0 task(s) created, 2 already present" in again.output and "(existing" in again.output
    draghi = _span("Mario Draghi")
    write_jsonl(
        tmp_path / "pred.jsonl", [{"id": "doc-a", "entities": [{"start": draghi[0], "end": draghi[1], "label": "PER"}]}]
    )
    for expected in ("1 pre-annotation(s)", "0 pre-annotation(s)"):  # added to the existing task once
        with_predictions = _run(
            label_studio,
            "push",
            documents,
            "--project",
            title,
            "--predictions",
            tmp_path / "pred.jsonl",
            "--model-version",
            "rules",
        )
        assert with_predictions.exit_code == 0 and expected in with_predictions.output, with_predictions.output
    _, tasks = _tasks(label_studio, title)
    (prediction,) = label_studio.client.predictions.list(task=tasks["doc-a"].id)
    assert prediction.model_version == "rules" and prediction.result[0]["value"]["text"] == "Mario Draghi"
    changed = tmp_path / "changed.jsonl"
    write_jsonl(changed, [make_document("doc-a", TEXT + " Aggiornato.", "it"), make_document("doc-c", "Nuovo.", "it")])
    refused = _run(label_studio, "push", changed, "--project", title)
    assert refused.exit_code == 2
    assert (
        "1 document(s) already in the project with a different text_sha256: 'doc-a'" in refused.output
        and "nothing was pushed" in refused.output
    )
    _, tasks = _tasks(label_studio, title)
    assert sorted(tasks) == ["doc-a", "doc-b"]
    assert len(label_studio.client.projects.list(title=title).items) == 1


def test_malformed_annotation_is_reported_and_kept(label_studio, pushed, tmp_path):
    title, _ = pushed
    _, tasks = _tasks(label_studio, title)
    result = record_to_result(_record("doc-a"), TEXT)
    result[0]["value"].update(start=500, end=510)  # the server accepts this
    result[1]["value"]["labels"] = ["PERSONA"]
    bad = label_studio.client.annotations.create(id=tasks["doc-a"].id, result=result)
    good = label_studio.client.annotations.create(id=tasks["doc-b"].id, result=[])
    out = tmp_path / "pulled"
    pulled = _run(label_studio, "pull", "--project", title, "--out", out)
    assert pulled.exit_code == 2
    project_id, task_id = tasks["doc-a"].project, tasks["doc-a"].id
    place = f"task {task_id} (document doc-a), annotation {bad.id} by admin@voci.local: "
    link = f" — {label_studio.url}/projects/{project_id}/data?task={task_id}&annotation={bad.id}"
    assert place + "ORG “ISTAT” 500..510: outside the text (expected 0 <= start < end <= 117)" + link in pulled.output
    assert (
        place + "PERSONA “Mario Draghi” " in pulled.output and "labels ['PERSONA'] (expected one of:" in pulled.output
    )
    assert "1 annotation(s) not converted, 2 problem(s)" in pulled.output and "Traceback" not in pulled.output
    (raw,) = (out / "raw").iterdir()
    kept = [a for task in json.loads(raw.read_text(encoding="utf-8")) for a in task["annotations"]]
    assert {a["id"] for a in kept} == {bad.id, good.id}
    assert f"annotation {bad.id} by admin@voci.local" in (out / "conversion-problems.txt").read_text(encoding="utf-8")
    (record,) = read_jsonl(out / "annotators" / "admin-voci.local.jsonl")
    assert (record["id"], record["annotation_id"], record["entities"], record["claims"]) == ("doc-b", good.id, [], [])


def test_pull_never_leaves_a_stale_record_and_converts_the_fix(label_studio, pushed, tmp_path):
    """An annotator's update that cannot be converted removes their record of that document (the older version is
    not kept), the problem is listed and blocks agree; once fixed in Label Studio, the next pull converts it."""
    title, documents = pushed
    _, tasks = _tasks(label_studio, title)
    record = _record("doc-a")
    bob = label_studio.create_user("bob@voci.test")
    mine = label_studio.client.annotations.create(id=tasks["doc-a"].id, result=record_to_result(record, TEXT))
    label_studio.client.annotations.create(
        id=tasks["doc-a"].id, result=record_to_result(record, TEXT), completed_by=bob.id
    )
    out = tmp_path / "annotations"
    pull = ["pull", "--project", title, "--out", out, "--documents", documents]
    assert _run(label_studio, *pull).exit_code == 0
    mine_file, bobs_file = out / "annotators" / "admin-voci.local.jsonl", out / "annotators" / "bob-voci.test.jsonl"
    assert [r["id"] for r in read_jsonl(mine_file)] == ["doc-a"]

    broken = [item for item in record_to_result(record, TEXT) if item.get("from_name") != "stance"]
    label_studio.client.annotations.update(id=mine.id, result=broken)  # what Update in the editor sends
    failed = _run(label_studio, *pull)
    assert failed.exit_code == 2, failed.output
    assert not mine_file.exists(), "the previous version of the record must not survive a failed conversion"
    assert [r["id"] for r in read_jsonl(bobs_file)] == ["doc-a"], "the other annotator's work is untouched"
    problems = (out / "conversion-problems.txt").read_text(encoding="utf-8").splitlines()
    assert [line.split(": ", 2)[1] for line in problems] == [
        "CLAIM “{}” {}..{}".format(claim["text"], claim["start"], claim["end"]) for claim in record["claims"]
    ]
    assert all(
        line.startswith(f"task {tasks['doc-a'].id} (document doc-a), annotation {mine.id} by admin@voci.local: ")
        and "no stance (expected one of: SUPPORT, REFUTE, NEUTRAL)" in line
        and line.endswith(
            f"{label_studio.url}/projects/{tasks['doc-a'].project}/data?task={tasks['doc-a'].id}&annotation={mine.id}"
        )
        for line in problems
    ), problems
    refused = _run(label_studio, "agree", mine_file.parent / "bob-voci.test.jsonl", "--documents", documents)
    assert refused.exit_code == 2 and f"{out / 'conversion-problems.txt'}: lists 2 problem(s)" in refused.output

    label_studio.client.annotations.update(id=mine.id, result=record_to_result(record, TEXT))
    fixed = _run(label_studio, *pull)
    assert fixed.exit_code == 0, fixed.output
    assert [_content(r) for r in read_jsonl(mine_file)] == [record]
    assert (out / "conversion-problems.txt").read_text(encoding="utf-8") == ""


def test_gold_survives_push_as_predictions_accept_and_pull(label_studio, tmp_path):
    if not GOLD.exists():
        pytest.skip(f"{GOLD} is not written yet (the gold annotation of the seed article)")
    title = label_studio.project_title("gold")
    pushed = _run(label_studio, "push", DOCUMENTS, "--project", title, "--predictions", GOLD, "--model-version", "gold")
    assert pushed.exit_code == 0, pushed.output
    project_id, tasks = _tasks(label_studio, title)
    gold = {record["id"]: record for record in read_jsonl(GOLD)}
    for doc_id in gold:
        (prediction,) = label_studio.client.predictions.list(task=tasks[doc_id].id)
        assert prediction.model_version == "gold"
        label_studio.client.annotations.create(
            id=tasks[doc_id].id, result=prediction.result
        )  # the annotator accepts it as is
    out = tmp_path / "pulled"
    pulled = _run(label_studio, "pull", "--project", title, "--out", out, "--documents", DOCUMENTS)
    assert pulled.exit_code == 0, pulled.output

    def comparable(record):
        def strip(items):
            return sorted(
                ({k: v for k, v in item.items() if k != "annotators"} for item in items), key=lambda item: item["id"]
            )

        claims = [
            dict(c, claimer=dict(c["claimer"], entity_ids=sorted(c["claimer"]["entity_ids"])))
            for c in strip(record["claims"])
        ]
        return record["id"], record["text_sha256"], strip(record["entities"]), claims

    back = {record["id"]: record for record in read_jsonl(out / "annotators" / "admin-voci.local.jsonl")}
    assert sorted(back) == sorted(gold)
    for doc_id, record in gold.items():
        assert comparable(back[doc_id]) == comparable(record)


def test_server_stopped_mid_pull_then_rerun_completes(label_studio, pushed, tmp_path):
    """Runs last in this file: stops the session server during a pull, then restarts it (same port and data)."""
    from toolkit.errors import ServerError
    from toolkit.labelstudio.client import connect, pull

    title, _ = pushed
    _, tasks = _tasks(label_studio, title)
    record = _record("doc-a")
    label_studio.client.annotations.create(id=tasks["doc-a"].id, result=record_to_result(record, TEXT))
    out = tmp_path / "pulled"
    studio = connect(label_studio.url, label_studio.api_key)

    def stop_before_download(step):
        if step == "download":
            label_studio.server.stop()

    try:
        with pytest.raises(
            ServerError, match=f"cannot reach Label Studio at {label_studio.url} while trying to download the export"
        ):
            pull(studio, title, out, step=stop_before_download)
    finally:
        label_studio.restart()
    assert not (out / "annotators").exists() and not list(out.glob("raw/*.json"))
    report = pull(connect(label_studio.url, label_studio.api_key), title, out)
    assert report.conversion.problems == []
    assert [_content(r) for r in read_jsonl(out / "annotators" / "admin-voci.local.jsonl")] == [record]
