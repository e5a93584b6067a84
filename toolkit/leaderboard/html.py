"""``index.html``: one self-contained page (inline CSS and SVG, no script, no external file) that works from ``file://``.

A Content-Security-Policy of ``default-src 'none'`` forbids scripts outright, and
every string that comes from a submission passes through `toolkit.markdown.html_text`.
"""

from __future__ import annotations

from toolkit import __version__
from toolkit.inventory import load_inventory
from toolkit.leaderboard.columns import (
    HEADLINE_COLUMNS,
    LAYER_TABLES,
    NOT_SIGNIFICANT_MARK,
    NOT_SIGNIFICANT_NOTE,
    Column,
    cell,
    interval,
    percent,
)
from toolkit.leaderboard.ranking import Entry, Leaderboard, figure
from toolkit.leaderboard.svg import bar_chart, heatmap, interval_plot, mini_bar
from toolkit.markdown import html_text

SYSTEM_COLORS = ("#1f5fa8", "#d1495b", "#2a9d8f", "#e9a03b", "#6a4c93", "#3d5a80", "#8d6a9f", "#4f772d")
DESCRIPTION_LIMIT = 140  # characters shown in the ranking; the whole text is the tooltip and in leaderboard.json
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f7f9fb; --accent:#1f5fa8; }
* { box-sizing:border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, \
"Noto Sans", "DejaVu Sans", sans-serif; }
main { max-width:1180px; margin:0 auto; padding:32px 28px 48px; }
header h1 { font-size:30px; margin:0 0 4px; letter-spacing:-0.01em; }
header p { margin:0; color:var(--muted); }
section { background:#fff; border:1px solid var(--line); border-radius:10px; padding:20px 22px; margin-top:22px; }
h2 { font-size:19px; margin:0 0 12px; }
h3 { font-size:15px; margin:0 0 6px; }
table { border-collapse:collapse; width:100%; font-variant-numeric:tabular-nums; }
th, td { padding:8px 10px; border-bottom:1px solid var(--line); text-align:right; vertical-align:middle; }
th { font-size:12px; text-transform:uppercase; letter-spacing:0.04em; color:var(--muted); font-weight:600; }
th:first-child, td:first-child, th.system, td.system { text-align:left; }
tbody tr:hover { background:#f3f6fa; }
td.rank { font-weight:700; font-size:17px; width:48px; }
td.system .name { font-weight:600; overflow-wrap:anywhere; }
td.system .meta { color:var(--muted); font-size:13px; overflow-wrap:anywhere; }
td.overall { font-weight:700; white-space:nowrap; }
td.overall svg { display:block; margin:4px 0 0 auto; }
.ci { display:block; color:var(--muted); font-weight:400; font-size:11px; white-space:nowrap; }
.mark { color:#d1495b; font-weight:700; }
.swatch { display:inline-block; width:10px; height:10px; border-radius:50%; margin-right:6px; vertical-align:baseline; }
.note { color:var(--muted); font-size:13px; margin:10px 0 0; }
.grid { display:grid; grid-template-columns:repeat(auto-fill, minmax(360px, 1fr)); gap:18px; }
.card { border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
code { font:12px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; background:#f0f3f7; \
padding:2px 5px; border-radius:4px; overflow-wrap:anywhere; }
.skipped li { margin:4px 0; overflow-wrap:anywhere; }
footer { color:var(--muted); font-size:12px; margin-top:22px; }
a { color:var(--accent); }
"""


def _e(value) -> str:
    return html_text(value)


def _color(index: int) -> str:
    return SYSTEM_COLORS[index % len(SYSTEM_COLORS)]


def _system_cell(entry: Entry, index: int) -> str:
    submission = entry.submission
    name = _e(submission.name)
    if submission.link:
        name = f'<a href="{_e(submission.link)}" rel="noopener noreferrer">{name}</a>'
    details = []
    if submission.authors:
        details.append(_e(", ".join(submission.authors)))
    if submission.meta.get("date"):
        details.append(_e(submission.meta["date"]))
    meta = f'<div class="meta">{" · ".join(details)}</div>' if details else ""
    text = submission.meta.get("description") or ""
    short = text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1].rstrip() + "…"
    description = f'<div class="meta" title="{_e(text)}">{_e(short)}</div>' if text else ""
    reason = (
        f'<div class="meta">no overall: {_e(entry.result.get("overall_reason") or "undefined")}</div>'
        if entry.overall is None
        else ""
    )
    return (
        f'<td class="system"><div class="name"><span class="swatch" style="background:{_color(index)}"></span>'
        f"{name}</div>{meta}{description}{reason}</td>"
    )


def _value_cell(entry: Entry, column, index: int) -> str:
    value = figure(entry.result, column.key)
    bounds = interval(entry, column)
    ci = f' <span class="ci">[{percent(bounds[0])}–{percent(bounds[1])}]</span>' if bounds else ""
    if column.key != "overall":
        return f"<td>{_e(percent(value))}{ci}</td>"
    mark = (
        f' <span class="mark" title="gap to the leader not significant">{NOT_SIGNIFICANT_MARK}</span>'
        if entry.not_significant
        else ""
    )
    return f'<td class="overall">{_e(percent(value))}{ci}{mark}{mini_bar(value, bounds, _color(index))}</td>'


def header(column: Column) -> str:
    """A column's header cell, its definition as the tooltip."""
    tip = f' title="{_e(column.definition)}"' if column.definition else ""
    return f"<th{tip}>{_e(column.title)}</th>"


def _ranking(board: Leaderboard) -> str:
    head = "".join(map(header, HEADLINE_COLUMNS))
    rows = []
    for index, entry in enumerate(board.entries):
        rank = f"{entry.rank}=" if entry.tied else str(entry.rank)
        values = "".join(_value_cell(entry, column, index) for column in HEADLINE_COLUMNS)
        rows.append(f'<tr><td class="rank">{_e(rank)}</td>{_system_cell(entry, index)}{values}</tr>')
    level = board.settings.get("significance_level")
    bootstrap = board.settings.get("bootstrap")
    ci_note = (
        "Brackets and whiskers: 95% bootstrap interval over documents "
        f"({_e(bootstrap)} resamples, seed {_e(board.settings.get('seed'))})."
        if bootstrap
        else "No intervals: the leaderboard was built without bootstrap."
    )
    return (
        '<section id="ranking"><h2>Ranking</h2>'
        f'<table id="ranking-table"><thead><tr><th>Rank</th><th class="system">System</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        f'<p class="note">Overall = mean of entity strict F1, claim overlap F1 and end-to-end F1, in %. {ci_note} '
        f"{_e(NOT_SIGNIFICANT_NOTE.format(level=level))}.</p></section>"
    )


def _intervals(board: Leaderboard) -> str:
    column = HEADLINE_COLUMNS[0]
    rows = [
        (entry.submission.name, entry.overall, interval(entry, column), _color(index))
        for index, entry in enumerate(board.entries)
    ]
    return (
        '<section id="intervals"><h2>Overall score with 95% intervals</h2>'
        f"{interval_plot(rows, 'overall score per system')}</section>"
    )


def _layers(board: Leaderboard) -> str:
    parts = ['<section id="layers"><h2>Per layer</h2>']
    for title, columns in LAYER_TABLES.items():
        head = "".join(map(header, columns))
        rows = "".join(
            f'<tr><td class="system"><span class="swatch" style="background:{_color(index)}"></span>'
            f"{_e(entry.submission.name)}</td>"
            + "".join(f"<td>{_e(cell(entry, column))}</td>" for column in columns)
            + "</tr>"
            for index, entry in enumerate(board.entries)
        )
        parts.append(
            f'<h3>{_e(title)}</h3><table class="layer"><thead><tr><th class="system">System</th>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table><br>"
        )
    parts.append("</section>")
    return "".join(parts)


def _per_label(board: Leaderboard) -> str:
    inventory = load_inventory()
    cards = []
    for entry in board.entries:
        per_label = figure(entry.result, "entities.per_label") or {}
        rows = [
            (label.name, figure(per_label, f"{label.name}.strict.f1"), label.color or "#888")
            for label in inventory.entity_labels
            if label.name in per_label
        ]
        has_layer = "entities" in (entry.result.get("layers") or [])
        chart = (
            bar_chart(rows, f"per-label strict F1 of {entry.submission.name}")
            if rows and has_layer
            else '<p class="note">No entity layer.</p>'
        )
        cards.append(f'<div class="card"><h3>{_e(entry.submission.name)}</h3>{chart}</div>')
    return (
        '<section id="per-label"><h2>Entities: strict F1 per label</h2>'
        f'<div class="grid">{"".join(cards)}</div></section>'
    )


def _confusion(board: Leaderboard) -> str:
    cards = []
    for entry in board.entries:
        confusion = figure(entry.result, "stance.confusion") or {}
        labels, matrix = confusion.get("labels") or [], confusion.get("matrix") or []
        has_layer = "claims" in (entry.result.get("layers") or [])
        chart = (
            heatmap(labels, matrix, f"stance confusion of {entry.submission.name}")
            if labels and has_layer
            else '<p class="note">No claim layer.</p>'
        )
        cards.append(f'<div class="card"><h3>{_e(entry.submission.name)}</h3>{chart}</div>')
    return (
        '<section id="stance"><h2>Stance confusion on matched claims</h2>'
        f'<div class="grid">{"".join(cards)}</div>'
        '<p class="note">Rows: gold stance; columns: predicted; shade: share of the gold row.</p></section>'
    )


def _skipped(board: Leaderboard) -> str:
    if not board.skipped:
        return ""
    items = "".join(
        f"<li><code>{_e(skipped.folder.name)}</code>: {_e(skipped.reason)}</li>" for skipped in board.skipped
    )
    return f'<section id="skipped"><h2>Skipped submissions</h2><ul class="skipped">{items}</ul></section>'


def render_html(board: Leaderboard) -> str:
    body = [
        (
            "<header><h1>voci leaderboard</h1>"
            "<p>Who claims what in Italian news: entities, claims, claimers and stance.</p></header>"
        ),
    ]
    if board.entries:
        body += [_ranking(board), _intervals(board), _layers(board), _per_label(board), _confusion(board)]
        body.append(
            f'<section id="signature"><h2>Signature</h2><p><code>{_e(board.signature)}</code></p>'
            '<p class="note">Scores are comparable only under the same signature.</p></section>'
        )
    else:
        body.append('<section id="ranking"><h2>Ranking</h2><p>No valid submission yet.</p></section>')
    body.append(_skipped(board))
    return _page("voci leaderboard", body, "toolkit leaderboard")


def render_submission_html(entry: Entry, notes: list[str]) -> str:
    """One system's figures as the leaderboard page shows them, with notes on what was scored (Codabench's
    detailed results of a submission)."""
    board = Leaderboard([entry], [])
    items = "".join(f"<li>{_e(note)}</li>" for note in notes)
    body = [
        f"<header><h1>{_e(entry.submission.name)}</h1><p>voci: scores of this submission on every layer.</p></header>",
        f'<section id="scored"><h2>What was scored</h2><ul>{items}</ul></section>',
        _headline(entry),
        _layers(board),
        _per_label(board),
        _confusion(board),
        f'<section id="signature"><h2>Signature</h2><p><code>{_e(board.signature)}</code></p>'
        '<p class="note">Scores are comparable only under the same signature.</p></section>',
    ]
    return _page(f"voci: {entry.submission.name}", body, "score.py")


def _headline(entry: Entry) -> str:
    """The leaderboard's columns for one system, in %, with their intervals."""
    head = "".join(f"<th>{_e(column.title)}</th>" for column in HEADLINE_COLUMNS)
    values = "".join(f"<td>{_e(cell(entry, column))}</td>" for column in HEADLINE_COLUMNS)
    bootstrap = figure(entry.result, "settings.bootstrap")
    note = (
        f"Brackets: 95% bootstrap interval over documents ({_e(bootstrap)} resamples)."
        if bootstrap
        else "No intervals: scored without bootstrap."
    )
    return (
        '<section id="headline"><h2>Leaderboard figures</h2>'
        f"<table><thead><tr>{head}</tr></thead><tbody><tr>{values}</tr></tbody></table>"
        f'<p class="note">In %; the leaderboard shows them as fractions. {note}</p></section>'
    )


def _page(title: str, body: list[str], generator: str) -> str:
    footer = (
        f"<footer>Generated by <code>{_e(generator)}</code> (voci toolkit {_e(__version__)}). "
        "This page runs no script.</footer>"
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{''.join(body)}{footer}</main></body></html>\n"
    )
