"""Synthetic Italian news corpora with gold annotations, for the dataset tests and benchmarks.

Every text is assembled from pieces whose offsets are known, so the gold is
exact by construction: entities (with elisions, hyphenated pairs that cut a
token, abbreviations), claims attributed to a named entity, to the author or to
an unnamed source, and optionally a nested mention that IOB2 tags cannot hold.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from toolkit.documents import make_document
from toolkit.files import write_jsonl

PEOPLE = ["Mario Rossi", "Giulia Bianchi", "Kim Jong Un", "Vladimir Putin", "Shin Wonsik", "Anna Verdi"]
PLACES = ["Russia", "Corea del Nord", "Italia", "Ucraina", "Cina", "Vietnam", "Milano"]
ORGS = ["Ansa", "Kcna", "NHK", "Onu", "Fiat S.p.A."]
VERBS = ["ha affermato che", "ha detto che", "ha negato che", "sostiene che"]
FACTS = ["ha spedito armi", "ha firmato un accordo", "ha aumentato le esportazioni", "ha chiuso il confine", "ha lanciato un satellite"]
STANCE_OF_VERB = {"ha affermato che": "SUPPORT", "ha detto che": "SUPPORT", "ha negato che": "REFUTE", "sostiene che": "SUPPORT"}


class _Writer:
    """Appends text pieces and records entity and claim offsets as it goes."""

    def __init__(self) -> None:
        self.text = ""
        self.entities: list[dict[str, Any]] = []
        self.claims: list[dict[str, Any]] = []

    def add(self, piece: str) -> tuple[int, int]:
        start = len(self.text)
        self.text += piece
        return start, len(self.text)

    def entity(self, piece: str, label: str) -> str:
        start, end = self.add(piece)
        entity_id = f"e{len(self.entities) + 1}"
        self.entities.append({"id": entity_id, "start": start, "end": end, "label": label, "text": piece})
        return entity_id

    def claim(self, start: int, end: int, stance: str, kind: str, entity_ids: list[str]) -> None:
        self.claims.append({
            "id": f"c{len(self.claims) + 1}", "start": start, "end": end, "text": self.text[start:end], "stance": stance,
            "claimer": {"kind": kind, "entity_ids": entity_ids},
        })


def _sentence(writer: _Writer, rng: random.Random, nested: bool) -> None:
    shape = rng.randrange(5)
    if shape == 0:  # named claimer: "Mario Rossi ha detto che la Russia ha spedito armi."
        claimer = writer.entity(rng.choice(PEOPLE), "PER")
        verb = rng.choice(VERBS)
        writer.add(f" {verb} ")
        start = len(writer.text)
        writer.add("la ")
        writer.entity(rng.choice(PLACES), "GPE")
        writer.add(f" {rng.choice(FACTS)}")
        writer.claim(start, len(writer.text), STANCE_OF_VERB[verb], "entity", [claimer])
        writer.add(". ")
    elif shape == 1:  # unnamed source, elision: "Secondo i media, l’Onu ha firmato un accordo."
        writer.add("Secondo i media, l’")
        start = len(writer.text)
        writer.entity(rng.choice(ORGS), "ORG")
        writer.add(f" {rng.choice(FACTS)}")
        writer.claim(start - 2, len(writer.text), "NEUTRAL", "unnamed", [])
        writer.add(". ")
    elif shape == 2:  # a token cut by two entities: "Il vertice Corea-Russia si è svolto il 12 giugno."
        writer.add("Il vertice ")
        writer.entity(rng.choice(["Corea", "Italia", "Cina"]), "GPE")
        writer.add("-")
        writer.entity(rng.choice(["Russia", "Vietnam", "Ucraina"]), "GPE")
        writer.add(" si è svolto il ")
        writer.entity(f"{rng.randint(1, 28)} giugno", "DATE")
        writer.add(".\n\n")
    elif shape == 3:  # author's voice, quantity, abbreviation: "Il dott. Rossi ha ricevuto 7.000 container."
        start = len(writer.text)
        writer.add("Il dott. ")
        writer.entity(rng.choice(["Rossi", "Bianchi", "Verdi"]), "PER")
        writer.add(" ha ricevuto ")
        writer.entity(f"{rng.randint(2, 9)}.000 container", "QUANTITY")
        writer.claim(start, len(writer.text), "SUPPORT", "author", [])
        writer.add(". ")
    else:  # quoted speech, optionally a nested mention: "«La Corea del Nord è pronta», ha detto Kim."
        writer.add("«La ")
        place_start = len(writer.text)
        writer.entity("Corea del Nord", "GPE")
        if nested:
            writer.entities.append({"id": f"e{len(writer.entities) + 1}", "start": place_start + 10, "end": place_start + 14, "label": "LOC", "text": "Nord"})
        writer.add(" è pronta», ha detto ")
        writer.entity(rng.choice(["Kim", "Putin", "Shin"]), "PER")
        writer.add(". ")


def synthetic_pair(index: int, rng: random.Random, sentences: int = 6, nested: bool = False, split: str | None = None) -> tuple[dict, dict]:
    """One document and its gold record."""
    writer = _Writer()
    for _ in range(sentences):
        _sentence(writer, rng, nested)
    text = writer.text.rstrip()
    document = make_document(f"synthetic-{index:06d}", text, "it", title=f"Articolo {index}", source="synthetic (generated by toolkit.dataset.synthetic)", license="cc0-1.0", split=split)
    gold = {"id": document["id"], "text_sha256": document["text_sha256"], "annotator": "synthetic", "entities": writer.entities, "claims": writer.claims}
    return document, gold


def synthetic_corpus(count: int, seed: int = 0, sentences: int = 6, nested: bool = False) -> Iterator[tuple[dict, dict]]:
    rng = random.Random(seed)
    for index in range(count):
        yield synthetic_pair(index, rng, sentences=sentences, nested=nested)


def write_synthetic_corpus(folder: Path, count: int, seed: int = 0, sentences: int = 6, nested: bool = False) -> tuple[Path, Path]:
    """``documents.jsonl`` and ``gold.jsonl`` in ``folder``, written as a stream."""
    documents_path, gold_path = Path(folder) / "documents.jsonl", Path(folder) / "gold.jsonl"
    write_jsonl(documents_path, (document for document, _ in synthetic_corpus(count, seed, sentences, nested)))
    write_jsonl(gold_path, (gold for _, gold in synthetic_corpus(count, seed, sentences, nested)))
    return documents_path, gold_path
