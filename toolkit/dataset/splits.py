"""Which split a document goes to: its own ``split`` field, else a stable hash of its id.

All rows derived from one document (sentences, claims) follow the document, so no
text leaks between splits.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping

from toolkit.errors import InputError
from toolkit.schemas import SPLIT_PATTERN

DEFAULT_RATIOS = {"train": 0.8, "validation": 0.1, "test": 0.1}
STANDARD_ORDER = ("train", "validation", "test")
SPLIT_NAME = re.compile(SPLIT_PATTERN.strip("^$"))  # what a document's split field may be


def parse_ratios(value: str) -> dict[str, float]:
    """``"train=0.8,validation=0.1,test=0.1"`` → ratios: split names once each, finite positive ratios summing to 1."""
    ratios: dict[str, float] = {}
    for part in value.split(","):
        name, _, number = (text.strip() for text in part.partition("="))
        try:
            ratio = float(number)
        except ValueError:
            ratio = math.nan
        if not SPLIT_NAME.fullmatch(name) or not math.isfinite(ratio) or ratio <= 0:
            raise InputError(
                f"{part!r} is not NAME=RATIO (expected a split name of letters, digits or _ and a "
                "finite positive ratio, e.g. train=0.8,validation=0.1,test=0.1)",
                parameter="ratios",
            )
        if name in ratios:
            raise InputError(f"split {name!r} is given twice (expected each split once)", parameter="ratios")
        ratios[name] = ratio
    if abs(sum(ratios.values()) - 1) > 1e-9:
        raise InputError(
            f"{value!r} sums to {sum(ratios.values()):g} (expected ratios summing to 1)", parameter="ratios"
        )
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
