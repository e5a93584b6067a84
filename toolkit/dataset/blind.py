"""Blind splits: texts published without their labels, the gold kept in a separate private folder.

``toolkit build --blind test`` publishes the test split's texts with every
annotation withheld, as `datasets` expects for an unlabeled split: span lists
empty, every IOB2 tag ``-1`` (`datasets.ClassLabel`'s "no label"), no rows in
the ``claims`` config.  Tokens and sentences of a blind split are derived
without the gold, so that not even a token split at an entity boundary gives a
label away.  Each parquet file of a blind split carries the mark of
`toolkit.withheld`, which the scorer and ``toolkit publish`` read.

The withheld gold goes to the private folder (``dist/private`` by default):
the same parquet files with their labels, the split compiled for the scorer,
and the gold and document records as JSONL.  Its ``withheld.json`` marks it,
and ``toolkit publish`` refuses any folder that holds one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from toolkit.built import BuiltFolder
from toolkit.dataset.rows import DocumentRows, Encoders, annotators_of, rows_for
from toolkit.errors import InputError
from toolkit.files import parquet_errors
from toolkit.withheld import is_blind_file

NO_LABEL = -1  # `datasets.ClassLabel.encode_example`: "Allowing -1 to mean no label."
WITHHELD_MANIFEST = "withheld.json"
PRIVATE_MARKER = "<!-- withheld gold written by `toolkit build --blind`: never publish this folder -->"
GOLD_FOLDER = "gold"


def gold_file(split: str) -> str:
    """The withheld gold records of a split, relative to the private folder (`toolkit validate`'s annotation
    format)."""
    return f"{GOLD_FOLDER}/{split}.jsonl"


def documents_file(split: str) -> str:
    """The documents (texts) the withheld gold refers to, relative to the private folder."""
    return f"{GOLD_FOLDER}/{split}.documents.jsonl"


def withheld_rows(document: Mapping[str, Any], record: Mapping[str, Any], encoders: Encoders) -> DocumentRows:
    """The rows a blind split publishes: text, tokens and sentences as if nothing were annotated, labels withheld.

    ``annotators`` still names who annotated the document: it is not a label.
    """
    rows = rows_for(document, {**record, "entities": [], "claims": []}, encoders)
    rows.documents[0]["annotators"] = annotators_of(record)
    for row in rows.ner:
        row["ner_tags"] = [NO_LABEL] * len(row["tokens"])
    return rows


def withheld_labels(path: Path, config: str) -> dict[str, int]:
    """How many labels a blind split's parquet file holds (all zero unless withheld gold was put back)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    with parquet_errors(path):
        if config == "documents":
            table = pq.read_table(path, columns=["entities", "claims"])
            return {
                "entity mentions": pc.sum(pc.list_value_length(table.column("entities"))).as_py() or 0,
                "claims": pc.sum(pc.list_value_length(table.column("claims"))).as_py() or 0,
            }
        if config == "ner":
            tags = pc.list_flatten(pq.read_table(path, columns=["ner_tags"]).column("ner_tags"))
            return {"IOB2 tags": pc.sum(pc.not_equal(tags, NO_LABEL)).as_py() or 0}
        return {"rows": pq.ParquetFile(path).metadata.num_rows}


def withheld_gold_in(folder: Path) -> list[str]:
    """What a folder about to be published holds of withheld gold, one line per finding (empty when clean)."""
    folder = Path(folder)
    found = [
        f"{path} (the marker of a private folder of withheld gold)"
        for path in sorted(folder.rglob(WITHHELD_MANIFEST))
        if path.parent != folder
    ]
    built = BuiltFolder.open(folder)
    for path in (path for config in built.configs() for path in built.split_files(None, config)):
        if not is_blind_file(path):
            continue
        counts = {name: count for name, count in withheld_labels(path, path.parent.name).items() if count}
        if counts:
            held = ", ".join(f"{count} {name}" for name, count in counts.items())
            found.append(f"{path} (a blind split's file holding {held})")
    return found


def refuse_private(folder: Path) -> None:
    """Raise unless ``folder`` is free of withheld gold: the private folder itself, or anything from it."""
    folder = Path(folder)
    manifest = folder / WITHHELD_MANIFEST
    if manifest.is_file():
        splits = ", ".join(read_manifest(folder).get("splits", {})) or "unknown"
        raise InputError(
            f"{folder}: is a private folder of withheld gold (split(s) {splits}; found {manifest}); "
            "it must never be published: publish the public folder written by the same `toolkit build` instead"
        )
    found = withheld_gold_in(folder)
    if found:
        raise InputError(
            f"{folder}: contains withheld gold: {'; '.join(found)}; move it out of the folder, or rebuild it with "
            "`toolkit build --blind ...`"
        )


def read_manifest(folder: Path) -> dict[str, Any]:
    """The ``withheld.json`` of a private folder; raises naming the file when it is missing or unreadable."""
    path = Path(folder) / WITHHELD_MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{folder}: no {WITHHELD_MANIFEST} (expected a private folder written by `toolkit build --blind`)"
        ) from None
    except (UnicodeDecodeError, ValueError) as error:
        raise InputError(
            f"{path}: not readable as JSON ({error}) (expected the manifest `toolkit build` wrote)"
        ) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("splits"), dict):
        raise InputError(f'{path}: splits: missing (expected a JSON object with "splits" written by `toolkit build`)')
    return manifest


def private_readme(splits: Iterable[str]) -> str:
    """The private folder's README: what it is and how it is used, so that nobody uploads it by mistake."""
    splits = list(splits)
    names, first = ", ".join(splits), splits[0]
    return f"""{PRIVATE_MARKER}

# Withheld gold (private): split(s) {names}

This folder holds the gold annotations that `toolkit build --blind` withheld from the public dataset. **Do not
publish it, commit it or share it**: a blind split is only blind while this folder stays private.
`toolkit publish` refuses it.

- `documents/`, `ner/`, `claims/`: the blind split's parquet files with their labels (the rows the public
  dataset would have had);
- `scoring/<split>.npz`: the split compiled for the scorer;
- `gold/<split>.jsonl` and `gold/<split>.documents.jsonl`: the gold records and their documents, as JSONL;
- `{WITHHELD_MANIFEST}`: what was withheld (document, entity and claim counts per split).

Score a system on a blind split: `toolkit eval predictions.jsonl --gold <this folder> --split {first} --ignore-extra`.
Host the benchmark: `toolkit benchmark-bundle --gold <this folder> --public <the public folder>` (docs/benchmark.md).
"""
