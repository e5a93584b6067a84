"""Which split a document goes to: its own ``split`` field, else a stable hash of its id.

All rows derived from one document (sentences, claims) follow the document, so no
text leaks between splits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from toolkit.errors import InputError

DEFAULT_RATIOS = {"train": 0.8, "validation": 0.1, "test": 0.1}
STANDARD_ORDER = ("train", "validation", "test")


def parse_ratios(value: str) -> dict[str, float]:
    """``"train=0.8,validation=0.1,test=0.1"`` → ratios; they must be positive and sum to 1."""
    ratios: dict[str, float] = {}
    for part in value.split(","):
        name, _, number = part.partition("=")
        try:
            ratios[name.strip()] = float(number)
        except ValueError:
            raise InputError(
                f"--ratios: {part!r} is not NAME=NUMBER (expected e.g. train=0.8,validation=0.1,test=0.1)"
            ) from None
    if any(not name.replace("_", "").isalnum() for name in ratios) or any(ratio <= 0 for ratio in ratios.values()):
        raise InputError(f"--ratios: {value!r} (expected split names of letters, digits or _ with positive ratios)")
    if abs(sum(ratios.values()) - 1) > 1e-9:
        raise InputError(f"--ratios: {value!r} sums to {sum(ratios.values()):g} (expected ratios summing to 1)")
    return ratios


def hashed_split(doc_id: str, ratios: Mapping[str, float] = DEFAULT_RATIOS) -> str:
    """A split drawn from the id's SHA-256: the same id always lands in the same split."""
    point = int(hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:16], 16) / 16**16
    cumulative = 0.0
    for name, ratio in ratios.items():
        cumulative += ratio
        if point < cumulative:
            return name
    return next(reversed(ratios))


def document_split(document: Mapping, ratios: Mapping[str, float] = DEFAULT_RATIOS) -> str:
    return document.get("split") or hashed_split(document["id"], ratios)


def ordered_splits(names: Iterable[str]) -> list[str]:
    """train, validation, test first, then any other split alphabetically."""
    present = set(names)
    return [name for name in STANDARD_ORDER if name in present] + sorted(present - set(STANDARD_ORDER))
