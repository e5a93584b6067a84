"""The mark of a blind split: a parquet file whose labels `toolkit build --blind` withheld.

The mark lives in each such file's schema metadata (key ``voci``), so it
travels with the data; the scorer refuses to treat a blind split's empty span
lists as gold, and ``toolkit publish`` checks that a blind split holds no
labels.  Only the parquet footer is read.
"""

from __future__ import annotations

import json
from pathlib import Path

from toolkit.built import BuiltFolder
from toolkit.errors import InputError, mention
from toolkit.files import check_input, parquet_errors

METADATA_KEY = b"voci"
BLIND_METADATA = {"labels": "withheld"}


def blind_schema(schema):
    """An arrow schema with the mark of a blind split added to its metadata."""
    return schema.with_metadata({**(schema.metadata or {}), METADATA_KEY: json.dumps(BLIND_METADATA).encode()})


def is_blind_file(path: Path) -> bool:
    """Whether a parquet file was written for a blind split."""
    import pyarrow.parquet as pq

    check_input(path, "a parquet file")
    with parquet_errors(path):
        metadata = pq.read_schema(path).metadata or {}
    try:
        return json.loads(metadata.get(METADATA_KEY, b"{}")) == BLIND_METADATA
    except ValueError:
        return False


def blind_splits(folder: Path | BuiltFolder) -> list[str]:
    """The blind splits of a built dataset folder: those with a marked file in its default config."""
    built = BuiltFolder.open(folder)
    return [split for split in built.splits() if any(is_blind_file(path) for path in built.split_files(split))]


def check_scorable(folder: Path | BuiltFolder, split: str | None) -> None:
    """Refuse to score against a split whose labels are withheld: its empty span lists are not gold."""
    built = BuiltFolder.open(folder)
    folder, blind = built.path, blind_splits(built)
    if split is not None and split in blind:
        raise InputError(
            f"{folder}: split {split!r} is blind (its labels are withheld by `toolkit build --blind {split}`); "
            f"score against the withheld gold instead: {mention('gold')} <the private folder, e.g. dist/private> "
            f"{mention('split')} {split}"
        )
    if split is None and blind:
        raise InputError(
            f"{folder}: split(s) {', '.join(blind)} are blind (labels withheld); pass {mention('split')} with a split "
            f"that has labels, or score a blind split against the private folder: {mention('gold')} dist/private "
            f"{mention('split')} {blind[0]}"
        )
