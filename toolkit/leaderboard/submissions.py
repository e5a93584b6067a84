"""Submissions: one folder each, with ``predictions.jsonl`` and ``meta.json``; read as data, never run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import InputError
from toolkit.files import check_input, json_type, read_json

PREDICTIONS_FILE = "predictions.jsonl"
META_FILE = "meta.json"
REQUIRED_META = {"name": str}
OPTIONAL_META = {"authors": (str, list), "url": str, "description": str, "date": str}
MAX_TEXT = 2000


@dataclass(frozen=True)
class Submission:
    folder: Path
    name: str
    meta: dict[str, Any] = field(hash=False)

    @property
    def predictions(self) -> Path:
        return self.folder / PREDICTIONS_FILE

    @property
    def authors(self) -> list[str]:
        authors = self.meta.get("authors", [])
        return [authors] if isinstance(authors, str) else list(authors)

    @property
    def link(self) -> str | None:
        """The URL when it is a web link; anything else (``javascript:``…) is never made clickable."""
        url = self.meta.get("url")
        return url if isinstance(url, str) and url.lower().startswith(("https://", "http://")) else None


@dataclass(frozen=True)
class Skipped:
    """A submission that cannot be ranked, and why (shown on the leaderboard)."""

    folder: Path
    reason: str


def read_meta(path: Path) -> dict[str, Any]:
    """``meta.json`` as a checked dict; raises `InputError` naming the file, field and what was expected."""
    meta = read_json(path, f'{META_FILE}, a JSON object with at least a "name"')
    if not isinstance(meta, dict):
        raise InputError(f"{path}: got a JSON {json_type(meta)} (expected a JSON object)")
    allowed = {**REQUIRED_META, **OPTIONAL_META}
    for key in meta:
        if key not in allowed:
            raise InputError(f"{path}: {key}: unexpected field (expected only: {', '.join(allowed)})")
    for key in REQUIRED_META:
        if key not in meta:
            raise InputError(f"{path}: {key}: missing (expected a non-empty string)")
    for key, value in meta.items():
        expected = allowed[key]
        items = value if isinstance(value, list) else [value]
        if not isinstance(value, expected) or not all(isinstance(item, str) and item.strip() for item in items):
            raise InputError(
                f"{path}: {key}: got {json_type(value)} {value!r:.60} "
                f"(expected a non-empty string{' or a list of strings' if expected is not str else ''})"
            )
        if any(len(item) > MAX_TEXT for item in items):
            raise InputError(f"{path}: {key}: longer than {MAX_TEXT} characters (expected a short text)")
    return meta


def load_submissions(folder: str | Path) -> tuple[list[Submission], list[Skipped]]:
    """Every sub-folder of ``folder`` as a submission, or as skipped with a one-line reason."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(
            f"{folder}: not a folder (expected a folder of submissions, each with {PREDICTIONS_FILE} and {META_FILE})"
        )
    submissions: list[Submission] = []
    skipped: list[Skipped] = []
    names: dict[str, Path] = {}
    for entry in sorted(path for path in folder.iterdir() if path.is_dir() and not path.name.startswith(".")):
        try:
            meta = read_meta(entry / META_FILE)
            check_input(entry / PREDICTIONS_FILE, "the submission's prediction records")
            name = meta["name"].strip()
            if name in names:
                raise InputError(
                    f"{entry / META_FILE}: name: {name!r} is already used by {names[name]} (expected a unique name)"
                )
        except InputError as error:
            skipped.append(Skipped(entry, str(error)))
            continue
        names[name] = entry
        submissions.append(Submission(entry, name, meta))
    return submissions, skipped
