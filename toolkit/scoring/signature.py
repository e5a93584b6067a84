"""The sacreBLEU-style signature: every setting that changes a number, in one line.

Two results can be compared only when their signatures are equal (apart from
``boot``/``seed``, which only change the intervals).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from toolkit import __version__

SCORER_NAME = "voci-eval"
SCORER_VERSION = "1.0"


def content_hash(lines: Iterable[str]) -> str:
    """First 12 hex digits of the SHA-256 of the gold as scored (see `toolkit.scoring.evaluate.gold_lines`)."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8"))
    return digest.hexdigest()[:12]


def make_signature(
    gold_name: str,
    gold_hash: str,
    split: str | None,
    n_documents: int,
    iou: float,
    matching: str,
    bootstrap: int,
    seed: int,
) -> str:
    fields = [
        f"{SCORER_NAME}:{SCORER_VERSION}",
        f"toolkit:{__version__}",
        f"gold:{gold_name}@{gold_hash}",
        f"split:{split or 'all'}",
        f"docs:{n_documents}",
        f"iou:{iou:g}",
        f"match:{matching}",
        f"boot:{bootstrap}",
    ]
    if bootstrap:
        fields.append(f"seed:{seed}")
    return "|".join(fields)
