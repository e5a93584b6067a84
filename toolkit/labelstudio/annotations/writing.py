"""Writing a conversion: one file per annotator and the problems file, all together or not at all."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.documents import slugify
from toolkit.errors import InputError, mention
from toolkit.files import file_sha256, remove_file
from toolkit.labelstudio.annotations.reading import TaskLink
from toolkit.labelstudio.annotations.store import Conversion, ConversionSummary, convert_tasks
from toolkit.pathguard import FILES, Output, PathPlan
from toolkit.paths import ANNOTATORS_DIR, CONVERTED_FILES, PROBLEMS_FILE
from toolkit.staging import staged


def annotator_file(out_dir: Path, annotator: str) -> Path:
    return Path(out_dir) / ANNOTATORS_DIR / f"{slugify(annotator) or 'annotator'}.jsonl"


@dataclass
class WrittenFiles:
    changed: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    problems_file: Path | None = None


def _sha256(lines: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8"))
    return digest.hexdigest()


def write_converted(conversion: Conversion, out_dir: Path) -> WrittenFiles:
    """One JSONL file per annotator with records, the problems file (empty when there are none); per-annotator files
    of annotators without a record in this export are removed, so no older work outlives its replacement.

    Files whose content is unchanged are not touched; the others are written (and removed) together or not at all.
    """
    from toolkit.files import atomic_writer

    out_dir = Path(out_dir)
    contents: dict[Path, Callable[[], Iterable[str]]] = {}
    for annotator in conversion.annotators():
        path = annotator_file(out_dir, annotator)
        if path in contents:
            raise InputError(
                f"annotators {annotator!r} and another map to the same file {path} (expected distinct annotator names)"
            )
        contents[path] = lambda annotator=annotator: conversion.record_lines(annotator)
    problems_path = out_dir / PROBLEMS_FILE
    contents[problems_path] = lambda: (f"{problem}\n" for problem in conversion.iter_problems())
    written = WrittenFiles(problems_file=problems_path)
    for path, lines in contents.items():
        unchanged = path.is_file() and file_sha256(path) == _sha256(lines())
        (written.unchanged if unchanged else written.changed).append(path)
    with staged(PathPlan([], [Output(mention("out"), out_dir, FILES, CONVERTED_FILES)])):
        for path in written.changed:
            with atomic_writer(path) as handle:
                handle.writelines(contents[path]())
        written.removed = sorted(set((out_dir / ANNOTATORS_DIR).glob("*.jsonl")) - set(contents))
        for path in written.removed:
            remove_file(path)
    return written


def convert_export(
    tasks: Iterable[Any],
    out_dir: Path,
    users: Mapping[int, str] | None = None,
    documents: Mapping[str, Mapping[str, Any]] | None = None,
    task_link: TaskLink | None = None,
) -> tuple[ConversionSummary, WrittenFiles]:
    """Convert tasks as they stream by into a temporary database on disk, then write the files."""
    with tempfile.TemporaryDirectory(prefix="voci-convert-") as scratch:
        conversion = convert_tasks(tasks, users, documents, task_link, Path(scratch) / "latest.sqlite")
        try:
            return conversion.summary(), write_converted(conversion, out_dir)
        finally:
            conversion.close()
