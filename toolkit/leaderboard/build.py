"""Write the leaderboard: ``LEADERBOARD.md``, ``leaderboard.json`` and ``index.html`` into one folder, atomically."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit import __version__
from toolkit.files import write_json, write_text
from toolkit.leaderboard.html import render_html
from toolkit.leaderboard.markdown import render_markdown
from toolkit.leaderboard.ranking import Leaderboard, build_ranking

OUTPUT_FILES = ("LEADERBOARD.md", "leaderboard.json", "index.html")


def leaderboard_json(board: Leaderboard) -> dict[str, Any]:
    """Every submission's full `toolkit eval` result and signature, its rank and its paired test against the leader."""
    return {
        "generator": f"toolkit leaderboard (voci toolkit {__version__})",
        "signature": board.signature,
        "settings": board.settings,
        "ranking": [
            {
                "rank": entry.rank,
                "tied": entry.tied,
                "folder": entry.submission.folder.name,
                "name": entry.submission.name,
                "meta": entry.submission.meta,
                "overall": entry.overall,
                "overall_reason": entry.result.get("overall_reason"),
                "versus_leader": entry.versus_leader,
                "not_significant_vs_leader": entry.not_significant,
                "result": entry.result,
            }
            for entry in board.entries
        ],
        "skipped": [{"folder": skipped.folder.name, "reason": skipped.reason} for skipped in board.skipped],
    }


def write_leaderboard(board: Leaderboard, out: str | Path) -> list[Path]:
    out = Path(out)
    written = {
        "LEADERBOARD.md": lambda path: write_text(path, render_markdown(board)),
        "leaderboard.json": lambda path: write_json(path, leaderboard_json(board)),
        "index.html": lambda path: write_text(path, render_html(board)),
    }
    paths = []
    for name in OUTPUT_FILES:
        written[name](out / name)
        paths.append(out / name)
    return paths


def build_leaderboard(
    submissions_dir: str | Path,
    gold: Path,
    out: str | Path,
    documents: Path | None = None,
    split: str | None = None,
    bootstrap: int = 1000,
    seed: int | None = None,
    progress: Callable[[str], None] | None = None,
    engine: str | None = None,
    verbose: bool = False,
) -> tuple[Leaderboard, list[Path]]:
    board = build_ranking(
        submissions_dir,
        gold,
        documents,
        split=split,
        bootstrap=bootstrap,
        seed=seed,
        progress=progress,
        engine=engine,
        verbose=verbose,
    )
    return board, write_leaderboard(board, out)
