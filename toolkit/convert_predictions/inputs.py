"""The documents converted predictions are checked against: a documents JSONL, or a folder built by ``toolkit build``
(every split's texts, from its ``documents`` config), so that a model builder holding only the dataset can convert."""

from __future__ import annotations

from pathlib import Path

from toolkit.built import BuiltFolder
from toolkit.convert_predictions.records import Documents
from toolkit.errors import InputError

BUILT_COLUMNS = ["id", "lang", "text", "text_sha256"]


def load_texts(path: str | Path) -> Documents:
    path = Path(path)
    if not path.is_dir():
        from toolkit.validate import load_documents

        return load_documents(path)
    import pyarrow.parquet as pq

    files = BuiltFolder.open(path).split_files(None)
    if not files:
        raise InputError(
            f"{path}: no documents/*.parquet (expected a documents JSONL or a folder written by `toolkit build`)"
        )
    documents: dict[str, dict] = {}
    for file in files:
        table = pq.ParquetFile(file).read(columns=BUILT_COLUMNS)  # not read_table: it imports pandas
        for row in table.to_pylist():
            if row["id"] in documents:
                raise InputError(
                    f"{file}: id: {row['id']!r} appears twice in the built dataset (expected one row each)"
                )
            documents[row["id"]] = row
    return documents
