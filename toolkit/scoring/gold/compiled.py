"""The gold of a built split compiled for scoring: ``scoring/<split>.npz``, and reading it back.

Reading a split from parquet costs about 0.5 s on 20,000 documents (pyarrow,
the claimers' accepted spans, the gold hash); a model builder scores against
the same gold again and again.  So ``toolkit build`` also writes
``scoring/<split>.npz`` (`toolkit.scoring.gold.compiler`): flat arrays of exactly
what the scorer compares, the gold hash, the SHA-256 of every parquet file it
was compiled from, and the SHA-256 of each of its own members.  It is used
only when its content checks out, its parquet files are unchanged, and it was
written by this scorer with this label inventory; otherwise the parquet files
are read, and the reason is among the gold's notes (``toolkit eval --verbose``).
Either way the figures are the same (tests compare the two).

The file is a plain ``.npz`` of numbers and strings, read without pickle.
``toolkit publish`` leaves it out: it is derived data, rebuilt by any build.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import struct
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from toolkit import __version__
from toolkit.built import BuiltFolder
from toolkit.errors import InputError
from toolkit.files import file_sha256, parquet_batches
from toolkit.inventory import load_inventory
from toolkit.scoring.breakdown import MARKS as BREAKDOWN_MARKS
from toolkit.scoring.breakdown import Marks, dimensions
from toolkit.scoring.compat import TOKEN_CONFIG, Ranks, TokenIndex
from toolkit.scoring.newsclaims import NEWSCLAIMS_ARRAYS, NORMALISATIONS, Entries, MentionTexts
from toolkit.scoring.signature import SCORER_VERSION
from toolkit.scoring.spans import ClaimColumns, EntityColumns

FORMAT = 7  # 4: the ner config's tokens (`toolkit.scoring.compat`); 5: as a `TokenIndex`, and the breakdown;
# 6: the texts' `toolkit.scoring.breakdown.Marks`; 7: the entities' texts (`toolkit.scoring.newsclaims.MentionTexts`),
# the tokens' keys as `toolkit.scoring.compat.Ranks`
CHECKSUM = "checksum.npy"  # the SHA-256 of every other member, by name (JSON)
STRINGS = ("ids", "texts", "shas", "mention_texts")  # each as UTF-8 bytes end to end plus each one's byte offset
TEXTS = ("texts", "texts_offsets", "shas", "shas_offsets")  # read (and checked) only when a text is needed
MENTIONS = ("mention_texts", "mention_texts_offsets")  # every entity's text, read only for NewsClaims' claimers
TOKENS = ("token_gold_keys", "token_gold_labels", "token_start_counts", "token_start_bits", "token_count")  # a
# `TokenIndex` with its keys as `toolkit.scoring.compat.Ranks`, read only for `compat`
SEGMENTATION = ("token_end_counts", "token_end_bits", "sentence_keys")  # the rest of it, only for `compat.newsclaims`
NEWSCLAIMS = tuple(f"newsclaims_{name}" for name in NEWSCLAIMS_ARRAYS)  # its gold `Entries`, likewise
NEWSCLAIMS_STRINGS = tuple(f"newsclaims_{name}" for name in NORMALISATIONS)  # their normalised claimer strings
STRING_MEMBERS = tuple(f"{name}{end}" for name in NEWSCLAIMS_STRINGS for end in ("", "_offsets"))
MARKS = tuple(f"marks_{name}" for name in BREAKDOWN_MARKS)  # the texts' `Marks` (small), read with the rest
LAZY = (
    *TEXTS,
    *MENTIONS,
    *TOKENS,
    *SEGMENTATION,
    *NEWSCLAIMS,
    *STRING_MEMBERS,
)  # read only when their figures are asked
BREAKDOWN = tuple(f"breakdown_{name}" for name in dimensions())  # the gold claims' `claim_values`


def sources(built: BuiltFolder, split: str) -> list[Path]:
    """The parquet files a compiled split is made from: its documents, and its ner config's tokens."""
    return [*built.split_files(split), *built.split_files(split, TOKEN_CONFIG)]


def header(folder: Path, files: Sequence[Path]) -> dict[str, Any]:
    """What must not have changed for a compiled file to be used: its sources, the scorer and the inventory."""
    inventory = load_inventory()
    return {
        "format": FORMAT,
        "scorer": f"{SCORER_VERSION}/{__version__}",
        "inventory": [inventory.entity_names, inventory.stance_names, inventory.claimer_kind_names],
        "sources": {path.relative_to(folder).as_posix(): file_sha256(path) for path in files},
    }


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


def _joined(blob: np.ndarray, offsets: np.ndarray, lengths: np.ndarray) -> str | list[str]:
    """The texts end to end as one string, decoded in one piece (a text's characters then start at the summed
    lengths of the texts before it); a list of texts should the lengths not add up."""
    text = str(blob.data, "utf-8")
    return text if len(text) == int(lengths.sum()) else _decode(blob, offsets)


class CompiledDocuments(Mapping):
    """``{id: {"id", "text", "text_sha256"}}`` decoded on first use: scoring a valid file needs only the text
    lengths.  ``load()`` gives the texts (one string end to end, or a list) and their hashes."""

    def __init__(self, ids: list[str], lengths: np.ndarray, load: Callable[[], tuple[str | list[str], list[str]]]):
        self._ids, self._known, self._lengths, self._load, self._documents = ids, frozenset(ids), lengths, load, None
        self._loaded: tuple[str | list[str], list[str]] | None = None
        self._texts: list[str] | None = None

    def joined(self) -> str:
        """Every text end to end, one string (NewsClaims' claimer strings are cut from it)."""
        if self._loaded is None:
            self._loaded = self._load()
        texts = self._loaded[0]
        return texts if isinstance(texts, str) else "".join(texts)

    def texts(self) -> list[str]:
        """The texts by document index (no dicts for that)."""
        if self._texts is None:
            joined = self.joined()
            if isinstance(self._loaded[0], list):
                self._texts = self._loaded[0]
            else:
                bounds = np.concatenate([[0], np.cumsum(self._lengths)]).tolist()
                self._texts = [joined[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        return self._texts

    def _all(self) -> dict[str, dict]:
        if self._documents is None:
            texts, shas = self.texts(), self._loaded[1]
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


class _Changed(Exception):
    """A member whose bytes are not those its content hash was taken of."""


class _Members:
    """The members of a compiled file, each checked against the SHA-256 recorded for it when it is read."""

    def __init__(self, path: Path):
        self.path = path
        self.arrays: dict[str, np.ndarray] = {}  # every member read so far, checked
        with zipfile.ZipFile(path) as archive:
            self.hashes = json.loads(_array(archive.read(CHECKSUM)).item())
            if {f"{name}.npy" for name in self.hashes} != set(archive.namelist()) - {CHECKSUM}:
                raise _Changed("the list of members")

    def read(self, names: Iterable[str]) -> dict[str, np.ndarray]:
        """The members of these names, each read and checked once (the tokens serve two figures)."""
        names = list(names)
        wanted = [name for name in names if name not in self.arrays]
        with zipfile.ZipFile(self.path) as archive:
            for name in wanted:
                data = _stored(archive, f"{name}.npy")
                if hashlib.sha256(data).hexdigest() != self.hashes.get(name):
                    raise _Changed(name)
                self.arrays[name] = _array(data)
        return {name: self.arrays[name] for name in names}


def _stored(archive: zipfile.ZipFile, name: str) -> bytes:
    """A member's bytes read straight from the archive when it is stored uncompressed, as the compiler writes them
    (its SHA-256, checked by the caller, is stronger than the CRC-32 that `zipfile` would also compute: a third of
    the reading time); otherwise through `zipfile`."""
    info = archive.getinfo(name)
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:  # compressed or encrypted
        return archive.read(name)
    handle = archive.fp
    handle.seek(info.header_offset)
    local = handle.read(zipfile.sizeFileHeader)
    if len(local) != zipfile.sizeFileHeader or local[:4] != zipfile.stringFileHeader:
        raise zipfile.BadZipFile(f"{name}: bad local file header")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    handle.seek(info.header_offset + zipfile.sizeFileHeader + name_length + extra_length)
    data = handle.read(info.file_size)
    if len(data) != info.file_size:
        raise zipfile.BadZipFile(f"{name}: truncated")
    return data


def load_compiled_gold(folder: Path | BuiltFolder, split: str) -> tuple[dict[str, Any] | None, str | None]:
    """The fields of a `toolkit.scoring.gold.gold.Gold` from ``scoring/<split>.npz``, or ``None`` and the reason it
    cannot be used.

    The texts are read (and checked) only when a prediction's ``text`` must be compared; should they not check
    out then, they are read from the parquet files instead, and the gold's notes say so.
    """
    built = BuiltFolder.open(folder)
    path = built.compiled_path(split)
    if not path.is_file():
        return None, "absent (a folder built by an older toolkit, or copied without it)"
    try:
        members = _Members(path)
        arrays, expected = _read_and_hash(members, built, split)
        written = json.loads(arrays["header"].item())
        changed = [key for key in expected if written.get(key) != expected[key]]
        if changed:
            return None, f"written for other {' and '.join(changed)} ({_WHY[changed[0]]})"
        ids = _decode(arrays["ids"], arrays["ids_offsets"])
        notes: list[str] = []
        lengths = arrays["text_lengths"]
        documents = CompiledDocuments(ids, lengths, lambda: _texts(members, built, split, ids, lengths, notes))
        entities = EntityColumns(*(arrays[f"entity_{name}"] for name in ("doc", "start", "end", "label")))
        return {
            "documents": documents,
            "text_list": documents.texts,
            "joined_text": documents.joined,
            "ids": ids,
            "entities": entities,
            "claims": ClaimColumns(*(arrays[f"claims_{name}"] for name in ClaimColumns.ARRAYS)),
            "lengths": lengths,
            "digest": arrays["digest"].item(),
            "tokens": (lambda: _tokens(members)) if TOKENS[0] in members.hashes else None,
            "newsclaims": (lambda: _newsclaims(members)) if NEWSCLAIMS[0] in members.hashes else None,
            "claim_values": {name: arrays[f"breakdown_{name}"].astype(np.int64) for name in dimensions()},
            "mention_texts": (lambda: _mention_texts(members, entities, lengths))
            if MENTIONS[0] in members.hashes
            else None,
            "marks": Marks(*(arrays[name].astype(np.int64) for name in MARKS)) if MARKS[0] in arrays else None,
            "notes": notes,
        }, None
    except _Changed:
        return None, "its content does not match its content hash (the file was changed after the build)"
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        return None, f"unreadable ({type(error).__name__}: {error})"


def _read_and_hash(members: _Members, built: BuiltFolder, split: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The members read at load, and the `header` the folder's sources give now; on a large folder the sources are
    hashed in a forked child while this process reads the members (`toolkit.scoring.forked`)."""
    from toolkit.scoring.engines import thresholds

    files = sources(built, split)
    names = [name for name in members.hashes if name not in LAZY]
    if not thresholds.in_two_halves(sum(path.stat().st_size for path in files), thresholds.PARALLEL_HASH_BYTES):
        return members.read(names), header(built.path, files)
    from toolkit.scoring.forked import beside_a_child

    arrays, payload = beside_a_child(
        lambda: members.read(names), lambda: json.dumps(header(built.path, files)).encode()
    )
    return arrays, json.loads(payload) if payload is not None else header(built.path, files)  # a child that died


def _mention_texts(members: _Members, entities: EntityColumns, lengths: np.ndarray) -> MentionTexts | None:
    """The compiled texts of the entities, or None when they do not check out (then claimers are cut from the
    texts)."""
    try:
        arrays = members.read(MENTIONS)
    except (_Changed, OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    return MentionTexts(entities, lengths, *(arrays[name] for name in MENTIONS))


def _tokens(members: _Members) -> TokenIndex | None:
    """The compiled tokens (`toolkit.scoring.compat.TokenIndex`), or None when they do not check out (then the
    ner config is read instead)."""
    try:
        arrays = members.read(TOKENS)
    except (_Changed, OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    return _token_index(arrays)


def _token_index(arrays: Mapping[str, np.ndarray]) -> TokenIndex:
    """The compiled `TokenIndex`: its keys as `Ranks` (the keys themselves are not compiled), and with its sentences
    when they were read."""
    segmented = "sentence_keys" in arrays
    return TokenIndex(
        None,
        arrays["token_gold_keys"],
        arrays["token_gold_labels"],
        sentence_keys=arrays["sentence_keys"] if segmented else None,
        starts=Ranks(arrays["token_start_counts"], arrays["token_start_bits"]),
        ends=Ranks(arrays["token_end_counts"], arrays["token_end_bits"]) if segmented else None,
        count=int(arrays["token_count"][0]),
    )


def _newsclaims(members: _Members) -> tuple[TokenIndex, Entries] | None:
    """The tokens with their sentences and the gold `toolkit.scoring.newsclaims.Entries`, or None when they do not
    check out (then the folder's parquet files are read instead)."""
    try:
        arrays = members.read((*TOKENS, *SEGMENTATION, *NEWSCLAIMS, *STRING_MEMBERS))
    except (_Changed, OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    columns = {name: arrays[f"newsclaims_{name}"].astype(np.int64) for name in NEWSCLAIMS_ARRAYS}
    normalised = _Decoded(
        {name: (arrays[f"newsclaims_{name}"], arrays[f"newsclaims_{name}_offsets"]) for name in NORMALISATIONS}
    )
    for name in ("has_claimer", "in_sentence"):
        columns[name] = columns[name].astype(bool)
    return _token_index(arrays), Entries(**columns, compiled=normalised)


class _Decoded(Mapping):
    """``{name: strings}`` of compiled strings, each decoded when first asked (a run uses one normalisation)."""

    def __init__(self, encoded: Mapping[str, tuple[np.ndarray, np.ndarray]]):
        self._encoded, self._decoded = dict(encoded), {}

    def __getitem__(self, name: str) -> list[str]:
        if name not in self._decoded:
            self._decoded[name] = _decode(*self._encoded[name])
        return self._decoded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._encoded)

    def __len__(self) -> int:
        return len(self._encoded)


def _texts(members: _Members, built: BuiltFolder, split: str, ids: list[str], lengths: np.ndarray, notes: list[str]):
    """The texts and their hashes by document index: from the compiled file, else from the parquet files."""
    try:
        arrays = members.read(TEXTS)
        texts = _joined(arrays["texts"], arrays["texts_offsets"], lengths)
        return texts, _decode(arrays["shas"], arrays["shas_offsets"])
    except (_Changed, OSError, ValueError, KeyError, zipfile.BadZipFile):
        notes.append(
            f"gold: the texts of scoring/{split}.npz do not match its content hash: read from the parquet files"
        )
    columns = {"id": [], "text": [], "text_sha256": []}
    for path in built.split_files(split):
        for batch in parquet_batches(path, list(columns)):
            for name, values in columns.items():
                values += batch.column(name).to_pylist()
    if columns["id"] != ids:
        raise InputError(f"{built.path}: the parquet files of split {split} changed while scoring (expected no change)")
    return columns["text"], columns["text_sha256"]


_WHY = {
    "format": "an older toolkit wrote it",
    "scorer": "another scorer version wrote it",
    "inventory": "schemas/labels.json changed since the build",
    "sources": "its parquet files changed since the build",
}
