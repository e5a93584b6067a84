"""The build's inputs, validated as `toolkit validate` does, without holding the corpus in memory.

`toolkit.validate.validate_file` keeps every record it reads; for a corpus of
100k documents that is the whole corpus in Python objects.  Here the same loop
(`toolkit.validate.iter_checked`, with the same problem limit) runs while
streaming, and only the line of each record is kept, so that a record is read
again from disk when the build needs it.
"""

from __future__ import annotations

import json
from array import array
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from toolkit.errors import MissingFileError, Problem, ValidationError
from toolkit.validate import DEFAULT_MAX_PROBLEMS, iter_checked


def line_offsets(path: Path) -> array:
    """Byte offset of the start of every line (index 0 is line 1)."""
    offsets = array("q")
    position = 0
    with path.open("rb") as handle:
        for raw in handle:
            offsets.append(position)
            position += len(raw)
    return offsets


class RecordIndex(Mapping):
    """Records of a validated JSONL file by id, read back from disk on demand (a few kept in memory)."""

    def __init__(self, path: Path, lines: dict[str, int], offsets: array, cache_size: int = 64):
        self.path = path
        self.lines = lines
        self.offsets = offsets
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._cache_size = cache_size
        self._handle = None

    def __getitem__(self, record_id: str) -> dict[str, Any]:
        if record_id in self._cache:
            self._cache.move_to_end(record_id)
            return self._cache[record_id]
        offset = self.offsets[self.lines[record_id] - 1]
        if self._handle is None:
            self._handle = self.path.open("rb")
        self._handle.seek(offset)
        raw = self._handle.readline()
        record = json.loads(raw)
        self._cache[record_id] = record
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return record

    def __iter__(self) -> Iterator[str]:
        return iter(self.lines)

    def __len__(self) -> int:
        return len(self.lines)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self.lines

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def index_valid(
    path: str | Path,
    kind: str,
    documents: Mapping | None = None,
    documents_source: str = "the documents file",
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> RecordIndex:
    """Validate a JSONL file record by record; returns an index of its records or raises `ValidationError`."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(path, f"a JSONL file of {kind} records")
    offsets = line_offsets(path)
    problems: list[Problem] = []
    lines: dict[str, int] = {}
    for line, record in iter_checked(path, kind, documents, documents_source, problems):
        lines.setdefault(record.get("id"), line)
        if len(problems) >= max_problems:
            break
    if problems:
        raise ValidationError(problems[:max_problems], len(problems) >= max_problems)
    return RecordIndex(path, lines, offsets)
