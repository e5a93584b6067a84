"""The competition's logo: a speech bubble holding highlighted spans, drawn by code as a PNG.

Codabench requires an image in every bundle.  It is drawn here from a few
shapes (2×2 samples per pixel for smooth edges) and encoded with ``zlib`` as a
plain RGBA PNG, so that the bundle needs no image library and no binary file
in the repository, and the same code gives the same bytes.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

SIZE = 200
SAMPLES = 2  # per pixel and axis
BACKGROUND = (31, 95, 168)  # the leaderboard page's accent colour
BUBBLE = (255, 255, 255)
SPANS = ((233, 160, 59), (42, 157, 143), (209, 73, 91))

Color = tuple[int, int, int]


def _in_rounded_box(x: float, y: float, left: float, top: float, right: float, bottom: float, radius: float) -> bool:
    dx = max(left + radius - x, 0.0, x - (right - radius))
    dy = max(top + radius - y, 0.0, y - (bottom - radius))
    return dx * dx + dy * dy <= radius * radius


def _in_triangle(x: float, y: float, a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> bool:
    def side(p, q) -> float:
        return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])

    signs = (side(a, b), side(b, c), side(c, a))
    return all(value >= 0 for value in signs) or all(value <= 0 for value in signs)


def _color_at(x: float, y: float) -> Color | None:
    """The colour of the point (x, y) of the unit square; ``None`` outside the logo (transparent)."""
    for (top, right), color in zip(((0.31, 0.74), (0.41, 0.62), (0.51, 0.68)), SPANS, strict=True):
        if _in_rounded_box(x, y, 0.26, top, right, top + 0.06, 0.03):
            return color
    if _in_rounded_box(x, y, 0.16, 0.2, 0.84, 0.68, 0.1) or _in_triangle(x, y, (0.3, 0.66), (0.46, 0.66), (0.24, 0.84)):
        return BUBBLE
    if _in_rounded_box(x, y, 0.0, 0.0, 1.0, 1.0, 0.18):
        return BACKGROUND
    return None


def _pixel(column: int, row: int, size: int, color_at: Callable[[float, float], Color | None]) -> bytes:
    """One RGBA pixel: the mean of its samples, transparent ones counting as coverage only."""
    colors = [
        color_at((column + (i + 0.5) / SAMPLES) / size, (row + (j + 0.5) / SAMPLES) / size)
        for i in range(SAMPLES)
        for j in range(SAMPLES)
    ]
    painted = [color for color in colors if color is not None]
    if not painted:
        return b"\0\0\0\0"
    mean = [round(sum(channel) / len(painted)) for channel in zip(*painted, strict=True)]
    return bytes([*mean, round(255 * len(painted) / len(colors))])


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def logo_png(size: int = SIZE) -> bytes:
    """The logo as PNG bytes (RGBA, ``size`` × ``size``)."""
    rows = b"".join(
        b"\0" + b"".join(_pixel(column, row, size, _color_at) for column in range(size)) for row in range(size)
    )
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA, no interlace
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, 9)) + _chunk(b"IEND", b"")
    )
