"""The gold of a built split compiled for scoring, written by ``toolkit build`` next to its parquet files.

Reading a split from parquet costs about 0.5 s on 20,000 documents (pyarrow,
the claimers' accepted spans, the gold hash); a model builder scores against
the same gold again and again.  So the build also writes
``scoring/<split>.npz``: flat arrays of exactly what the scorer compares, the
gold hash, and the SHA-256 of every parquet file it was compiled from.  It is
used only when those files are unchanged and it was written by this scorer
with this label inventory; otherwise the parquet files are read as before.
Either way the figures are the same (tests compare the two).

The file is a plain ``.npz`` of numbers and strings, loaded with
``allow_pickle=False``.  It is not uploaded by ``toolkit publish``: it is
derived data, rebuilt by any build.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from toolkit import __version__
from toolkit.files import file_sha256
from toolkit.inventory import load_inventory
from toolkit.scoring.columns import ClaimColumns
from toolkit.scoring.signature import SCORER_VERSION

COMPILED_FOLDER = "scoring"
FORMAT = 2


def compiled_path(folder: Path, split: str) -> Path:
    return Path(folder) / COMPILED_FOLDER / f"{split}.npz"


def split_files(folder: Path, split: str | None) -> list[Path]:
    """The documents parquet files of a split (every split when ``None``), in order."""
    return sorted((Path(folder) / "documents").glob(f"{split}-*.parquet" if split else "*.parquet"))


def _header(folder: Path, files: Sequence[Path]) -> dict[str, Any]:
    """What must not have changed for a compiled file to be used: its sources, the scorer and the inventory."""
    inventory = load_inventory()
    return {
        "format": FORMAT,
        "scorer": f"{SCORER_VERSION}/{__version__}",
        "inventory": [inventory.entity_names, inventory.stance_names, inventory.claimer_kind_names],
        "sources": {path.relative_to(folder).as_posix(): file_sha256(path) for path in files},
    }


def _strings(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 bytes of the strings end to end, and the byte offset of each (one more than strings)."""
    encoded = [value.encode("utf-8") for value in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(value) for value in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def _decode(blob: np.ndarray, offsets: np.ndarray) -> list[str]:
    data, bounds = blob.tobytes(), offsets.tolist()
    pairs = zip(bounds[:-1], bounds[1:], strict=True)
    if data.isascii():  # then byte offsets are character offsets: slice one decoded string
        text = data.decode("ascii")
        return [text[a:b] for a, b in pairs]
    return [data[a:b].decode("utf-8") for a, b in pairs]


def write_compiled(folder: Path, split: str, gold, digest: str) -> Path:
    """Write ``scoring/<split>.npz`` for ``gold`` (a `toolkit.scoring.evaluate.Gold` read from the split's
    parquet files)."""
    ids = _strings(gold.ids)
    texts = _strings([gold.documents[doc_id]["text"] for doc_id in gold.ids])
    shas = _strings([gold.documents[doc_id]["text_sha256"] for doc_id in gold.ids])
    arrays = {
        "header": np.array(json.dumps(_header(folder, split_files(folder, split)), sort_keys=True)),
        "digest": np.array(digest),
        "ids": ids[0],
        "id_offsets": ids[1],
        "texts": texts[0],
        "text_offsets": texts[1],
        "text_lengths": np.array([len(gold.documents[doc_id]["text"]) for doc_id in gold.ids], dtype=np.int64),
        "shas": shas[0],
        "sha_offsets": shas[1],
        **{f"entity_{name}": getattr(gold.entities, name) for name in ("doc", "start", "end", "label")},
        **{f"claims_{name}": array for name, array in zip(ClaimColumns.ARRAYS, gold.claims.arrays(), strict=True)},
    }
    path = compiled_path(folder, split)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(
        path, "w", zipfile.ZIP_STORED
    ) as archive:  # fixed member dates: the same gold gives the same bytes
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue())
    return path


class CompiledDocuments(Mapping):
    """``{id: {"id", "text", "text_sha256"}}`` decoded on first use: scoring a valid file needs only the text
    lengths."""

    def __init__(self, ids: list[str], load: Callable[[], tuple[list[str], list[str]]]):
        self._ids, self._known, self._load, self._documents = ids, frozenset(ids), load, None

    def _all(self) -> dict[str, dict]:
        if self._documents is None:
            texts, shas = self._load()
            self._documents = {
                doc_id: {"id": doc_id, "text": text, "text_sha256": sha}
                for doc_id, text, sha in zip(self._ids, texts, shas, strict=True)
            }
        return self._documents

    def __getitem__(self, doc_id: str) -> dict:
        return self._all()[doc_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._known


def read_compiled(folder: Path, split: str | None) -> dict[str, Any] | None:
    """The fields of a `Gold` from ``scoring/<split>.npz``, or ``None`` when absent or not valid for these files
    and this scorer."""
    if split is None:
        return None
    path = compiled_path(folder, split)
    if not path.is_file():
        return None
    try:
        arrays = np.load(path, allow_pickle=False)
        header = json.loads(arrays["header"].item())
        if header != _header(Path(folder), split_files(folder, split)):
            return None
        ids = _decode(arrays["ids"], arrays["id_offsets"])
        return {
            "documents": CompiledDocuments(
                ids,
                lambda: (
                    _decode(arrays["texts"], arrays["text_offsets"]),
                    _decode(arrays["shas"], arrays["sha_offsets"]),
                ),
            ),
            "ids": ids,
            "entities": [arrays[f"entity_{name}"] for name in ("doc", "start", "end", "label")],
            "claims": ClaimColumns(*(arrays[f"claims_{name}"] for name in ClaimColumns.ARRAYS)),
            "lengths": arrays["text_lengths"],
            "digest": arrays["digest"].item(),
        }
    except (
        OSError,
        ValueError,
        KeyError,
        zipfile.BadZipFile,
    ):  # damaged or from another version: the parquet files decide
        return None
