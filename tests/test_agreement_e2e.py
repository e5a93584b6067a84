"""End to end on a real Label Studio: two annotators submit different annotations of the same tasks through the
REST API; `toolkit pull`, `toolkit agree` and `toolkit adjudicate` then give the figures and the gold computed by
hand."""

from __future__ import annotations

import json

import pytest
from agreement_data import OTHER_TEXT, claim, entity, record, write_documents
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.labelstudio.tasks import record_to_result

pytestmark = pytest.mark.studio
runner = CliRunner()
ALICE, BOB = "alice@example.org", "bob@example.org"


def submissions() -> dict[tuple[str, str], dict]:
    """d1: as in test_agreement_figures (1 strict entity match of 3+3; claims 1 strict, 2 overlap).
    d2: same entity, stance differs."""
    return {
        ("d1", ALICE): record(
            "d1",
            ALICE,
            [entity("Mario Rossi", "PER", "e1"), entity("Russia", "GPE", "e2"), entity("Anna Bianchi", "PER", "e3")],
            [
                claim("la Russia è grande", "SUPPORT", "entity", ["e1"], "c1"),
                claim("Roma sia piccola", "REFUTE", "entity", ["e3"], "c2"),
            ],
        ),
        ("d1", BOB): record(
            "d1",
            BOB,
            [entity("Mario Rossi", "PER", "x1"), entity("Russia", "LOC", "x2"), entity("Putin", "PER", "x3")],
            [
                claim("la Russia è grande", "SUPPORT", "entity", ["x1"], "k1"),
                claim("che Roma sia piccola", "NEUTRAL", "author", [], "k2"),
            ],
        ),
        ("d2", ALICE): record(
            "d2",
            ALICE,
            [entity("Luca Verdi", "PER", "e1", text=OTHER_TEXT)],
            [claim("Milano | `Torino` sono vicine", "SUPPORT", "entity", ["e1"], "c1", text=OTHER_TEXT)],
        ),
        ("d2", BOB): record(
            "d2",
            BOB,
            [entity("Luca Verdi", "PER", "x1", text=OTHER_TEXT)],
            [claim("Milano | `Torino` sono vicine", "NEUTRAL", "entity", ["x1"], "k1", text=OTHER_TEXT)],
        ),
    }


def test_pull_agree_adjudicate_on_a_real_label_studio(label_studio, tmp_path, monkeypatch):
    for name, value in label_studio.env().items():
        monkeypatch.setenv(name, value)
    documents = write_documents(tmp_path)
    guidelines = tmp_path / "guidelines.md"
    guidelines.write_text("# Guida\n\nSegna entità e affermazioni.\n", encoding="utf-8")
    title = label_studio.project_title("agreement")

    pushed = runner.invoke(app, ["push", str(documents), "--project", title, "--guidelines", str(guidelines)])
    assert pushed.exit_code == 0, pushed.output

    # two annotators, each submitting through the REST API;
    # bob's annotation of d2 is marked as ground truth by a reviewer
    users = {email: label_studio.create_user(email) for email in (ALICE, BOB)}
    project = next(p for p in label_studio.client.projects.list() if p.title == title)
    tasks = {task.data["doc_id"]: task for task in label_studio.client.tasks.list(project=project.id)}
    assert sorted(tasks) == ["d1", "d2"]
    for (doc_id, email), annotation in submissions().items():
        label_studio.client.annotations.create(
            id=tasks[doc_id].id,
            result=record_to_result(annotation),
            completed_by=users[email].id,
            lead_time=30.0,
            ground_truth=(doc_id, email) == ("d2", BOB),
        )

    pulled = runner.invoke(
        app, ["pull", "--project", title, "--out", str(tmp_path / "pulled"), "--documents", str(documents)]
    )
    assert pulled.exit_code == 0, pulled.output
    files = sorted((tmp_path / "pulled" / "annotators").glob("*.jsonl"))
    assert [path.name for path in files] == ["alice-example.org.jsonl", "bob-example.org.jsonl"]

    agreement, report = tmp_path / "agreement.json", tmp_path / "disagreements.md"
    agreed = runner.invoke(
        app,
        [
            "agree",
            *map(str, files),
            "--documents",
            str(documents),
            "--format",
            "json",
            "--out",
            str(agreement),
            "--report",
            str(report),
        ],
    )
    assert agreed.exit_code == 0, agreed.output
    figures = json.loads(agreement.read_text(encoding="utf-8"))
    assert figures["annotators"] == [ALICE, BOB]
    assert figures["counts"]["documents_with_2_or_more_annotators"] == 2
    assert figures["entities"]["strict"]["mean_pairwise_f1"] == pytest.approx(2 * 2 / 8)
    assert figures["entities"]["overlap"]["mean_pairwise_f1"] == pytest.approx(2 * 2 / 8)
    assert figures["claims"]["strict"]["mean_pairwise_f1"] == pytest.approx(2 * 2 / 6)
    assert figures["claims"]["overlap"]["mean_pairwise_f1"] == pytest.approx(1.0)
    # stance pairs (S,S) (R,N) (S,N): p_o = 1/3, p_e = 2/3·1/3 → kappa 1/7;
    # alpha: n = 6, D_o = 4/6, D_e = (36 − 14)/30 → 1/11
    assert figures["stance"]["percent_agreement"] == pytest.approx(1 / 3)
    assert figures["pairs"][0]["stance"]["cohen_kappa"] == pytest.approx(1 / 7)
    assert figures["stance"]["krippendorff_alpha"] == pytest.approx(1 / 11)
    assert figures["claimer"]["percent_agreement"] == pytest.approx(2 / 3)
    text = report.read_text(encoding="utf-8")
    assert "Milano \\| \\`Torino\\` sono vicine" in text and "different stance" in text

    gold = tmp_path / "gold.jsonl"
    adjudicated = runner.invoke(
        app, ["adjudicate", *map(str, files), "--documents", str(documents), "--out", str(gold)]
    )
    assert adjudicated.exit_code == 0, adjudicated.output
    assert "gold: 2 document(s) (majority 1, ground-truth 1)" in adjudicated.stdout
    records = {r["id"]: r for r in map(json.loads, gold.read_text(encoding="utf-8").splitlines())}
    d1, d2 = records["d1"], records["d2"]
    assert [(e["text"], e["label"], e["annotators"]) for e in d1["entities"]] == [("Mario Rossi", "PER", [ALICE, BOB])]
    assert [(c["text"], c["stance"], c["claimer"], c["annotators"]) for c in d1["claims"]] == [
        ("la Russia è grande", "SUPPORT", {"kind": "entity", "entity_ids": ["e1"]}, [ALICE, BOB])
    ]
    assert [(e["text"], e["annotators"]) for e in d2["entities"]] == [("Luca Verdi", [ALICE, BOB])]
    assert [(c["stance"], c["claimer"], c["annotators"]) for c in d2["claims"]] == [
        ("NEUTRAL", {"kind": "entity", "entity_ids": ["e1"]}, [BOB])
    ]
    # the four ties of d1 are listed for review, not guessed
    assert "review d1:" in adjudicated.stdout and adjudicated.stdout.count(": tie") == 4
    assert (
        runner.invoke(app, ["validate", str(gold), "--documents", str(documents), "--kind", "annotation"]).exit_code
        == 0
    )
