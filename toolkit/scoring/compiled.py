"""The gold of a built split compiled for scoring, written by ``toolkit build`` next to its parquet files.

Reading a split from parquet costs about 0.5 s on 20,000 documents (pyarrow,
the claimers' accepted spans, the gold hash); a model builder scores against
the same gold again and again.  So the build also writes
``scoring/<split>.npz``: flat arrays of exactly what the scorer compares, the
gold hash, the SHA-256 of every parquet file it was compiled from, and a
SHA-256 of its own content.  It is used only when its content hash checks out,
its parquet files are unchanged, and it was written by this scorer with this
label inventory; otherwise the parquet files are read, and the reason is among
the gold's notes (``toolkit eval --verbose``).  Either way the figures are the
same (tests compare the two).

The build compiles a split batch by batch (`toolkit.scoring.parquet.gold_parts`):
arrays are appended to files on disk and streamed into the archive at the end,
so its memory does not grow with the corpus.  The file is a plain ``.npz`` of
numbers and strings, read without pickle.  ``toolkit publish`` leaves it out:
it is derived data, rebuilt by any build.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from toolkit import __version__
from toolkit.files import file_sha256
from toolkit.inventory import load_inventory
from toolkit.scoring.columns import ClaimColumns, EntityColumns
from toolkit.scoring.gold import hash_header, hash_lines
from toolkit.scoring.parquet import gold_parts, split_files
from toolkit.scoring.signature import SCORER_VERSION, content_hash

COMPILED_FOLDER = "scoring"
FORMAT = 3
CHECKSUM = "checksum.npy"  # the SHA-256 of every other member, names and bytes in archive order
STRINGS = ("ids", "texts", "shas")  # each stored as UTF-8 bytes end to end plus the byte offset of each string


def compiled_path(folder: Path, split: str) -> Path:
    return Path(folder) / COMPILED_FOLDER / f"{split}.npz"


def _header(folder: Path, files: Sequence[Path]) -> dict[str, Any]:
    """What must not have changed for a compiled file to be used: its sources, the scorer and the inventory."""
    inventory = load_inventory()
    return {
        "format": FORMAT,
        "scorer": f"{SCORER_VERSION}/{__version__}",
        "inventory": [inventory.entity_names, inventory.stance_names, inventory.claimer_kind_names],
        "sources": {path.relative_to(folder).as_posix(): file_sha256(path) for path in files},
    }


class _Spool:
    """A one-dimensional (or n × 2) array appended to a file on disk, part by part."""

    def __init__(self, folder: Path, name: str, dtype, columns: int = 0):
        self.path = folder / f"{name}.bin"
        self.handle = self.path.open("wb")
        self.dtype, self.columns, self.rows = np.dtype(dtype), columns, 0

    def append(self, values) -> None:
        array = np.ascontiguousarray(values, dtype=self.dtype)
        self.handle.write(array.tobytes())
        self.rows += len(array)

    def header(self) -> bytes:
        shape = (self.rows, self.columns) if self.columns else (self.rows,)
        buffer = io.BytesIO()
        np.lib.format.write_array_header_1_0(buffer, {"descr": self.dtype.str, "fortran_order": False, "shape": shape})
        return buffer.getvalue()

    def chunks(self) -> Iterator[bytes]:
        self.handle.close()
        with self.path.open("rb") as handle:
            yield from iter(lambda: handle.read(1 << 20), b"")


class _StringSpool:
    """Strings as UTF-8 bytes end to end (``<name>``) and the byte offset of each (``<name>_offsets``)."""

    def __init__(self, folder: Path, name: str):
        self.data, self.offsets, self.size = _Spool(folder, name, np.uint8), _Spool(folder, f"{name}_offsets", "<i8"), 0
        self.offsets.append([0])

    def append(self, values: Sequence[str]) -> None:
        encoded = [value.encode("utf-8") for value in values]
        self.data.append(np.frombuffer(b"".join(encoded), dtype=np.uint8))
        self.offsets.append(self.size + np.cumsum([len(value) for value in encoded], dtype=np.int64))
        self.size += sum(map(len, encoded))


def compile_gold(folder: Path, split: str) -> Path:
    """Write ``scoring/<split>.npz`` of a built folder from its parquet files, a batch of documents at a time."""
    folder = Path(folder)
    (folder / COMPILED_FOLDER).mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{split}.", dir=folder / COMPILED_FOLDER))
    try:
        strings = {name: _StringSpool(scratch, name) for name in STRINGS}
        spools = {
            "text_lengths": _Spool(scratch, "text_lengths", "<i8"),
            **{f"entity_{name}": _Spool(scratch, f"entity_{name}", "<i8") for name in ("doc", "start", "end", "label")},
            **{f"claims_{name}": _Spool(scratch, f"claims_{name}", "<i8") for name in ClaimColumns.ARRAYS[:6]},
            "claims_claimer_spans": _Spool(scratch, "claims_claimer_spans", "<i8", columns=2),
        }
        lines = _Lines(scratch)
        first, claimer_spans = 0, 0
        for part in gold_parts(folder, split):
            texts = [part.documents[doc_id]["text"] for doc_id in part.ids]
            strings["ids"].append(part.ids)
            strings["texts"].append(texts)
            strings["shas"].append([part.documents[doc_id]["text_sha256"] for doc_id in part.ids])
            spools["text_lengths"].append([len(text) for text in texts])
            for name, values in zip(
                ("doc", "start", "end", "label"), part.entities.shifted(first).fields(), strict=True
            ):
                spools[f"entity_{name}"].append(values)
            claims = part.claims.shifted(first)
            for name in ClaimColumns.ARRAYS[:5]:
                spools[f"claims_{name}"].append(getattr(claims, name))
            spools["claims_claimer_offsets"].append(claims.claimer_offsets[:-1] + claimer_spans)
            spools["claims_claimer_spans"].append(claims.claimer_spans)
            lines.append(part.ids, hash_lines(part))
            first += len(part.ids)
            claimer_spans += len(claims.claimer_spans)
        spools["claims_claimer_offsets"].append([claimer_spans])
        members = {
            "header": _small(np.array(json.dumps(_header(folder, split_files(folder, split)), sort_keys=True))),
            "digest": _small(np.array(content_hash([hash_header(), *lines.by_id()]))),
        }
        for name, spool in strings.items():
            members[name], members[f"{name}_offsets"] = _streamed(spool.data), _streamed(spool.offsets)
        members.update({name: _streamed(spool) for name, spool in spools.items()})
        path = compiled_path(folder, split)
        _write_archive(path, members)
        lines.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return path


class _Lines:
    """The gold-hash line of every document, kept on disk and read back in id order."""

    def __init__(self, folder: Path):
        self.handle = (folder / "lines.txt").open("w+b")
        self.ids: list[str] = []
        self.bounds: list[tuple[int, int]] = []

    def append(self, ids: Sequence[str], lines: Sequence[str]) -> None:
        for doc_id, line in zip(ids, lines, strict=True):
            data = line.encode("utf-8")
            self.bounds.append((self.handle.tell(), len(data)))
            self.ids.append(doc_id)
            self.handle.write(data)

    def by_id(self) -> Iterator[str]:
        for index in sorted(range(len(self.ids)), key=self.ids.__getitem__):
            offset, size = self.bounds[index]
            self.handle.seek(offset)
            yield self.handle.read(size).decode("utf-8")

    def close(self) -> None:
        self.handle.close()


def _small(array: np.ndarray) -> Callable[[], Iterator[bytes]]:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return lambda: iter([buffer.getvalue()])


def _streamed(spool: _Spool) -> Callable[[], Iterator[bytes]]:
    return lambda: iter([spool.header(), *spool.chunks()])


def _write_archive(path: Path, members: Mapping[str, Callable[[], Iterator[bytes]]]) -> None:
    """The members as ``<name>.npy``, then `CHECKSUM`; fixed dates, so the same gold gives the same bytes."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, chunks in [*members.items(), (CHECKSUM[:-4], None)]:
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            if chunks is None:
                chunks = _small(np.array(digest.hexdigest()))
            else:
                digest.update(info.filename.encode("utf-8") + b"\0")
            with archive.open(info, "w", force_zip64=True) as member:
                for chunk in chunks():
                    if info.filename != CHECKSUM:
                        digest.update(chunk)
                    member.write(chunk)


def _array(raw: bytes) -> np.ndarray:
    """An ``.npy`` member as a read-only array over its bytes (no copy; never an object array)."""
    stream = io.BytesIO(raw)
    version = np.lib.format.read_magic(stream)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = read(stream)
    if dtype.hasobject or fortran_order:
        raise ValueError("not a plain array")
    return np.frombuffer(raw, dtype=dtype, count=math.prod(shape), offset=stream.tell()).reshape(shape)


def _decode(blob: np.ndarray, offsets: np.ndarray) -> list[str]:
    data, bounds = blob.tobytes(), offsets.tolist()
    pairs = zip(bounds[:-1], bounds[1:], strict=True)
    if data.isascii():  # then byte offsets are character offsets: slice one decoded string
        text = data.decode("ascii")
        return [text[a:b] for a, b in pairs]
    return [data[a:b].decode("utf-8") for a, b in pairs]


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


def read_compiled(folder: Path, split: str) -> tuple[dict[str, Any] | None, str | None]:
    """The fields of a `toolkit.scoring.gold.Gold` from ``scoring/<split>.npz``, or ``None`` and the reason it
    cannot be used."""
    path = compiled_path(folder, split)
    if not path.is_file():
        return None, "absent (a folder built by an older toolkit, or copied without it)"
    try:
        with zipfile.ZipFile(path) as archive:  # reading a member checks its CRC-32
            raw = {info.filename: archive.read(info) for info in archive.infolist()}
        digest = hashlib.sha256()
        for name, data in raw.items():
            if name != CHECKSUM:
                digest.update(name.encode("utf-8") + b"\0" + data)
        if CHECKSUM not in raw or _array(raw[CHECKSUM]).item() != digest.hexdigest():
            return None, "its content does not match its content hash (the file was changed after the build)"
        arrays = {name[: -len(".npy")]: _array(data) for name, data in raw.items()}
        header, expected = json.loads(arrays["header"].item()), _header(Path(folder), split_files(folder, split))
        changed = [key for key in expected if header.get(key) != expected[key]]
        if changed:
            return None, f"written for other {' and '.join(changed)} ({_WHY[changed[0]]})"
        ids = _decode(arrays["ids"], arrays["ids_offsets"])
        return {
            "documents": CompiledDocuments(
                ids,
                lambda: (
                    _decode(arrays["texts"], arrays["texts_offsets"]),
                    _decode(arrays["shas"], arrays["shas_offsets"]),
                ),
            ),
            "ids": ids,
            "entities": EntityColumns(*(arrays[f"entity_{name}"] for name in ("doc", "start", "end", "label"))),
            "claims": ClaimColumns(*(arrays[f"claims_{name}"] for name in ClaimColumns.ARRAYS)),
            "lengths": arrays["text_lengths"],
            "digest": arrays["digest"].item(),
        }, None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        return None, f"unreadable ({type(error).__name__}: {error})"


_WHY = {
    "format": "an older toolkit wrote it",
    "scorer": "another scorer version wrote it",
    "inventory": "schemas/labels.json changed since the build",
    "sources": "its parquet files changed since the build",
}
