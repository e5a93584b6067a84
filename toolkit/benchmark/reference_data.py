"""A phase's reference data: one split's gold laid out as the scorer reads it, plus JSONL for people.

The layout is that of the private folder `toolkit build --blind` writes,
restricted to one split: ``documents/<split>-*.parquet`` with the labels,
``scoring/<split>.npz`` compiled from them, ``gold/<split>.jsonl`` and
``gold/<split>.documents.jsonl`` (the records, read back from the parquet
rows), and ``withheld.json`` naming the split.  So the scoring program runs
``toolkit eval``'s scorer on it exactly as an organizer does on the private
folder.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from toolkit.built import data_file
from toolkit.dataset.blind import WITHHELD_MANIFEST, documents_file, gold_file
from toolkit.errors import InputError
from toolkit.files import dumps_line, parquet_batches
from toolkit.inventory import load_inventory

DOCUMENT_FIELDS = ("title", "source", "url", "published", "license")


def records_of(folder: Path, split: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """The document and gold record of every row of a split's ``documents`` parquet files (the inverse of
    `toolkit.dataset.rows.document_row`; item-level annotator lists are not in the rows)."""
    inventory = load_inventory()
    path = Path(folder) / data_file("documents", split)
    for batch in parquet_batches(path, batch_size=500):
        for row in batch.to_pylist():
            document = {
                "id": row["id"],
                "lang": row["lang"],
                **{name: row[name] for name in DOCUMENT_FIELDS if row[name] is not None},
                "split": split,
                "text": row["text"],
                "text_sha256": row["text_sha256"],
            }
            gold = {
                "id": row["id"],
                "text_sha256": row["text_sha256"],
                "entities": [
                    {
                        "id": entity["id"],
                        "start": entity["start"],
                        "end": entity["end"],
                        "label": inventory.entity_names[entity["label"]],
                        "text": entity["text"],
                    }
                    for entity in row["entities"]
                ],
                "claims": [
                    {
                        "id": claim["id"],
                        "start": claim["start"],
                        "end": claim["end"],
                        "text": claim["text"],
                        "stance": inventory.stance_names[claim["stance"]],
                        "claimer": {
                            "kind": inventory.claimer_kind_names[claim["claimer_kind"]],
                            "entity_ids": list(claim["claimer_ids"]),
                        },
                    }
                    for claim in row["claims"]
                ],
            }
            yield document, gold


def reference_files(source: Path, split: str, generator: str) -> dict[str, bytes]:
    """The reference data of a split whose gold is in ``source`` (a built folder, public or private), as
    ``{path: bytes}`` relative to the reference folder."""
    from toolkit.scoring.gold.compiler import compile_gold

    parquet = data_file("documents", split)
    if not (Path(source) / parquet).is_file():
        raise InputError(f"{source}: no {parquet} (expected a folder written by `toolkit build` with split {split!r})")
    with tempfile.TemporaryDirectory(prefix="voci-reference-") as temporary:
        folder = Path(temporary)
        (folder / parquet).parent.mkdir()
        shutil.copyfile(Path(source) / parquet, folder / parquet)
        compiled = compile_gold(folder, split).relative_to(folder).as_posix()
        files = {name: (folder / name).read_bytes() for name in (parquet, compiled)}
    gold_lines, document_lines = [], []
    counts = {"documents": 0, "entities": 0, "claims": 0}
    for document, gold in records_of(source, split):
        document_lines.append(dumps_line(document))
        gold_lines.append(dumps_line(gold))
        counts["documents"] += 1
        counts["entities"] += len(gold["entities"])
        counts["claims"] += len(gold["claims"])
    files[gold_file(split)] = "".join(gold_lines).encode("utf-8")
    files[documents_file(split)] = "".join(document_lines).encode("utf-8")
    manifest = {
        "generator": generator,
        "splits": {
            split: {
                **counts,
                "files": {
                    "documents": parquet,
                    "compiled": compiled,
                    "gold": gold_file(split),
                    "gold_documents": documents_file(split),
                },
            }
        },
    }
    files[WITHHELD_MANIFEST] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return files
