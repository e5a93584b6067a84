"""The span every scorer compares: a half-open ``[start, end)`` range with a label.

`Span` is a named tuple, so hot loops can pass plain ``(start, end, label)``
tuples (no per-span object cost) and readable code can use the names.
"""

from __future__ import annotations

from typing import NamedTuple


class Span(NamedTuple):
    start: int
    end: int
    label: object = None


def overlap(a: tuple, b: tuple) -> int:
    """Characters shared by two half-open spans (``[0,5)`` and ``[5,9)`` share none)."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def iou(a: tuple, b: tuple) -> float:
    """Character intersection over union of two spans."""
    shared = overlap(a, b)
    return shared / (max(a[1], b[1]) - min(a[0], b[0])) if shared else 0.0
