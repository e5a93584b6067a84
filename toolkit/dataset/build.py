"""``toolkit build``: documents + gold → a Hugging Face dataset folder (parquet per config and split, and the card).

The corpus is streamed in batches of documents; only ids and byte offsets are
kept for the whole corpus.  Everything is written into a staged folder beside
the output and moved into place at the end with the card copy (`toolkit.staging`),
so a failed build leaves nothing behind and a previous build stays until the new
one is complete.  A build lists the files it wrote in `BUILD_MANIFEST`; a rebuild
replaces a folder only when every file in it is one of those, so nothing else is
ever deleted, and no input may sit inside ``--out``.  Output depends only on the
inputs (no timestamps, fixed row order and row groups), so a rebuild is
byte-identical.

With blind splits (`toolkit.dataset.blind`) the build writes two folders: the
public one, whose blind splits have their labels withheld, and the private one
with the withheld gold; both are staged and moved into place at the end.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.built import BUILD_MANIFEST, BUILD_MARKER, data_file
from toolkit.dataset.blind import WITHHELD_MANIFEST, documents_file, gold_file, private_readme, withheld_rows
from toolkit.dataset.features import CONFIG_FEATURES
from toolkit.dataset.inputs import RecordIndex, index_valid
from toolkit.dataset.rows import DocumentRows, Encoders, Tally, rows_for
from toolkit.dataset.splits import DEFAULT_RATIOS, document_split, ordered_splits
from toolkit.errors import ConflictError, InputError, mention
from toolkit.files import dumps_line, iter_jsonl, read_json, write_json, write_text
from toolkit.pathguard import FOLDER, Input, Output, PathPlan
from toolkit.paths import DEFAULT_BUILD, DEFAULT_DOCUMENTS, DEFAULT_GOLD, DEFAULT_PRIVATE
from toolkit.staging import staged
from toolkit.withheld import blind_schema

DEFAULT_BATCH_SIZE = 500
PARQUET_OPTIONS = {"compression": "snappy", "write_statistics": True}
# What a build wrote before builds listed their files: the card, parquet files, compiled gold, withheld gold.
UNLISTED_BUILD_FILE = re.compile(
    r"README\.md|withheld\.json|[a-z]+/[A-Za-z0-9_]+-00000-of-00001\.parquet|scoring/[A-Za-z0-9_]+\.npz"
    r"|gold/[A-Za-z0-9_]+(\.documents)?\.jsonl"
)


@dataclass
class BuildReport:
    out: Path
    documents: int = 0
    unannotated_documents: int = 0
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    tally: Tally = field(default_factory=Tally)
    private_out: Path | None = None
    withheld: dict[str, Counter] = field(default_factory=dict)  # per blind split: documents, entities, claims

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
        for split, counts in self.withheld.items():
            lines.append(
                f"  blind split {split}: labels of {counts['documents']} document(s) withheld "
                f"({counts['entities']} entity mentions, {counts['claims']} claims) → {self.private_out} "
                "(private: never publish it)"
            )
        return lines


class SplitWriters:
    """One parquet writer per (config, split), opened at its first row: empty splits get no file."""

    def __init__(self, folder: Path, blind: Collection[str] = ()):
        import pyarrow.parquet as pq

        self._pq = pq
        self.folder = folder
        self.blind = frozenset(blind)
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
            schema = blind_schema(self.schemas[config]) if split in self.blind else self.schemas[config]
            self.writers[key] = self._pq.ParquetWriter(path, schema, **PARQUET_OPTIONS)
        self.writers[key].write_table(pa.Table.from_pylist(rows, schema=self.writers[key].schema))
        self.rows[config][split] = self.rows[config].get(split, 0) + len(rows)

    def write_all(self, per_split: Mapping[str, Mapping[str, list[dict[str, Any]]]]) -> None:
        """One batch's rows, ``{split: {config: rows}}``, in split order."""
        for split in sorted(per_split):
            for config, config_rows in per_split[split].items():
                self.write(config, split, config_rows)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def _add_rows(per_split: dict[str, dict[str, list]], split: str, rows: DocumentRows) -> None:
    target = per_split.setdefault(split, {config: [] for config in CONFIG_FEATURES})
    for config in CONFIG_FEATURES:
        target[config].extend(getattr(rows, config))


class WithheldGold:
    """The private side of a blind build: the blind splits' labelled rows, and their gold and documents as JSONL."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.writers = SplitWriters(folder)
        self.handles: dict[str, Any] = {}
        self.counts: dict[str, Counter] = {}

    def add_records(self, split: str, document: Mapping[str, Any], record: Mapping[str, Any]) -> None:
        """The document (with the split it was given) and its gold record, as they were read."""
        for name, line in ((gold_file(split), record), (documents_file(split), {**document, "split": split})):
            if name not in self.handles:
                (self.folder / name).parent.mkdir(parents=True, exist_ok=True)
                self.handles[name] = (self.folder / name).open("w", encoding="utf-8", newline="\n")
            self.handles[name].write(dumps_line(line))
        counts = self.counts.setdefault(split, Counter())
        counts.update(documents=1, entities=len(record["entities"]), claims=len(record["claims"]))

    def close(self) -> None:
        self.writers.close()
        for handle in self.handles.values():
            handle.close()

    def finish(self, public_name: str) -> None:
        """Compile each split for the scorer and write the manifest and README that mark the folder private."""
        from toolkit import __version__
        from toolkit.files import write_json, write_text
        from toolkit.scoring.gold.compiler import compile_gold

        splits = ordered_splits(self.counts)
        manifest = {
            "generator": f"toolkit build --blind (voci toolkit {__version__})",
            "public": public_name,
            "splits": {},
        }
        for split in splits:
            compiled = compile_gold(self.folder, split)
            manifest["splits"][split] = {
                **{name: self.counts[split][name] for name in ("documents", "entities", "claims")},
                "files": {
                    **{
                        config: data_file(config, split)
                        for config, found in self.writers.rows.items()
                        if split in found
                    },
                    "compiled": compiled.relative_to(self.folder).as_posix(),
                    "gold": gold_file(split),
                    "gold_documents": documents_file(split),
                },
            }
        write_json(self.folder / WITHHELD_MANIFEST, manifest)
        write_text(self.folder / "README.md", private_readme(splits))


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


def is_private_folder(folder: Path) -> bool:
    """Whether a folder is a previous private folder of withheld gold that a new blind build may replace."""
    return (folder / WITHHELD_MANIFEST).is_file()


def folder_entries(folder: Path) -> list[str]:
    """Every file and folder inside ``folder`` (relative, POSIX), symbolic links not followed."""
    entries = []
    for root, folders, files in os.walk(folder):
        base = Path(root).relative_to(folder)
        entries += [(base / name).as_posix() for name in folders + files]
    return sorted(entries)


def built_files(folder: Path) -> set[str]:
    """The files a previous build wrote into ``folder``: its manifest's list, else those a build writes."""
    manifest = folder / BUILD_MANIFEST
    if not manifest.is_file():
        return {entry for entry in folder_entries(folder) if UNLISTED_BUILD_FILE.fullmatch(entry)}
    listed = read_json(manifest, f"the list of files of a build ({BUILD_MANIFEST})")
    files = listed.get("files") if isinstance(listed, dict) else None
    if not isinstance(files, list) or not all(isinstance(name, str) for name in files):
        raise InputError(
            f"{manifest}: files: missing or not a list of names (expected the file `toolkit build` writes)"
        )
    return {*files, BUILD_MANIFEST}


def check_replaceable(out: Path, option: str, previous: Callable[[Path], bool], what: str) -> None:
    """A build replaces ``out`` only if it is absent, empty, or a previous build holding nothing but what it wrote."""
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not previous(out):
        raise ConflictError(
            f"{option} {out}: exists and is not {what} built by `toolkit build` "
            "(expected an empty folder or a previous build); move it away first"
        )
    listed = built_files(out)
    folders = {parent.as_posix() for name in listed for parent in Path(name).parents if parent != Path(".")}
    foreign = [entry for entry in folder_entries(out) if entry not in listed and entry not in folders]
    if foreign:
        raise ConflictError(
            f"{option} {out}: {foreign[0]} was not written by `toolkit build` "
            f"({len(foreign)} such file(s); a rebuild deletes only what the previous build wrote: move them out first)"
        )


def write_manifest(folder: Path) -> None:
    """List the files of a staged build folder (`BUILD_MANIFEST`): what the next build may replace."""
    written = [entry for entry in folder_entries(folder) if (folder / entry).is_file()]
    write_json(folder / BUILD_MANIFEST, {"generator": "toolkit build", "files": written})


def _private_folder(out: Path, blind: Collection[str], private_out: Path | None) -> Path | None:
    """Where the withheld gold goes: never inside the public folder, nor the public folder inside it."""
    if not blind:
        if private_out is not None:
            raise InputError(
                f"{private_out} given without {mention('blind')} (no split's labels are withheld)",
                parameter="private_out",
            )
        return None
    private_out = Path(private_out or DEFAULT_PRIVATE)
    public, private = out.resolve(), private_out.resolve()
    if public == private or public in private.parents or private in public.parents:
        raise InputError(
            f"{private_out} overlaps {mention('out')} {out} (the withheld gold would be published with the "
            f"dataset); expected a folder outside it, e.g. {DEFAULT_PRIVATE}",
            parameter="private_out",
        )
    return private_out


def build_dataset(
    documents_path: Path = DEFAULT_DOCUMENTS,
    gold_path: Path = DEFAULT_GOLD,
    out: Path = DEFAULT_BUILD,
    ratios: Mapping[str, float] = DEFAULT_RATIOS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    card_inputs=None,
    card_copy: Path | None = None,
    blind: Collection[str] = (),
    private_out: Path | None = None,
) -> BuildReport:
    """Validate the inputs, write every config's parquet files and the card, then move the folder into place.

    The labels of the ``blind`` splits are withheld from ``out`` and written to ``private_out``.
    """
    from toolkit.dataset.card import CardInputs, write_card
    from toolkit.scoring.gold.compiler import compile_gold

    if batch_size < 1:
        raise InputError(f"{batch_size} (expected a positive number of documents)", parameter="batch_size")
    documents_path, gold_path, out = Path(documents_path), Path(gold_path), Path(out)
    card_inputs = card_inputs or CardInputs()
    blind = sorted(set(blind))
    private_out = _private_folder(out, blind, private_out)
    plan = PathPlan(
        [
            Input(mention("documents"), documents_path),
            Input(mention("gold"), gold_path),
            Input(mention("agreement"), Path(card_inputs.agreement)),
            Input(mention("scores"), Path(card_inputs.scores)),
            Input(mention("guidelines"), Path(card_inputs.guidelines)),
        ],
        [
            Output(mention("out"), out, FOLDER),
            *([Output(mention("private_out"), private_out, FOLDER)] if private_out is not None else []),
            *([Output(mention("card"), Path(card_copy))] if card_copy is not None else []),
        ],
    )
    with staged(plan) as staging:
        check_replaceable(out, mention("out"), is_build, "a dataset")
        if private_out is not None:
            check_replaceable(
                private_out, mention("private_out"), is_private_folder, "a private folder of withheld gold"
            )
        documents: RecordIndex = index_valid(documents_path, "document")
        gold = index_valid(gold_path, "annotation", documents=documents, documents_source=str(documents_path))
        documents.close()
        report = BuildReport(out=out, private_out=private_out)
        folder = staging.folder(out)
        writers = SplitWriters(folder, blind)
        private = WithheldGold(staging.folder(private_out)) if private_out else None
        encoders = Encoders.from_inventory()
        try:
            for batch in _batches(documents_path, gold, batch_size, report):
                public_rows: dict[str, dict[str, list]] = {}
                withheld: dict[str, dict[str, list]] = {}
                for document, record in batch:
                    split = document_split(document, ratios)
                    rows = rows_for(document, record, encoders)
                    report.tally.add(rows.tally)
                    if private is not None and split in blind:
                        _add_rows(withheld, split, rows)
                        private.add_records(split, document, record)
                        rows = withheld_rows(document, record, encoders)
                    _add_rows(public_rows, split, rows)
                report.documents += len(batch)
                writers.write_all(public_rows)
                if private is not None:
                    private.writers.write_all(withheld)
        finally:
            writers.close()
            if private is not None:
                private.close()
            gold.close()
        report.rows = {config: counts for config, counts in writers.rows.items() if counts}
        if not report.documents:
            raise InputError(
                f"{gold_path}: no gold record matches a document of {documents_path} "
                "(expected at least one annotated document)"
            )
        missing = [split for split in blind if split not in report.rows["documents"]]
        if missing:
            raise InputError(
                f"split {missing[0]!r} has no annotated document "
                f"(splits built: {', '.join(ordered_splits(report.rows['documents']))})",
                parameter="blind",
            )
        for split in report.rows["documents"]:
            if split not in blind:
                compile_gold(folder, split)
        # the card describes this build: its gold and documents are the ones just read, whatever else it quotes
        card = write_card(folder, dataclasses.replace(card_inputs, documents=documents_path, gold=gold_path))
        write_manifest(folder)
        if private is not None:
            private.finish(out.name)
            write_manifest(private.folder)
            report.withheld = {split: private.counts[split] for split in ordered_splits(private.counts)}
        if card_copy is not None:
            write_text(card_copy, card, permissions=0o644)
    return report
