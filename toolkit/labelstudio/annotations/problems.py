"""The guard of agree, adjudicate and build: problems files that still list problems."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from toolkit.paths import ANNOTATORS_DIR, PROBLEMS_FILE


def pending_problems(inputs: Iterable[Path]) -> list[tuple[Path, int]]:
    """Problems files beside the inputs (or beside their ``annotators/`` folder) that still list problems."""
    found: dict[Path, int] = {}
    for path in inputs:
        folder = Path(path).parent
        candidates = [folder / PROBLEMS_FILE]
        if folder.name == ANNOTATORS_DIR:
            candidates.append(folder.parent / PROBLEMS_FILE)
        for candidate in candidates:
            if candidate in found or not candidate.is_file():
                continue
            with candidate.open(encoding="utf-8", errors="replace") as handle:
                count = sum(1 for line in handle if line.strip())
            if count:
                found[candidate] = count
    return sorted(found.items())
