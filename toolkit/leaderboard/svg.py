"""Inline SVG plots (no script, no external file): interval plot, per-label bars, confusion heatmap.

Every text that reaches the SVG goes through `toolkit.markdown.html_text`; numbers are formatted here.
"""

from __future__ import annotations

from toolkit.markdown import html_text

FONT = "font-family:inherit"
AXIS_COLOR = "#c9ced6"
TEXT_COLOR = "#1f2933"
MUTED_COLOR = "#616e7c"


def _text(
    x: float,
    y: float,
    content: str,
    anchor: str = "start",
    size: int = 12,
    color: str = TEXT_COLOR,
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{color}" '
        f'font-weight="{weight}" style="{FONT}">'
        f"{html_text(content)}</text>"
    )


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="{html_text(title)}"><title>{html_text(title)}</title>{"".join(body)}</svg>'
    )


def _grid(left: float, top: float, width: float, height: float) -> list[str]:
    """Vertical lines and labels at 0, 25, 50, 75, 100 %."""
    parts = []
    for tick in range(0, 101, 25):
        x = left + width * tick / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{top + height:.1f}" '
            f'stroke="{AXIS_COLOR}" stroke-width="1"/>'
        )
        parts.append(_text(x, top + height + 14, str(tick), "middle", 11, MUTED_COLOR))
    return parts


def interval_plot(rows: list[tuple[str, float | None, tuple[float, float] | None, str]], title: str) -> str:
    """One line per system: a dot at the value and a whisker for its 95% interval (values in [0, 1])."""
    left, right, row_height, top = 230, 60, 30, 10
    width = 1080
    plot = width - left - right
    height = top + row_height * len(rows) + 26
    body = _grid(left, top, plot, row_height * len(rows))
    for index, (name, value, bounds, color) in enumerate(rows):
        y = top + row_height * index + row_height / 2
        body.append(_text(left - 12, y + 4, _clip(name, 26), "end", 13))
        if bounds:
            x1, x2 = left + plot * bounds[0], left + plot * bounds[1]
            body.append(
                f'<line x1="{x1:.1f}" y1="{y:.1f}" x2="{x2:.1f}" y2="{y:.1f}" stroke="{color}" '
                'stroke-width="3" stroke-linecap="round" opacity="0.45"/>'
            )
            for x in (x1, x2):
                body.append(
                    f'<line x1="{x:.1f}" y1="{y - 6:.1f}" x2="{x:.1f}" y2="{y + 6:.1f}" '
                    f'stroke="{color}" stroke-width="2"/>'
                )
        if value is None:
            body.append(_text(left + 6, y + 4, "undefined", size=12, color=MUTED_COLOR))
        else:
            x = left + plot * value
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{color}" stroke="#fff" stroke-width="1.5"/>')
            body.append(_text(left + plot + 8, y + 4, f"{100 * value:.1f}", size=12, weight="600"))
    return _svg(width, height, body, title)


def bar_chart(rows: list[tuple[str, float | None, str]], title: str, width: int = 360) -> str:
    """Horizontal bars, one per row ``(label, value in [0, 1] or None, colour)``, with the value printed."""
    left, right, row_height, top = 92, 44, 22, 6
    plot = width - left - right
    height = top + row_height * len(rows) + 24
    body = _grid(left, top, plot, row_height * len(rows))
    for index, (label, value, color) in enumerate(rows):
        y = top + row_height * index
        body.append(_text(left - 8, y + 15, _clip(label, 12), "end", 12))
        if value is None:
            body.append(_text(left + 4, y + 15, "—", size=12, color=MUTED_COLOR))
            continue
        body.append(
            f'<rect x="{left}" y="{y + 4:.1f}" width="{max(plot * value, 1):.1f}" '
            f'height="{row_height - 8}" rx="3" fill="{color}"/>'
        )
        body.append(_text(left + plot * value + 5, y + 15, f"{100 * value:.0f}", size=11, color=MUTED_COLOR))
    return _svg(width, height, body, title)


def _shade(share: float) -> str:
    """White to deep blue by share of the gold row."""
    low, high = (247, 250, 252), (31, 95, 168)
    return "#" + "".join(f"{round(a + (b - a) * share):02x}" for a, b in zip(low, high, strict=True))


def heatmap(labels: list[str], matrix: list[list[int]], title: str) -> str:
    """Confusion matrix: rows gold, columns predicted; shade = share of the gold row, count printed in each cell."""
    cell_size, left, top = 64, 92, 44
    size = len(labels)
    width, height = left + cell_size * size + 12, top + cell_size * size + 28
    body = [_text(left + cell_size * size / 2, 14, "predicted", "middle", 11, MUTED_COLOR)]
    middle = top + cell_size * size / 2
    body.append(
        _text(14, middle, "gold", "middle", 11, MUTED_COLOR).replace(
            "<text ", f'<text transform="rotate(-90 14 {middle:.1f})" ', 1
        )
    )
    for column, label in enumerate(labels):
        body.append(_text(left + cell_size * column + cell_size / 2, top - 8, label, "middle", 11))
    for row, label in enumerate(labels):
        total = sum(matrix[row]) if row < len(matrix) else 0
        body.append(_text(left - 8, top + cell_size * row + cell_size / 2 + 4, label, "end", 11))
        for column in range(size):
            count = matrix[row][column] if row < len(matrix) and column < len(matrix[row]) else 0
            share = count / total if total else 0.0
            x, y = left + cell_size * column, top + cell_size * row
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell_size - 2}" height="{cell_size - 2}" '
                f'rx="4" fill="{_shade(share)}"/>'
            )
            body.append(
                _text(
                    x + cell_size / 2 - 1,
                    y + cell_size / 2 + 5,
                    str(count),
                    "middle",
                    15,
                    "#ffffff" if share > 0.55 else TEXT_COLOR,
                    "600",
                )
            )
    return _svg(width, height, body, title)


def mini_bar(value: float | None, bounds: tuple[float, float] | None, color: str) -> str:
    """A small in-table bar: the value as a filled bar, its interval as a whisker."""
    width, height = 110, 14
    body = [f'<rect x="0" y="3" width="{width}" height="8" rx="4" fill="#eef1f5"/>']
    if value is not None:
        body.append(f'<rect x="0" y="3" width="{max(width * value, 1):.1f}" height="8" rx="4" fill="{color}"/>')
    if bounds:
        x1, x2 = width * bounds[0], width * bounds[1]
        body.append(f'<line x1="{x1:.1f}" y1="7" x2="{x2:.1f}" y2="7" stroke="{TEXT_COLOR}" stroke-width="1.5"/>')
        body += [
            f'<line x1="{x:.1f}" y1="2" x2="{x:.1f}" y2="12" stroke="{TEXT_COLOR}" stroke-width="1.5"/>'
            for x in (x1, x2)
        ]
    return _svg(width, height, body, "score bar")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
