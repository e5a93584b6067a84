"""A broken task costs only itself (issue 27): through `toolkit pull` against a real Label Studio server, a task
whose region ends at 10⁹ and a copy of the good task whose later annotation ends at 2⁶³ leave no record; the same
annotator's good annotation is written (a broken annotation never replaces a converted one)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset.synthetic import synthetic_corpus
from toolkit.files import read_jsonl, write_jsonl
from toolkit.labelstudio.tasks import record_to_result

pytestmark = pytest.mark.studio


def test_pull_writes_every_annotation_but_the_broken_task(label_studio, tmp_path):
    (first, first_gold), (second, second_gold) = list(synthetic_corpus(2, seed=27))
    documents = tmp_path / "documents.jsonl"
    write_jsonl(documents, [first, second])
    title = label_studio.project_title("broken-task")
    env = label_studio.env()
    pushed = CliRunner().invoke(app, ["push", str(documents), "--project", title, "--guidelines", "none.md"], env=env)
    assert pushed.exit_code == 0, pushed.output
    (project,) = [p for p in label_studio.client.projects.list(title=title) if p.title == title]
    tasks = {task.data["doc_id"]: task for task in label_studio.client.tasks.list(project=project.id, fields="all")}
    good = label_studio.client.annotations.create(
        id=tasks[first["id"]].id, result=record_to_result(first_gold, first["text"])
    )
    broken = record_to_result(second_gold, second["text"])
    next(item for item in broken if item["type"] == "labels")["value"]["end"] = 10**9
    bad = label_studio.client.annotations.create(id=tasks[second["id"]].id, result=broken)
    copy = label_studio.client.tasks.create(project=project.id, data=dict(tasks[first["id"]].data))
    overflowing = record_to_result(first_gold, first["text"])
    next(item for item in overflowing if item["type"] == "labels")["value"]["end"] = 2**63
    later = label_studio.client.annotations.create(id=copy.id, result=overflowing)
    out = tmp_path / "pulled"
    pulled = CliRunner().invoke(
        app, ["pull", "--project", title, "--out", str(out), "--documents", str(documents)], env=env
    )
    assert pulled.exit_code == 2, pulled.output
    assert "1 record(s) written for 1 annotator(s)" in pulled.output
    (record,) = read_jsonl(out / "annotators" / "admin-voci.local.jsonl")
    assert (record["id"], record["annotation_id"]) == (first["id"], good.id)
    assert [e["text"] for e in record["entities"]] == [e["text"] for e in first_gold["entities"]]
    problems = (out / "conversion-problems.txt").read_text(encoding="utf-8")
    assert f"(document {second['id']}), annotation {bad.id} by admin@voci.local" in problems
    assert f"task {copy.id} (document {first['id']}), annotation {later.id} by admin@voci.local" in problems
    assert f"task {tasks[first['id']].id} " not in problems and len(problems.splitlines()) == 2
