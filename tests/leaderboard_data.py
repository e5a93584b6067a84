"""A small leaderboard world: documents, gold and three scored submissions, and the board built from it."""

from __future__ import annotations

import copy
from pathlib import Path

from typer.testing import CliRunner

from toolkit.documents import make_document
from toolkit.files import write_json, write_jsonl
from toolkit.leaderboard import build_leaderboard

runner = CliRunner()
XSS_NAME = "<script>document.title='pwned'</script><img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"

TEXTS = {
    "doc-a": (
        "Il sindaco Mario Rossi ha detto che Torino crescerà nel 2026. "
        "Secondo l'Istat, 300 famiglie hanno lasciato la città."
    ),
    "doc-b": (
        "La Francia ha negato che Parigi voglia nuove tasse. "
        "Fonti vicine al governo dicono che la riforma slitterà a marzo."
    ),
    "doc-c": (
        "Il ministro Luca Verdi ha affermato che i treni torneranno puntuali. "
        "La Cgil ha detto che lo sciopero continuerà lunedì."
    ),
}


def _find(text: str, fragment: str) -> tuple[int, int]:
    start = text.index(fragment)
    return start, start + len(fragment)


GOLD_ITEMS = {
    # entities: (fragment, label); claims: (fragment, stance, claimer fragment or kind)
    "doc-a": (
        [("Mario Rossi", "PER"), ("Torino", "GPE"), ("2026", "DATE"), ("Istat", "ORG"), ("300 famiglie", "QUANTITY")],
        [
            ("Torino crescerà nel 2026", "SUPPORT", "Mario Rossi"),
            ("300 famiglie hanno lasciato la città", "SUPPORT", "Istat"),
        ],
    ),
    "doc-b": (
        [("Francia", "GPE"), ("Parigi", "GPE"), ("marzo", "DATE")],
        [("Parigi voglia nuove tasse", "REFUTE", "Francia"), ("la riforma slitterà a marzo", "SUPPORT", "unnamed")],
    ),
    "doc-c": (
        [("Luca Verdi", "PER"), ("Cgil", "ORG"), ("lunedì", "DATE")],
        [
            ("i treni torneranno puntuali", "SUPPORT", "Luca Verdi"),
            ("lo sciopero continuerà lunedì", "SUPPORT", "Cgil"),
        ],
    ),
}


def _gold_record(doc_id: str, document: dict) -> dict:
    text = document["text"]
    entities, claims = [], []
    for index, (fragment, label) in enumerate(GOLD_ITEMS[doc_id][0]):
        start, end = _find(text, fragment)
        entities.append({"id": f"e{index}", "start": start, "end": end, "label": label, "text": fragment})
    by_text = {entity["text"]: entity["id"] for entity in entities}
    for index, (fragment, stance, claimer) in enumerate(GOLD_ITEMS[doc_id][1]):
        start, end = _find(text, fragment)
        kind = (
            {"kind": "entity", "entity_ids": [by_text[claimer]]}
            if claimer in by_text
            else {"kind": claimer, "entity_ids": []}
        )
        claims.append(
            {"id": f"c{index}", "start": start, "end": end, "text": fragment, "stance": stance, "claimer": kind}
        )
    return {"id": doc_id, "text_sha256": document["text_sha256"], "entities": entities, "claims": claims}


def _perfect(gold: dict, document: dict) -> dict:
    """The prediction record that reproduces a gold record exactly."""
    entities = {entity["id"]: entity for entity in gold["entities"]}
    claims = []
    for claim in gold["claims"]:
        claimer = claim["claimer"]
        if claimer["kind"] == "entity":
            mention = entities[claimer["entity_ids"][0]]
            predicted_claimer = {"start": mention["start"], "end": mention["end"]}
        else:
            predicted_claimer = claimer["kind"].upper()
        claims.append(
            {"start": claim["start"], "end": claim["end"], "stance": claim["stance"], "claimer": predicted_claimer}
        )
    return {
        "id": gold["id"],
        "entities": [{k: e[k] for k in ("start", "end", "label")} for e in gold["entities"]],
        "claims": claims,
    }


def _submission(root: Path, folder: str, meta, records) -> None:
    if isinstance(meta, str):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / "meta.json").write_text(meta, encoding="utf-8")
    else:
        write_json(root / folder / "meta.json", meta)
    write_jsonl(root / folder / "predictions.jsonl", records)


def make_world(tmp_path: Path) -> dict:
    documents = {doc_id: make_document(doc_id, text, "it") for doc_id, text in TEXTS.items()}
    write_jsonl(tmp_path / "documents.jsonl", documents.values())
    gold = [_gold_record(doc_id, document) for doc_id, document in documents.items()]
    write_jsonl(tmp_path / "gold.jsonl", gold)
    perfect = [_perfect(record, documents[record["id"]]) for record in gold]
    weaker = copy.deepcopy(perfect)
    for record in weaker:
        record["entities"] = record["entities"][:1]
        record["claims"][0]["stance"] = "NEUTRAL"
    worst = [{"id": record["id"], "entities": [], "claims": record["claims"][:1]} for record in perfect]
    root = tmp_path / "submissions"
    _submission(
        root,
        "a-perfect",
        {"name": "Perfect", "authors": ["Ada Lovelace"], "url": "https://example.org/perfect", "date": "2025-01-01"},
        perfect,
    )
    _submission(
        root,
        "b-twin",
        {"name": "Twin of perfect", "authors": "Grace Hopper", "description": "same output, other name"},
        perfect,
    )
    _submission(root, "c-weaker", {"name": "Weaker"}, weaker)
    _submission(
        root, "d-xss", {"name": XSS_NAME, "url": "javascript:alert(1)", "description": "<b>bold?</b> | pipe"}, worst
    )
    _submission(
        root,
        "e-entities-only",
        {"name": "Entities only"},
        [{"id": r["id"], "entities": r["entities"]} for r in perfect],
    )
    bad_offsets = copy.deepcopy(perfect)
    bad_offsets[0]["entities"][0]["end"] = 10_000
    _submission(root, "f-bad-offsets", {"name": "Bad offsets"}, bad_offsets)
    _submission(root, "g-bad-meta", '{"name": 42}', perfect)
    _submission(root, "h-duplicate-name", {"name": "Weaker"}, weaker)
    return tmp_path


def _board(world, bootstrap=200):
    return build_leaderboard(
        world / "submissions",
        world / "gold.jsonl",
        world / "out",
        documents=world / "documents.jsonl",
        bootstrap=bootstrap,
        seed=7,
    )
