"""``toolkit build``: documents + gold → a Hugging Face dataset folder (parquet per config and split, and the card).

The corpus is streamed in batches of documents; only ids and byte offsets are
kept for the whole corpus.  Everything is written into a temporary folder beside
the output and moved into place at the end, so a failed build leaves nothing
behind and a previous build stays until the new one is complete.  Output depends
only on the inputs (no timestamps, fixed row order and row groups), so a rebuild
is byte-identical.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.dataset.features import CONFIG_FEATURES
from toolkit.dataset.inputs import RecordIndex, index_valid
from toolkit.dataset.layout import BUILD_MARKER, data_file
from toolkit.dataset.rows import Encoders, Tally, rows_for
from toolkit.dataset.splits import DEFAULT_RATIOS, document_split, ordered_splits
from toolkit.errors import ConflictError, InputError
from toolkit.files import iter_jsonl
from toolkit.paths import DEFAULT_BUILD, DEFAULT_DOCUMENTS, DEFAULT_GOLD

DEFAULT_BATCH_SIZE = 500
PARQUET_OPTIONS = {"compression": "snappy", "write_statistics": True}


@dataclass
class BuildReport:
    out: Path
    documents: int = 0
    unannotated_documents: int = 0
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    tally: Tally = field(default_factory=Tally)

    def lines(self) -> list[str]:
        """The summary a user reads after a build."""
        lines = [
            (
                f"built {self.out}: {self.documents} document(s) with gold "
                f"({self.unannotated_documents} without gold left out)"
            )
        ]
        for config, splits in self.rows.items():
            counts = (
                ", ".join(f"{split} {splits[split]}" for split in ordered_splits(splits)) or "no rows (config left out)"
            )
            lines.append(f"  {config}: {counts}")
        lines.append(
            f"  sentences {self.tally.sentences}, tokens {self.tally.tokens}; "
            f"tokens split at entity boundaries {self.tally.tokens_split_at_entity_boundaries}; "
            f"overlapping entities left out of ner tags {self.tally.entities_dropped_as_overlapping}; "
            f"sentences joined so no entity crosses them {self.tally.sentence_joins_for_entities}; "
            f"entities the tags do not reproduce exactly {self.tally.entities_not_reproduced_by_tags}"
        )
        return lines


class SplitWriters:
    """One parquet writer per (config, split), opened at its first row: empty splits get no file."""

    def __init__(self, folder: Path):
        import pyarrow.parquet as pq

        self._pq = pq
        self.folder = folder
        self.schemas = {config: features().arrow_schema for config, features in CONFIG_FEATURES.items()}
        self.writers: dict[tuple[str, str], Any] = {}
        self.rows: dict[str, dict[str, int]] = {config: {} for config in CONFIG_FEATURES}

    def write(self, config: str, split: str, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa

        if not rows:
            return
        key = (config, split)
        if key not in self.writers:
            path = self.folder / data_file(config, split)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.writers[key] = self._pq.ParquetWriter(path, self.schemas[config], **PARQUET_OPTIONS)
        self.writers[key].write_table(pa.Table.from_pylist(rows, schema=self.schemas[config]))
        self.rows[config][split] = self.rows[config].get(split, 0) + len(rows)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def _batches(
    documents_path: Path, gold: Mapping[str, Any], batch_size: int, report: BuildReport
) -> Iterator[list[tuple[dict, dict]]]:
    """Annotated documents in file order, ``batch_size`` at a time; counts the unannotated ones."""
    batch: list[tuple[dict, dict]] = []
    for _, document in iter_jsonl(documents_path):
        if document["id"] not in gold:
            report.unannotated_documents += 1
            continue
        batch.append((document, gold[document["id"]]))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def is_build(folder: Path) -> bool:
    """Whether a folder is a previous build that a new build may replace."""
    readme = folder / "README.md"
    return readme.is_file() and BUILD_MARKER in readme.read_text(encoding="utf-8", errors="replace")


def _move_into_place(built: Path, out: Path) -> None:
    """Replace ``out`` (absent, empty, or a previous build) by ``built`` in two renames."""
    if out.exists() and not out.is_dir():
        raise ConflictError(f"{out}: exists and is not a folder (expected a folder for the dataset, or nothing)")
    if out.exists() and any(out.iterdir()) and not is_build(out):
        raise ConflictError(
            f"{out}: exists and is not a dataset built by `toolkit build` "
            "(expected an empty folder or a previous build); move it away first"
        )
    os.chmod(built, 0o755)
    if not out.exists():
        os.replace(built, out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.replace(out, retired / out.name)
    try:
        os.replace(built, out)
    except BaseException:
        os.replace(retired / out.name, out)
        raise
    finally:
        shutil.rmtree(retired, ignore_errors=True)


def build_dataset(
    documents_path: Path = DEFAULT_DOCUMENTS,
    gold_path: Path = DEFAULT_GOLD,
    out: Path = DEFAULT_BUILD,
    ratios: Mapping[str, float] = DEFAULT_RATIOS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    card_inputs=None,
    card_copy: Path | None = None,
) -> BuildReport:
    """Validate the inputs, write every config's parquet files and the card, then move the folder into place."""
    from toolkit.dataset.card import CardInputs, write_card
    from toolkit.scoring.compiler import compile_gold

    if batch_size < 1:
        raise InputError(f"--batch-size: {batch_size} (expected a positive number of documents)")
    documents_path, gold_path, out = Path(documents_path), Path(gold_path), Path(out)
    documents: RecordIndex = index_valid(documents_path, "document")
    gold = index_valid(gold_path, "annotation", documents=documents, documents_source=str(documents_path))
    documents.close()
    report = BuildReport(out=out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.build-", dir=out.parent))
    try:
        writers = SplitWriters(staging)
        encoders = Encoders.from_inventory()
        try:
            for batch in _batches(documents_path, gold, batch_size, report):
                per_split: dict[str, dict[str, list]] = {}
                for document, record in batch:
                    rows = rows_for(document, record, encoders)
                    report.tally.add(rows.tally)
                    target = per_split.setdefault(
                        document_split(document, ratios), {config: [] for config in CONFIG_FEATURES}
                    )
                    for config in CONFIG_FEATURES:
                        target[config].extend(getattr(rows, config))
                report.documents += len(batch)
                for split in sorted(per_split):
                    for config, config_rows in per_split[split].items():
                        writers.write(config, split, config_rows)
        finally:
            writers.close()
            gold.close()
        report.rows = {config: counts for config, counts in writers.rows.items() if counts}
        if not report.documents:
            raise InputError(
                f"{gold_path}: no gold record matches a document of {documents_path} "
                "(expected at least one annotated document)"
            )
        for split in report.rows["documents"]:
            compile_gold(staging, split)
        write_card(staging, card_inputs or CardInputs())
        _move_into_place(staging, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(staging)
        raise
    if card_copy is not None:
        from toolkit.files import write_text

        write_text(card_copy, (out / "README.md").read_text(encoding="utf-8"))
    return report
