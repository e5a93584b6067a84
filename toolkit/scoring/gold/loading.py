"""Reading the gold from wherever it is: a gold JSONL with its documents, a built folder, or a Hub id.

A built folder is read from its compiled gold (`toolkit.scoring.gold.compiled`)
when that is valid and the engine allows it, else from its parquet files
(`toolkit.scoring.gold.parquet`); a Hub id is a built folder in the Hugging Face
cache (`toolkit.scoring.gold.hub`).  ``--split`` must name a split the gold has:
it is compared with the names found, never used as a pattern or a path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from toolkit.built import BuiltFolder
from toolkit.errors import InputError
from toolkit.inventory import load_inventory
from toolkit.paths import DEFAULT_DOCUMENTS
from toolkit.scoring.gold.compiled import load_compiled_gold
from toolkit.scoring.gold.gold import Gold, gold_spans
from toolkit.scoring.gold.parquet import load_parquet_gold
from toolkit.scoring.spans import ClaimColumns, EntityColumns
from toolkit.withheld import check_scorable


def load_gold_from(source: str | Path, documents: Path | None, split: str | None, compiled: bool) -> Gold:
    """Gold from an existing folder (a build), an existing file (a gold JSONL, texts from ``documents``), or else
    a Hub id ``ORG/NAME[@REVISION]``; ``compiled``: whether a build's compiled gold may be used (``split`` is
    checked by `toolkit.scoring.scorer.load_gold`)."""
    path = Path(source)
    if path.is_dir():
        return load_built_gold(path, split, compiled)
    if path.is_file():
        return _load_jsonl_gold(path, Path(documents or DEFAULT_DOCUMENTS), split)
    from toolkit.scoring.gold.hub import snapshot

    folder, repo, revision = snapshot(str(source))
    gold = load_built_gold(folder, split, compiled)
    gold.name, gold.revision = repo, revision
    gold.notes.insert(0, f"gold: dataset {repo} at commit {revision} (Hugging Face cache {folder})")
    return gold


def check_split(split: str, available: Sequence[str], where: str) -> None:
    """``split`` must name one of the splits ``where`` has."""
    if split not in available:
        raise InputError(
            f"{split!r} is not a split of {where} (splits there: {', '.join(available) or 'none'})", parameter="split"
        )


def load_built_gold(folder: Path, split: str | None, compiled: bool) -> Gold:
    """A split (every split when ``None``) of a built folder: compiled at build time when valid, else parquet.

    The folder is listed once (`BuiltFolder`); every step below reads that listing."""
    built = BuiltFolder.open(folder)
    if split is not None:
        check_split(split, built.splits(), str(folder))
    notes = []
    if compiled and split is not None:
        fields, reason = load_compiled_gold(built, split)
        if fields is not None:
            gold = Gold(folder.name, split, **fields)  # its notes: what happens to it later (its texts)
            gold.notes.insert(0, f"gold: {folder}, split {split}, from its compiled gold (scoring/{split}.npz)")
            gold.folder = folder
            return gold
        notes.append(f"gold: scoring/{split}.npz not used: {reason}")
    check_scorable(built, split)  # a blind split's empty span lists are not gold (`compile_gold` refuses them too)
    gold = load_parquet_gold(built, split)
    gold.notes = [*notes, f"gold: {folder}, split {split or 'all'}, from its parquet files"]
    gold.folder = folder
    return gold


def _load_jsonl_gold(gold: Path, documents_path: Path, split: str | None) -> Gold:
    from toolkit.validate import load_documents, require_valid  # not needed to score against a build

    documents = load_documents(documents_path)
    records = require_valid(gold, "annotation", documents, documents_source=str(documents_path))
    if split is not None:
        present = sorted({documents[record["id"]].get("split") for record in records} - {None})
        check_split(split, present, f"the gold documents of {gold} (in {documents_path})")
        records = [record for record in records if documents[record["id"]].get("split") == split]
    inventory = load_inventory()
    label_index = {name: i for i, name in enumerate(inventory.entity_names)}
    stance_index = {name: i for i, name in enumerate(inventory.stance_names)}
    spans = [gold_spans(record, documents[record["id"]]["text"], label_index, stance_index) for record in records]
    return Gold(
        gold.name,
        split,
        {record["id"]: documents[record["id"]] for record in records},
        [record["id"] for record in records],
        EntityColumns.from_documents([entities for entities, _ in spans]),
        ClaimColumns.from_documents([claims for _, claims in spans]),
        notes=[f"gold: {gold} with the texts of {documents_path}, validated"],
        mentions=lambda: _claims_with_mentions(records, documents),
    )


def _claims_with_mentions(records: list[dict], documents: Mapping[str, dict]) -> dict[str, tuple]:
    """``{doc id: (text, claims)}``, each claim with its own claimer mentions (`toolkit.scoring.newsclaims`)."""
    from toolkit.scoring.newsclaims import gold_claims

    return {record["id"]: (documents[record["id"]]["text"], gold_claims(record)) for record in records}
