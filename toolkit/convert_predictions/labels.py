"""A system's labels → the inventory's: names already in the inventory pass, others only through an explicit map.

A label map is a JSON object ``{"theirs": "ours"}``; ``null`` as a value drops that label (e.g. ``"MISC": null``
for a model trained on a label voci does not have).  Nothing is guessed: an unknown label is refused with the
list of known ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.convert_predictions.records import Bad
from toolkit.errors import InputError
from toolkit.inventory import load_inventory


@dataclass(frozen=True)
class LabelMap:
    mapping: Mapping[str, str | None] = field(default_factory=dict)

    def entity(self, label: str, where: str) -> str | None:
        """The inventory's entity label for ``label``; None when the map drops it."""
        return self._ours(label, where, load_inventory().entity_names, "entity label")

    def stance(self, label: str, where: str) -> str | None:
        return self._ours(label, where, load_inventory().stance_names, "stance")

    def _ours(self, label: str, where: str, known: list[str], what: str) -> str | None:
        ours = self.mapping.get(label, label) if isinstance(label, str) else label
        if ours is None or ours in known:
            return ours
        mapped = f" (mapped from {label!r})" if ours != label else ""
        raise Bad(
            where,
            f"{ours!r}{mapped} is not a voci {what} "
            f"(expected one of: {', '.join(known)}; or map it with a label map {{theirs: ours}})",
        )

    @classmethod
    def from_file(cls, path: str | Path) -> LabelMap:
        """Read and check a label map file: every value an inventory label (entity or stance) or null."""
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{path}: file not found (expected a JSON label map {{theirs: ours}})") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InputError(
                f"{path}: not readable as JSON ({error}) (expected a label map {{theirs: ours}})"
            ) from None
        if not isinstance(raw, dict):
            raise InputError(f"{path}: got a JSON {type(raw).__name__} (expected an object {{theirs: ours}})")
        inventory = load_inventory()
        known = [*inventory.entity_names, *inventory.stance_names]
        for theirs, ours in raw.items():
            if ours is not None and ours not in known:
                raise InputError(
                    f"{path}: {theirs}: {ours!r} is not a voci label "
                    f"(expected one of: {', '.join(known)}; or null to drop the label)"
                )
        return cls(raw)
