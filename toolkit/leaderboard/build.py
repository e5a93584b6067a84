"""Write the leaderboard: ``LEADERBOARD.md``, ``leaderboard.json`` and ``index.html`` into one folder, atomically."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit import __version__
from toolkit.errors import mention
from toolkit.files import dumps_json, write_text
from toolkit.leaderboard.html import render_html
from toolkit.leaderboard.markdown import render_markdown
from toolkit.leaderboard.ranking import Leaderboard, build_ranking
from toolkit.pathguard import FILES, Input, Output, PathPlan
from toolkit.paths import LEADERBOARD_FILES
from toolkit.staging import staged


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


def leaderboard_output(out: str | Path) -> Output:
    """The leaderboard's outputs, declared once: the files of `toolkit.paths.LEADERBOARD_FILES` inside ``out``."""
    return Output(mention("out"), Path(out), FILES, LEADERBOARD_FILES)


def write_leaderboard(board: Leaderboard, out: str | Path) -> list[Path]:
    """The three files, written together (`toolkit.staging`): never a new LEADERBOARD.md beside an old index.html."""
    out = Path(out)
    render = {
        "LEADERBOARD.md": lambda: render_markdown(board),
        "leaderboard.json": lambda: dumps_json(leaderboard_json(board)),
        "index.html": lambda: render_html(board),
    }
    with staged(PathPlan([], [leaderboard_output(out)])):
        for name in LEADERBOARD_FILES:
            write_text(out / name, render[name]())
    return [out / name for name in LEADERBOARD_FILES]


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
    inputs = [Input("SUBMISSIONS", Path(submissions_dir))]
    inputs += [Input(mention("gold"), Path(gold))] if isinstance(gold, (str, Path)) else []
    inputs += [Input(mention("documents"), Path(documents))] if documents is not None else []
    with staged(PathPlan(inputs, [leaderboard_output(out)])):
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
