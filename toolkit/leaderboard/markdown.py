"""``LEADERBOARD.md``: the ranking and per-layer tables as GitHub-flavoured Markdown."""

from __future__ import annotations

from toolkit.leaderboard.columns import HEADLINE_COLUMNS, LAYER_TABLES, NOT_SIGNIFICANT_NOTE, cell
from toolkit.leaderboard.ranking import Leaderboard
from toolkit.markdown import md_code, md_text


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" if index else ":---" for index in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_markdown(board: Leaderboard) -> str:
    settings = board.settings
    lines = ["# voci leaderboard", ""]
    if not board.entries:
        lines += ["No valid submission yet.", ""]
    else:
        lines += [
            "Ranked by **overall**: the mean of entity strict F1, claim overlap F1 and end-to-end F1 (scores in %).",
            (
                "Brackets: 95% bootstrap interval over documents "
                f"({settings.get('bootstrap')} resamples, seed {settings.get('seed')})."
                if settings.get("bootstrap")
                else "No bootstrap intervals (run with `--bootstrap N`)."
            ),
            "",
        ]
        header = ["Rank", "System"] + [column.title for column in HEADLINE_COLUMNS]
        rows = []
        for entry in board.entries:
            rank = f"{entry.rank}=" if entry.tied else str(entry.rank)
            name = md_text(entry.submission.name)
            if entry.submission.link:
                name = f"[{name}](<{md_text(entry.submission.link)}>)"
            if entry.overall is None:
                name += f" (no overall: {md_text(entry.result.get('overall_reason') or 'undefined')})"
            rows.append([rank, name] + [cell(entry, column) for column in HEADLINE_COLUMNS])
        lines += _table(header, rows)
        lines += ["", NOT_SIGNIFICANT_NOTE.format(level=settings.get("significance_level")), ""]
        for title, columns in LAYER_TABLES.items():
            lines += [f"## {title}", ""]
            rows = [
                [md_text(entry.submission.name)] + [cell(entry, column) for column in columns]
                for entry in board.entries
            ]
            lines += _table(["System"] + [column.title for column in columns], rows)
            lines += [""]
        lines += ["## Signature", "", md_code(board.signature), ""]
    if board.skipped:
        lines += ["## Skipped submissions", ""]
        lines += [f"- {md_text(skipped.folder.name)}: {md_text(skipped.reason)}" for skipped in board.skipped]
        lines += [""]
    return "\n".join(lines)
