"""The per-document sufficient statistics, declared once: every column index and result key is derived from here.

A document's statistics are one row of integers (sacreBLEU's split between
statistics and scores): the entity counts, scheme × category; the claim
counts; the stance confusion matrix on matched claims, gold × predicted.  The
engines fill rows, the bootstrap resamples and sums them, and
`toolkit.scoring.figures` turns sums into figures by name.  Adding a count is
one name here, its counting in each engine, and its figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

LAYERS = ("entities", "claims")  # the keys of a prediction record that hold spans
SCHEMES = ("strict", "exact", "partial", "ent_type")
CATEGORIES = ("correct", "incorrect", "partial", "missed", "spurious")  # the JSON keys of a scheme's counts
PARTIAL_CREDIT_SCHEMES = frozenset({"partial", "ent_type"})  # where a partial pair earns half a credit
CLAIM_COUNTS = ("strict_tp", "overlap_tp", "predicted", "gold", "claimer_correct", "end_to_end_tp")

ENTITY_COLUMNS = tuple(f"entities.{scheme}.{category}" for scheme in SCHEMES for category in CATEGORIES)
ENTITY_WIDTH = len(ENTITY_COLUMNS)
# Positions in CATEGORIES and CLAIM_COUNTS order, for the engines' hot loops (the unpacking fails if a name is added
# without its position).
COR, INC, PAR, MIS, SPU = range(len(CATEGORIES))
STRICT_TP, OVERLAP_TP, PREDICTED, GOLD, CLAIMER_CORRECT, END_TO_END_TP = range(len(CLAIM_COUNTS))


def entity_column(scheme: str, category: str) -> int:
    """The column of one scheme's category in the entity block (and in a label's row)."""
    return SCHEMES.index(scheme) * len(CATEGORIES) + CATEGORIES.index(category)


def scheme_columns(category: int) -> list[int]:
    """The column of category index ``category`` in each scheme."""
    return [offset * len(CATEGORIES) + category for offset in range(len(SCHEMES))]


@dataclass(frozen=True)
class Layout:
    """The columns of one statistics row for a stance inventory: entity block, claim counts, stance confusion."""

    stances: tuple[str, ...]

    @cached_property
    def columns(self) -> tuple[str, ...]:
        return (
            *ENTITY_COLUMNS,
            *(f"claims.{name}" for name in CLAIM_COUNTS),
            *(f"stance.{gold}.{predicted}" for gold in self.stances for predicted in self.stances),
        )

    @cached_property
    def _index(self) -> dict[str, int]:
        return {name: index for index, name in enumerate(self.columns)}

    def index(self, name: str) -> int:
        return self._index[name]

    @property
    def width(self) -> int:
        return len(self.columns)

    @property
    def claim_offset(self) -> int:
        """Where the claim block (claim counts, then the stance confusion) starts."""
        return ENTITY_WIDTH

    @property
    def claim_width(self) -> int:
        return len(CLAIM_COUNTS) + len(self.stances) ** 2

    def named(self, row) -> dict[str, int]:
        """A statistics row (or a sum of rows) by column name."""
        return {name: int(value) for name, value in zip(self.columns, row, strict=True)}


@cache
def layout() -> Layout:
    """The layout for the label inventory's stances."""
    from toolkit.inventory import load_inventory

    return Layout(tuple(load_inventory().stance_names))
