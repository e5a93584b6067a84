"""`toolkit stats`: counts that match the records."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.documents import make_document, text_sha256

TEXT = "Mario Rossi ha detto che Roma è bella. Secondo i media, Milano cresce."
runner = CliRunner()


def entity(eid, needle, label):
    start = TEXT.index(needle)
    return {"id": eid, "start": start, "end": start + len(needle), "label": label, "text": needle}


def claim(cid, needle, stance, kind, ids=()):
    start = TEXT.index(needle)
    return {
        "id": cid,
        "start": start,
        "end": start + len(needle),
        "text": needle,
        "stance": stance,
        "claimer": {"kind": kind, "entity_ids": list(ids)},
    }


def test_stats_count_labels_kinds_and_stances(tmp_path):
    documents = tmp_path / "d.jsonl"
    documents.write_text(json.dumps(make_document("d1", TEXT, "it")) + "\n", encoding="utf-8")
    record = {
        "id": "d1",
        "text_sha256": text_sha256(TEXT),
        "entities": [entity("e1", "Mario Rossi", "PER"), entity("e2", "Roma", "GPE"), entity("e3", "Milano", "GPE")],
        "claims": [
            claim("c1", "Roma è bella", "SUPPORT", "entity", ["e1"]),
            claim("c2", "Milano cresce", "NEUTRAL", "unnamed"),
        ],
    }
    annotations = tmp_path / "a.jsonl"
    annotations.write_text(json.dumps(record) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["stats", str(annotations), "--documents", str(documents), "--format", "json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["documents"] == 1
    assert stats["entities"] == 3
    assert stats["entities_per_label"]["GPE"] == 2 and stats["entities_per_label"]["ORG"] == 0
    assert stats["claims_per_claimer_kind"] == {"entity": 1, "author": 0, "unnamed": 1}
    assert stats["claims_per_stance"] == {"SUPPORT": 1, "REFUTE": 0, "NEUTRAL": 1}
    assert stats["tokens"] == 16  # Mario Rossi ha detto che Roma è bella . Secondo i media , Milano cresce .
    listing = runner.invoke(app, ["stats", str(annotations), "--documents", str(documents)])
    assert "GPE" in listing.stdout and "claims_per_stance:" in listing.stdout


def test_stats_refuses_invalid_records(tmp_path):
    documents = tmp_path / "d.jsonl"
    documents.write_text(json.dumps(make_document("d1", TEXT, "it")) + "\n", encoding="utf-8")
    annotations = tmp_path / "a.jsonl"
    annotations.write_text(
        json.dumps({"id": "d1", "text_sha256": "0" * 64, "entities": [], "claims": []}) + "\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["stats", str(annotations), "--documents", str(documents)])
    assert result.exit_code == 2
    assert f"{annotations}:1: text_sha256: does not match" in result.stderr
