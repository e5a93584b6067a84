"""Reading JSONL with exact line numbers, and writing files atomically.

Nothing the toolkit writes is ever left half-written: every write goes to a
temporary file in the target folder and is moved into place in one step.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from toolkit.errors import InputError, MissingFileError, Problem, ValidationError

BOM = b"\xef\xbb\xbf"


def iter_jsonl(path: str | Path, problems: list[Problem] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, record)`` for each non-blank line of a JSONL file.

    A line that is not UTF-8, not JSON or not an object becomes a `Problem`:
    appended to ``problems`` (and the line skipped) when a list is given, raised
    as `ValidationError` otherwise.
    """
    path = Path(path)
    name = str(path)

    def report(problem: Problem) -> None:
        if problems is None:
            raise ValidationError([problem])
        problems.append(problem)

    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise MissingFileError(path, "a JSONL file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a folder (expected a JSONL file)") from None
    with handle:
        for line_number, raw in enumerate(handle, start=1):
            if line_number == 1 and raw.startswith(BOM):
                report(Problem(name, 1, "(file)", "starts with a UTF-8 byte-order mark (expected UTF-8 without BOM)"))
                raw = raw[len(BOM) :]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                byte = raw[error.start]
                report(
                    Problem(
                        name,
                        line_number,
                        "(line)",
                        f"byte 0x{byte:02x} at byte {error.start + 1} is not UTF-8 (expected UTF-8 text)",
                    )
                )
                continue
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                report(
                    Problem(
                        name,
                        line_number,
                        "(line)",
                        f"invalid JSON: {error.msg} at column {error.colno} (expected one JSON object per line)",
                    )
                )
                continue
            if not isinstance(record, dict):
                report(
                    Problem(name, line_number, "(record)", f"got a JSON {json_type(record)} (expected a JSON object)")
                )
                continue
            yield line_number, record


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """All records of a JSONL file; raises `ValidationError` on the first unreadable line."""
    return [record for _, record in iter_jsonl(path)]


def json_type(value: Any) -> str:
    """The JSON name of a Python value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def dumps_line(record: dict[str, Any]) -> str:
    """One JSONL line: UTF-8 text kept readable, keys in the order given."""
    return json.dumps(record, ensure_ascii=False) + "\n"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextlib.contextmanager
def atomic_writer(path: str | Path, mode: str = "w", permissions: int | None = None) -> Iterator[IO]:
    """Open a temporary file beside ``path``; move it into place only if the block succeeds.

    The file gets ``permissions`` when given (e.g. 0o600 for a secret), else what
    a plain ``open`` would give (0o666 less the umask), not mkstemp's private 0o600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(descriptor, permissions if permissions is not None else 0o666 & ~_umask())
    try:
        encoding = None if "b" in mode else "utf-8"
        newline = None if "b" in mode else "\n"
        with os.fdopen(descriptor, mode, encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Write records atomically as JSONL; returns how many were written."""
    count = 0
    with atomic_writer(path) as handle:
        for record in records:
            handle.write(dumps_line(record))
            count += 1
    return count


def write_text(path: str | Path, text: str) -> None:
    """Write a text file atomically."""
    with atomic_writer(path) as handle:
        handle.write(text)


def write_json(path: str | Path, data: Any) -> None:
    """Write pretty JSON atomically (stable key order as given, trailing newline)."""
    write_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
