"""The one reader and the writers every command uses.

Reading (JSON, JSONL, CSV, text, parquet): a path is checked with ``stat`` before it is opened, so a FIFO or a
device is refused instead of blocking, and every failure becomes a `toolkit.errors.InputError` (or a `Problem` of a
`ValidationError`) naming the file, the line and the field: missing files, folders, symlink loops, permissions,
bytes that are not UTF-8, a byte-order mark, invalid JSON, JSON nested deeper than `MAX_DEPTH`, NaN and Infinity
(not JSON, and never written), and strings holding a lone surrogate (``"\\ud800"``: not text, it cannot be
written back as UTF-8).

Writing: `write_text`, `write_json`, `write_jsonl`, `append_text` and `atomic_writer` go through
`toolkit.staging`, so the outputs of a command reach their place all together or not at all, and never over an
input (`toolkit.pathguard`).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from toolkit.errors import InputError, MissingFileError, OutputError, Problem, ValidationError, describe_os_error
from toolkit.pathguard import STDOUT, Output, PathPlan, special_kind
from toolkit.staging import active, default_permissions, staged

BOM = b"\xef\xbb\xbf"
MAX_DEPTH = 64  # records are a few levels deep; deeper JSON is refused before anything recurses through it
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
CSV_FIELD_LIMIT = 2**31 - 1  # an article is one CSV field; the csv module's default (131,072 characters) is too small


# ---------------------------------------------------------------- opening


def check_input(path: str | Path, expected: str = "a file") -> None:
    """Refuse before opening: a missing file, a folder, a FIFO or device, a symlink loop, a path we cannot reach."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise InputError(
                f"{path}: file not found (a symbolic link to a missing file) (expected {expected})"
            ) from None
        raise MissingFileError(path, expected) from None
    except OSError as error:
        raise InputError(f"{path}: {describe_os_error(error)} (expected {expected})") from None
    if os.path.isdir(path):
        raise InputError(f"{path}: is a folder (expected {expected})")
    kind = special_kind(info.st_mode)
    if kind:
        raise InputError(f"{path}: is {kind} (expected {expected}; FIFOs and devices are never read)")


def open_input(path: str | Path, expected: str = "a file") -> IO[bytes]:
    """The file opened for reading in binary, after `check_input`."""
    check_input(path, expected)
    try:
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    except OSError as error:
        raise InputError(f"{path}: {describe_os_error(error)} (expected {expected})") from None


def read_bytes(path: str | Path, expected: str = "a file") -> bytes:
    with open_input(path, expected) as handle:
        try:
            return handle.read()
        except OSError as error:
            raise InputError(f"{path}: cannot read ({describe_os_error(error)})") from None


def read_text(path: str | Path, expected: str = "a UTF-8 text file") -> str:
    """A UTF-8 text file (a byte-order mark is dropped); a byte that is not UTF-8 is reported with its line."""
    data = read_bytes(path, expected)
    if data.startswith(BOM):
        data = data[len(BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError(
            f"{path}:{line}: (line): byte 0x{data[error.start]:02x} is not UTF-8 (expected UTF-8 text)"
        ) from None


# ---------------------------------------------------------------- JSON


class JsonProblem(ValueError):
    """Why a JSON text cannot be used: the field (or ``(line)``), the message, and the line when known."""

    def __init__(self, field: str, message: str, line: int = 0):
        super().__init__(message)
        self.field, self.message, self.line = field, message, line


def _refuse_constant(name: str) -> float:
    raise JsonProblem("(line)", f"{name} is not a JSON number (expected a finite number)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonProblem("(line)", f"{text} is too large for a number (expected a finite number)")
    return value


def field_path(parts) -> str:
    """``['entities', 0, 'end']`` → ``entities[0].end``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(record)"


def _too_deep(value: Any) -> bool:
    """Whether containers nest deeper than `MAX_DEPTH` (level by level: no path kept, so it is cheap)."""
    level = [value]
    for _ in range(MAX_DEPTH):
        level = [
            child
            for item in level
            for child in (item.values() if type(item) is dict else item)
            if type(child) in (dict, list)
        ]
        if not level:
            return False
    return True


def _first(value: Any, wanted) -> tuple[Any, tuple] | None:
    """The first part of ``value`` (depth first) for which ``wanted(part, path)`` holds, and its path."""
    stack = [(value, ())]
    while stack:
        item, path = stack.pop()
        if wanted(item, path):
            return item, path
        if isinstance(item, dict):
            for key, child in reversed(item.items()):
                stack += [(child, (*path, key)), (key, (*path, key))]
        elif isinstance(item, list):
            stack += [(child, (*path, index)) for index, child in reversed(list(enumerate(item)))]
    return None


def _unusable_scalar(item: Any, path: tuple) -> bool:
    """A string holding a lone surrogate (it cannot be written as UTF-8), or NaN or an infinity."""
    if isinstance(item, float):
        return not math.isfinite(item)
    if not isinstance(item, str):
        return False
    try:
        item.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def unusable_part(value: Any, scalars: bool = True) -> tuple[str, str] | None:
    """``(field, message)`` for the first part of a decoded value the toolkit cannot use: containers nested deeper
    than `MAX_DEPTH`, and (with ``scalars``) a string holding a lone surrogate or a non-finite number; None when it
    can be used.  `loads` checks what it decodes; a value decoded by another parser (a streamed export) is checked
    with this."""
    if _too_deep(value):
        _, path = _first(value, lambda item, path: len(path) >= MAX_DEPTH)
        shown = field_path(path[:3]) + ("…" if len(path) > 3 else "")
        return shown, f"nested deeper than {MAX_DEPTH} levels (expected a record a few levels deep)"
    found = _first(value, _unusable_scalar) if scalars else None
    if found is None:
        return None
    item, path = found
    if isinstance(item, float):
        return field_path(path), f"{item} is not a finite number (expected a finite number)"
    return field_path(path), f"{item!r:.60} holds a lone surrogate (expected valid Unicode text)"


def loads(text: str) -> Any:
    """A JSON value, refusing what the toolkit cannot use (see the module docstring); raises `JsonProblem`."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except JsonProblem:
        raise
    except json.JSONDecodeError as error:
        raise JsonProblem("(line)", f"invalid JSON: {error.msg} at column {error.colno}", error.lineno) from None
    except RecursionError:
        raise JsonProblem(
            "(line)", f"nested deeper than {MAX_DEPTH} levels (expected a record a few levels deep)"
        ) from None
    except ValueError:  # an integer of more than 4,300 digits (Python's limit on converting digits)
        raise JsonProblem(
            "(line)", f"unreadable number: an integer of more than {sys.get_int_max_str_digits()} digits"
        ) from None
    escapes = SURROGATE_ESCAPE.search(text) is not None
    if escapes or text.count("[") + text.count("{") > MAX_DEPTH:
        found = unusable_part(value, scalars=escapes)
        if found:
            raise JsonProblem(*found)
    return value


def read_json(path: str | Path, expected: str = "a JSON file") -> Any:
    """The JSON value of a whole file; raises `InputError` naming the file, line or field."""
    data = read_bytes(path, expected)
    if data.startswith(BOM):
        raise InputError(f"{path}: starts with a UTF-8 byte-order mark (expected {expected}, UTF-8 without BOM)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError(
            f"{path}:{line}: byte 0x{data[error.start]:02x} is not UTF-8 (expected {expected} in UTF-8)"
        ) from None
    try:
        return loads(text)
    except JsonProblem as problem:
        location = f"{path}:{problem.line}" if problem.line else str(path)
        field = "" if problem.field == "(line)" else f"{problem.field}: "
        wanted = f" (expected {expected})" if problem.message.startswith("invalid JSON") else ""
        raise InputError(f"{location}: {field}{problem.message}{wanted}") from None


def iter_jsonl(path: str | Path, problems: list[Problem] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, record)`` for each non-blank line of a JSONL file.

    A line that is not UTF-8, not usable JSON or not an object becomes a `Problem`:
    appended to ``problems`` (and the line skipped) when a list is given, raised
    as `ValidationError` otherwise.
    """
    name = str(path)

    def report(problem: Problem) -> None:
        if problems is None:
            raise ValidationError([problem])
        problems.append(problem)

    with open_input(path, "a JSONL file") as handle:
        lines = enumerate(handle, start=1)
        while True:
            try:
                line_number, raw = next(lines)
            except StopIteration:
                return
            except OSError as error:
                raise InputError(f"{name}: cannot read ({describe_os_error(error)})") from None
            if line_number == 1 and raw.startswith(BOM):
                report(Problem(name, 1, "(file)", "starts with a UTF-8 byte-order mark (expected UTF-8 without BOM)"))
                raw = raw[len(BOM) :]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                byte = raw[error.start]
                message = f"byte 0x{byte:02x} at byte {error.start + 1} is not UTF-8 (expected UTF-8 text)"
                report(Problem(name, line_number, "(line)", message))
                continue
            if not line.strip():
                continue
            try:
                record = loads(line)
            except JsonProblem as problem:
                expected = " (expected one JSON object per line)" if problem.message.startswith("invalid JSON") else ""
                report(Problem(name, line_number, problem.field, problem.message + expected))
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


def numpy_number(value: Any) -> Any:
    """A numpy number as the Python number it holds (``json.dumps``' ``default``, msgspec's ``enc_hook``): records
    built in memory from model outputs carry ``np.int64`` offsets.  Anything else stays unwritable (a problem)."""
    if type(value).__module__ == "numpy" and getattr(value, "shape", None) == () and hasattr(value, "item"):
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


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


# ---------------------------------------------------------------- CSV and parquet


def iter_csv(path: str | Path, expected: str = "a CSV file with a header row") -> tuple[list[str], Iterator]:
    """The header and ``(line, row)`` of each record, the line being where the record starts (a record may span
    lines).

    The csv module reads the text itself, so a quoted field keeps its line breaks and any U+2028 inside it.
    """
    csv.field_size_limit(CSV_FIELD_LIMIT)
    # strict: a stray or unterminated quote is an error, not the rest of the file swallowed into one field
    reader = csv.DictReader(io.StringIO(read_text(path, expected), newline=""), strict=True)

    def failed(error: csv.Error, line: int) -> InputError:
        return InputError(f"{path}:{line}: (line): {error} (expected {expected})")

    try:
        header = list(reader.fieldnames or [])
    except csv.Error as error:
        raise failed(error, 1) from None

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        start = reader.line_num + 1
        try:
            for row in reader:
                yield start, row
                start = reader.line_num + 1
        except csv.Error as error:
            raise failed(error, start) from None

    return header, rows()


@contextlib.contextmanager
def parquet_errors(path: str | Path, expected: str = "a parquet file written by `toolkit build`") -> Iterator[None]:
    """Arrow's errors while reading ``path`` (a damaged or truncated file) as one `InputError` naming it."""
    import pyarrow as pa

    try:
        yield
    except (pa.ArrowException, OSError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"{path}: not a readable parquet file ({reason}) (expected {expected})") from None


def open_parquet(path: str | Path, expected: str = "a parquet file written by `toolkit build`"):
    """A ``pyarrow.parquet.ParquetFile``, after `check_input`; read it inside `parquet_errors`."""
    import pyarrow.parquet as pq

    check_input(path, expected)
    with parquet_errors(path, expected):
        return pq.ParquetFile(path)


def parquet_batches(path: str | Path, columns: list[str] | None = None, batch_size: int = 2_000) -> Iterator:
    """The record batches of a parquet file, read inside `parquet_errors`."""
    parquet = open_parquet(path)
    with parquet_errors(path):
        yield from parquet.iter_batches(columns=columns, batch_size=batch_size)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open_input(path) as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------- writing


def dumps_line(record: dict[str, Any]) -> str:
    """One JSONL line: UTF-8 text kept readable, keys in the order given; NaN and Infinity are never written."""
    return json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n"


def dumps_json(data: Any) -> str:
    """Pretty JSON (key order as given, trailing newline); NaN and Infinity are never written."""
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


@contextlib.contextmanager
def atomic_writer(path: str | Path, mode: str = "w", permissions: int | None = None) -> Iterator[IO]:
    """A file opened for writing ``path``'s staged copy (`toolkit.staging`); it replaces ``path`` at the commit.

    The file gets ``permissions`` when given (e.g. 0o600 for a secret), else what a plain ``open`` would give.
    Outside a command's staging, the single file is staged and committed on its own.
    """
    staging = active()
    if str(path) == STDOUT:  # only text a command emits goes to stdout (`toolkit.cli._outputs.emit`), never a file
        outputs = staging.plan.outputs if staging else []
        label = next((output.label for output in outputs if output.is_stdout), STDOUT)
        raise OutputError(f"{label}: this output is a file, not stdout (expected a file path)")
    if staging is None:
        with staged(PathPlan(outputs=[Output("", Path(path))])), atomic_writer(path, mode, permissions) as handle:
            yield handle
        return
    where = staging.file(path, permissions)
    if where is None:  # a working folder (a server's data): replaced in place, atomically
        with _replaced_in_place(Path(path), mode, permissions, staging.label(path)) as handle:
            yield handle
        return
    with _opened(where, mode, staging.label(path)) as handle:
        if permissions is not None:  # a file inside a staged folder is opened here, not made by the staging
            os.fchmod(handle.fileno(), permissions)
        yield handle


@contextlib.contextmanager
def _opened(where: Path, mode: str, label: str) -> Iterator[IO]:
    binary = "b" in mode
    try:
        handle = open(where, mode, encoding=None if binary else "utf-8", newline=None if binary else "\n")  # noqa: SIM115
    except OSError as error:
        raise OutputError(f"{label}: cannot write ({describe_os_error(error)})") from None
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        raise OutputError(f"{label}: cannot write ({describe_os_error(error)})") from None


@contextlib.contextmanager
def _replaced_in_place(path: Path, mode: str, permissions: int | None, label: str) -> Iterator[IO]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.fchmod(descriptor, default_permissions() if permissions is None else permissions)
        os.close(descriptor)
    except OSError as error:
        raise OutputError(f"{label}: cannot write ({describe_os_error(error)})") from None
    try:
        with _opened(Path(temporary), mode, label) as handle:
            yield handle
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def write_text(path: str | Path, text: str, permissions: int | None = None) -> None:
    with atomic_writer(path, permissions=permissions) as handle:
        handle.write(text)


def write_json(path: str | Path, data: Any) -> None:
    write_text(path, dumps_json(data))


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Write records as JSONL; returns how many were written."""
    count = 0
    with atomic_writer(path) as handle:
        for record in records:
            handle.write(dumps_line(record))
            count += 1
    return count


def remove_file(path: str | Path) -> None:
    """Delete a file as one of the outputs: at the commit, with the writes (put back if the commit fails)."""
    staging = active()
    if staging is None:
        with staged(PathPlan(outputs=[Output("", Path(path))])) as run:
            run.remove(path)
        return
    staging.remove(path)


def append_text(path: str | Path, text: str) -> None:
    """``text`` added at the end of ``path`` (created if missing), a line feed first if the last line lacks one.

    The existing bytes are kept as they are; the whole file is staged like any other output.
    """
    existing = read_bytes(path) if os.path.lexists(path) else b""
    if existing and not existing.endswith(b"\n"):
        existing += b"\n"
    with atomic_writer(path, "wb") as handle:
        handle.write(existing + text.encode("utf-8"))
