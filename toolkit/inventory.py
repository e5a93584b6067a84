"""The label inventory, read once from the package's copy of ``schemas/labels.json``.

Everything that names a label (schemas, Label Studio config, dataset features,
scorer) asks this module instead of typing the names again.  People edit
``schemas/labels.json``; ``toolkit schemas`` copies it into `toolkit.resources`,
which is what an installed toolkit reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from toolkit.resources import INVENTORY, read_resource


@dataclass(frozen=True)
class Label:
    name: str
    description: str
    hotkey: str | None = None
    color: str | None = None


@dataclass(frozen=True)
class Inventory:
    version: int
    entity_labels: tuple[Label, ...]
    claim_label: Label
    claimer_kinds: tuple[Label, ...]
    stances: tuple[Label, ...]

    @property
    def entity_names(self) -> list[str]:
        return [label.name for label in self.entity_labels]

    @property
    def claimer_kind_names(self) -> list[str]:
        return [label.name for label in self.claimer_kinds]

    @property
    def stance_names(self) -> list[str]:
        return [label.name for label in self.stances]

    @property
    def prediction_claimer_keywords(self) -> dict[str, str]:
        """How a prediction names a claimer kind that has no span: ``"AUTHOR"`` → ``author``."""
        return {kind.upper(): kind for kind in self.claimer_kind_names if kind != ENTITY_CLAIMER}

    @property
    def polar_stances(self) -> list[str]:
        """The two stances whose mean F1 is ``f_avg`` (SemEval-2016 Task 6)."""
        return [name for name in self.stance_names if name != "NEUTRAL"]

    def bio_tags(self) -> list[str]:
        """IOB2 tag names: ``O`` then ``B-``/``I-`` per entity label, in inventory order."""
        tags = ["O"]
        for name in self.entity_names:
            tags += [f"B-{name}", f"I-{name}"]
        return tags


ENTITY_CLAIMER = "entity"


def _label(raw: dict) -> Label:
    return Label(raw["name"], raw.get("description", ""), raw.get("hotkey"), raw.get("color"))


@cache
def load_inventory(path: Path | None = None) -> Inventory:
    """Read the inventory (the shipped copy unless ``path`` names another file); cached because every module asks."""
    return parse_inventory(read_resource(INVENTORY) if path is None else Path(path).read_text(encoding="utf-8"))


def parse_inventory(text: str) -> Inventory:
    raw = json.loads(text)
    return Inventory(
        version=raw["version"],
        entity_labels=tuple(_label(item) for item in raw["entity_labels"]),
        claim_label=_label(raw["claim_label"]),
        claimer_kinds=tuple(_label(item) for item in raw["claimer_kinds"]),
        stances=tuple(_label(item) for item in raw["stances"]),
    )
