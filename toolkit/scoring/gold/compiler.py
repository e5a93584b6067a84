"""``toolkit build`` compiles each split's gold for the scorer (`toolkit.scoring.gold.compiled` reads it back).

A split is compiled batch by batch (`toolkit.scoring.gold.parquet.load_parquet_gold_parts`):
arrays are appended to files on disk and streamed into the archive at the end,
a megabyte at a time, so the build's memory does not grow with the corpus; the
gold hash is taken over lines kept on disk and read back in id order.  The same
gold gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
import zipfile
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from toolkit.built import COMPILED_FOLDER, BuiltFolder
from toolkit.errors import InputError
from toolkit.scoring.breakdown import claim_values, text_marks
from toolkit.scoring.compat import Ranks, dataset_tokens, token_index
from toolkit.scoring.gold.compiled import (
    BREAKDOWN,
    CHECKSUM,
    MARKS,
    NEWSCLAIMS,
    NEWSCLAIMS_STRINGS,
    SEGMENTATION,
    STRINGS,
    TOKENS,
    header,
    sources,
)
from toolkit.scoring.gold.gold import hash_header, hash_lines
from toolkit.scoring.gold.parquet import load_parquet_gold_parts
from toolkit.scoring.newsclaims import NEWSCLAIMS_ARRAYS, NORMALISATIONS, folder_entries
from toolkit.scoring.signature import content_hash
from toolkit.scoring.spans import ClaimColumns
from toolkit.withheld import is_blind_file


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
    built = BuiltFolder.open(folder)
    folder, files = built.path, built.split_files(split)
    blind = [path for path in files if is_blind_file(path)]
    if blind:
        raise InputError(f"{blind[0]}: split {split!r} is blind (its labels are withheld): there is no gold to compile")
    (folder / COMPILED_FOLDER).mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{split}.", dir=folder / COMPILED_FOLDER))
    try:
        strings = {name: _StringSpool(scratch, name) for name in STRINGS}
        spools = {
            "text_lengths": _Spool(scratch, "text_lengths", "<i8"),
            **{f"entity_{name}": _Spool(scratch, f"entity_{name}", "<i8") for name in ("doc", "start", "end", "label")},
            **{f"claims_{name}": _Spool(scratch, f"claims_{name}", "<i8") for name in ClaimColumns.ARRAYS[:6]},
            "claims_claimer_spans": _Spool(scratch, "claims_claimer_spans", "<i8", columns=2),
            **{name: _Spool(scratch, name, "<i1") for name in BREAKDOWN},
            **{name: _Spool(scratch, name, "<i8") for name in MARKS},
        }
        lines = _Lines(scratch)
        first, claimer_spans, ids, lengths, characters = 0, 0, [], [], 0
        for part in load_parquet_gold_parts(built, split):
            texts = [part.documents[doc_id]["text"] for doc_id in part.ids]
            strings["ids"].append(part.ids)
            strings["texts"].append(texts)
            strings["shas"].append([part.documents[doc_id]["text_sha256"] for doc_id in part.ids])
            doc, start, end, _ = part.entities.fields()
            strings["mention_texts"].append(
                [texts[d][a:b] for d, a, b in zip(doc.tolist(), start.tolist(), end.tolist(), strict=True)]
            )
            lengths += [len(text) for text in texts]
            spools["text_lengths"].append(lengths[first:])
            for name, values in zip(
                ("doc", "start", "end", "label"), part.entities.shifted(first).fields(), strict=True
            ):
                spools[f"entity_{name}"].append(values)
            claims = part.claims.shifted(first)
            for name in ClaimColumns.ARRAYS[:5]:
                spools[f"claims_{name}"].append(getattr(claims, name))
            spools["claims_claimer_offsets"].append(claims.claimer_offsets[:-1] + claimer_spans)
            spools["claims_claimer_spans"].append(claims.claimer_spans)
            for name, values in zip(BREAKDOWN, claim_values(part.claims, texts).values(), strict=True):
                spools[name].append(values)  # the breakdown's gold side: no text read for it at eval
            part_lengths = np.array(lengths[first:], dtype=np.int64)
            marks = text_marks(texts, part_lengths)  # and what the predictions' side needs of the texts
            for name in MARKS:
                spools[name].append(getattr(marks, name.removeprefix("marks_")) + characters)
            characters += int(part_lengths.sum())
            lines.append(part.ids, hash_lines(part))
            ids += part.ids
            first += len(part.ids)
            claimer_spans += len(claims.claimer_spans)
        spools["claims_claimer_offsets"].append([claimer_spans])
        position, lengths = {doc_id: k for k, doc_id in enumerate(ids)}, np.array(lengths, dtype=np.int64)
        tokens = dataset_tokens(built.path, split, position)
        index = None if tokens is None else token_index(tokens, lengths)
        limit = int(lengths.sum()) + 1
        starts, ends = (None, None) if index is None else (Ranks.of(index.keys, limit), Ranks.of(index.end_keys, limit))
        if starts is not None and ends is not None:  # compat's tokens, sentences and NewsClaims gold entries, as
            # `Ranks` (tokens that overlap have none: then compat reads the ner config at eval)
            arrays = (index.gold_keys, index.gold_labels, starts.counts, starts.bits, np.array([len(index)]))
            arrays += (ends.counts, ends.bits, index.sentence_keys)
            entries = folder_entries(built, split, position, index, lengths)
            arrays += tuple(getattr(entries, name).astype(np.int64) for name in NEWSCLAIMS_ARRAYS)
            for name, values in zip((*TOKENS, *SEGMENTATION, *NEWSCLAIMS), arrays, strict=True):
                spools[name] = _Spool(scratch, name, values.dtype.newbyteorder("<"))
                spools[name].append(values)
            for name, normalisation in zip(NEWSCLAIMS_STRINGS, NORMALISATIONS, strict=True):
                strings[name] = _StringSpool(scratch, name)
                strings[name].append(entries.compiled[normalisation])
        members = {
            "header": _small(np.array(json.dumps(header(folder, sources(built, split)), sort_keys=True))),
            "digest": _small(np.array(content_hash([hash_header(), *lines.by_id()]))),
        }
        for name, spool in strings.items():
            members[name], members[f"{name}_offsets"] = _streamed(spool.data), _streamed(spool.offsets)
        members.update({name: _streamed(spool) for name, spool in spools.items()})
        path = built.compiled_path(split)
        _write_archive(path, members)
        lines.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return path


class _Lines:
    """The gold-hash line of every document, kept on disk and read back in id order (in memory: ids and offsets)."""

    def __init__(self, folder: Path):
        self.handle = (folder / "lines.txt").open("w+b")
        self.ids: list[str] = []
        self.offsets = array("q", [0])

    def append(self, ids: Sequence[str], lines: Sequence[str]) -> None:
        for doc_id, line in zip(ids, lines, strict=True):
            data = line.encode("utf-8")
            self.handle.write(data)
            self.ids.append(doc_id)
            self.offsets.append(self.offsets[-1] + len(data))

    def by_id(self) -> Iterator[str]:
        for index in sorted(range(len(self.ids)), key=self.ids.__getitem__):
            self.handle.seek(self.offsets[index])
            yield self.handle.read(self.offsets[index + 1] - self.offsets[index]).decode("utf-8")

    def close(self) -> None:
        self.handle.close()


def _small(array: np.ndarray) -> Callable[[], Iterator[bytes]]:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return lambda: iter([buffer.getvalue()])


def _streamed(spool: _Spool) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:  # a megabyte at a time, never the whole array
        yield spool.header()
        yield from spool.chunks()

    return chunks


def _write_archive(path: Path, members: Mapping[str, Callable[[], Iterator[bytes]]]) -> None:
    """The members as ``<name>.npy``, then `CHECKSUM`; fixed dates, so the same gold gives the same bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        hashes = {name: _write_member(archive, f"{name}.npy", chunks()) for name, chunks in members.items()}
        _write_member(archive, CHECKSUM, _small(np.array(json.dumps(hashes, sort_keys=True)))())


def _write_member(archive: zipfile.ZipFile, name: str, chunks: Iterator[bytes]) -> str:
    """Write one member a chunk at a time; its SHA-256."""
    digest = hashlib.sha256()
    with archive.open(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), "w", force_zip64=True) as member:
        for chunk in chunks:
            digest.update(chunk)
            member.write(chunk)
    return digest.hexdigest()
