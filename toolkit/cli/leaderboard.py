"""``toolkit leaderboard``: score every submission and write LEADERBOARD.md, leaderboard.json and index.html."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli._app import app, echo_err
from toolkit.paths import DEFAULT_LEADERBOARD


@app.command()
def leaderboard(
    submissions: Path = typer.Argument(
        ..., help="Folder of submissions: one sub-folder each, with predictions.jsonl and meta.json."
    ),
    gold: Path = typer.Option(
        ...,
        "--gold",
        help="Gold annotation JSONL, a folder built by `toolkit build`, or a Hub dataset id (as in `toolkit eval`).",
    ),
    documents: Path = typer.Option(
        None,
        "--documents",
        help="Documents JSONL with the texts of a gold JSONL (default: annotations/documents.jsonl).",
    ),
    split: str = typer.Option(
        None, "--split", help="Rank on this split only (e.g. test; default: every gold document), as in `toolkit eval`."
    ),
    out: Path = typer.Option(
        DEFAULT_LEADERBOARD, "--out", help="Folder to write LEADERBOARD.md, leaderboard.json and index.html into."
    ),
    bootstrap: int = typer.Option(
        1000,
        "--bootstrap",
        min=0,
        help="Resamples for 95% intervals and the paired test against the leader (0 = neither).",
    ),
    seed: int = typer.Option(None, "--seed", help="Seed of the bootstrap (default: the scorer's fixed seed)."),
    engine: str = typer.Option(
        None,
        "--engine",
        help="reference or fast, as in `toolkit eval` (default: $VOCI_SCORER_ENGINE, else fast).",
    ),
    verbose: bool = typer.Option(False, "--verbose", help="Also say how the gold and each submission were read."),
) -> None:
    """Rank submissions by overall score; an invalid submission is reported and skipped, the others still ranked."""
    from toolkit.leaderboard import build_leaderboard

    board, paths = build_leaderboard(
        submissions,
        gold,
        out,
        documents=documents,
        split=split,
        bootstrap=bootstrap,
        seed=seed,
        progress=echo_err,
        engine=engine,
        verbose=verbose,
    )
    echo_err(f"leaderboard: {len(board.entries)} ranked, {len(board.skipped)} skipped → {', '.join(map(str, paths))}")
