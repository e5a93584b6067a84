"""One owner of the built folder (`toolkit.built.BuiltFolder`): a split written as several parquet files is read
the same by every reader, and ``toolkit eval`` lists a built folder once."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from scoring_corpus import build_random, random_predictions
from typer.testing import CliRunner

from toolkit.benchmark.bundle import _documents_per_split
from toolkit.built import BuiltFolder
from toolkit.cli import app
from toolkit.dataset.card import collect_stats
from toolkit.errors import InputError
from toolkit.files import read_jsonl, write_jsonl
from toolkit.scoring.gold.compiled import load_compiled_gold
from toolkit.scoring.gold.compiler import compile_gold
from toolkit.scoring.gold.gold import gold_hash
from toolkit.scoring.gold.parquet import load_parquet_gold
from toolkit.withheld import blind_splits


def built(tmp_path: Path, n_documents: int = 40) -> tuple[Path, list, list]:
    folder = build_random(tmp_path, 11, n_documents, splits=("train", "test"))
    return folder, read_jsonl(tmp_path / "documents.jsonl"), read_jsonl(tmp_path / "gold.jsonl")


def split_in_three(path: Path) -> list[Path]:
    """``test-00000-of-00001.parquet`` rewritten as three files of the same split (as a sharded upload has)."""
    table = pq.read_table(path)
    third = -(-table.num_rows // 3)
    parts = [path.with_name(path.name.replace("-00000-of-00001", f"-{k:05d}-of-00003")) for k in range(3)]
    for k, part in enumerate(parts):
        pq.write_table(table.slice(k * third, third), part)
    path.unlink()
    return parts


def readings(folder: Path) -> dict:
    """What every reader of a built folder says about its splits."""
    stats = collect_stats(folder)
    tests = load_parquet_gold(folder, "test")
    return {
        "splits": BuiltFolder.open(folder).splits(),
        "test ids": sorted(tests.ids),
        "test hash": gold_hash(tests),
        "all ids": sorted(load_parquet_gold(folder, None).ids),
        "card documents": {split: stats["splits"][split].documents for split in stats["splits"]},
        "card rows": stats["rows"],
        "bundle documents": _documents_per_split(folder),
        "blind": blind_splits(folder),
    }


def test_every_reader_agrees_on_a_split_of_several_files(tmp_path):
    folder, documents, _ = built(tmp_path)
    before = readings(folder)
    by_split = Counter(document["split"] for document in documents)
    assert before["card documents"] == {"train": by_split["train"], "test": by_split["test"]}
    assert before["bundle documents"] == before["card documents"]
    assert before["card rows"]["documents"] == before["card documents"]

    for config in BuiltFolder.open(folder).configs():
        split_in_three(folder / config / "test-00000-of-00001.parquet")
    assert BuiltFolder.open(folder).configs() == ["claims", "documents", "ner"]
    assert len(BuiltFolder.open(folder).split_files("test")) == 3
    assert readings(folder) == before
    assert collect_stats(folder)["files"]["documents"]["test"] == [
        f"documents/test-{k:05d}-of-00003.parquet" for k in range(3)
    ]

    fields, reason = load_compiled_gold(folder, "test")
    assert fields is None and "parquet files changed" in reason  # compiled from the one file it replaced
    compile_gold(folder, "test")
    fields, reason = load_compiled_gold(folder, "test")
    assert reason is None and fields["digest"] == before["test hash"] and sorted(fields["ids"]) == before["test ids"]


def test_eval_lists_a_built_folder_once(tmp_path, monkeypatch):
    """Every directory listing under the folder during ``toolkit eval --gold FOLDER``, counted: one, of its gold."""
    folder, documents, records = built(tmp_path)
    tests = {document["id"] for document in documents if document["split"] == "test"}
    predictions = tmp_path / "predictions.jsonl"
    write_jsonl(predictions, [r for r in random_predictions(random.Random(2), documents, records) if r["id"] in tests])
    listings: Counter = Counter()
    iterdir, glob = Path.iterdir, Path.glob

    def counted_iterdir(self):
        if self.is_relative_to(folder):
            listings[(self, "iterdir")] += 1
        return iterdir(self)

    def counted_glob(self, pattern, **kwargs):
        if self.is_relative_to(folder):
            listings[(self, pattern)] += 1
        return glob(self, pattern, **kwargs)

    monkeypatch.setattr(Path, "iterdir", counted_iterdir)
    monkeypatch.setattr(Path, "glob", counted_glob)
    for engine in ("fast", "reference"):
        listings.clear()
        result = CliRunner().invoke(
            app,
            ["eval", str(predictions), "--gold", str(folder), "--split", "test", "--engine", engine],
        )
        assert result.exit_code == 0, result.output
        assert listings == {(folder / "documents", "*.parquet"): 1}


def test_a_library_error_names_the_parameter_and_the_command_line_its_flag(tmp_path):
    from toolkit.scoring.gold.loading import load_gold_from

    folder, documents, _ = built(tmp_path, n_documents=6)
    with pytest.raises(InputError) as caught:
        load_gold_from(folder, None, "nosuch", compiled=True)
    assert caught.value.parameter == "split"
    assert str(caught.value) == f"[E100] split: 'nosuch' is not a split of {folder} (splits there: test, train)"
    predictions = tmp_path / "none.jsonl"
    write_jsonl(predictions, [])
    result = CliRunner().invoke(app, ["eval", str(predictions), "--gold", str(folder), "--split", "nosuch"])
    assert result.exit_code == 2
    assert f"error: [E100] --split: 'nosuch' is not a split of {folder} (splits there: test, train)" in result.stderr


def test_eval_reads_each_file_of_a_built_folder_once(tmp_path, monkeypatch):
    """Every listing and file opening under the folder during ``toolkit eval --gold FOLDER``, counted at the calls
    that reach the disk (``os.scandir``, ``open``, pyarrow's readers, ``zipfile.ZipFile``)."""
    import builtins
    import os
    import zipfile

    folder, documents, records = built(tmp_path)
    tests = {document["id"] for document in documents if document["split"] == "test"}
    predictions = tmp_path / "predictions.jsonl"
    write_jsonl(predictions, [r for r in random_predictions(random.Random(2), documents, records) if r["id"] in tests])
    reads: Counter = Counter()
    for owner, name in [
        (os, "scandir"),
        (builtins, "open"),
        (pq, "read_schema"),
        (pq, "ParquetFile"),
        (zipfile, "ZipFile"),
    ]:
        original = getattr(owner, name)

        def counted(path, *args, _original=original, _name=name, **kwargs):
            if isinstance(path, (str, os.PathLike)) and Path(path).resolve().is_relative_to(folder.resolve()):
                reads[Path(path).resolve().relative_to(folder.resolve()).as_posix(), _name] += 1
            return _original(path, *args, **kwargs)

        monkeypatch.setattr(owner, name, counted)
    parquet = "documents/test-00000-of-00001.parquet"
    expected = {
        # the compiled gold: its checksums, its arrays, then (lazily) the texts the predictions are checked against;
        # the parquet file is hashed to tell whether the compiled gold is still its own
        "fast": {("documents", "scandir"): 1, ("scoring/test.npz", "ZipFile"): 3, (parquet, "open"): 1},
        # the parquet files: each split's schema (its blind mark), then the test split's rows
        "reference": {
            ("documents", "scandir"): 1,
            (parquet, "read_schema"): 1,
            ("documents/train-00000-of-00001.parquet", "read_schema"): 1,
            (parquet, "ParquetFile"): 1,
        },
    }
    for engine, counts in expected.items():
        reads.clear()
        result = CliRunner().invoke(
            app, ["eval", str(predictions), "--gold", str(folder), "--split", "test", "--engine", engine]
        )
        assert result.exit_code == 0, result.output
        assert reads == counts, engine
