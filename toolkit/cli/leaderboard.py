"""``toolkit leaderboard``: score every submission and write LEADERBOARD.md, leaderboard.json and index.html."""

from __future__ import annotations

from pathlib import Path

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import (
    EngineName,
    engine_option,
    gold_option,
    input_path,
    output_path,
    resamples_option,
    scoring_documents_option,
    seed_option,
    split_option,
    verbose_option,
)
from toolkit.pathguard import FILES
from toolkit.paths import DEFAULT_LEADERBOARD, LEADERBOARD_FILES


@app.command()
def leaderboard(
    submissions: Path = input_path(
        ..., help="Folder of submissions: one sub-folder each, with predictions.jsonl and meta.json."
    ),
    gold: Path = gold_option(
        "Gold annotation JSONL, a folder built by `toolkit build`, or a Hub dataset id (as in `toolkit eval`)."
    ),
    documents: Path = scoring_documents_option(),
    split: str = split_option(
        "Rank on this split only (e.g. test; default: every gold document), as in `toolkit eval`."
    ),
    out: Path = output_path(
        DEFAULT_LEADERBOARD,
        "--out",
        kind=FILES,
        files=LEADERBOARD_FILES,
        help="Folder to write LEADERBOARD.md, leaderboard.json and index.html into (together).",
    ),
    bootstrap: int = resamples_option(
        1000, "--bootstrap", help="Resamples for 95% intervals and the paired test against the leader (0 = neither)."
    ),
    seed: int = seed_option(),
    engine: EngineName = engine_option(),
    verbose: bool = verbose_option("Also say how the gold and each submission were read (on stderr)."),
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
        engine=engine and engine.value,
        verbose=verbose,
    )
    echo_err(f"leaderboard: {len(board.entries)} ranked, {len(board.skipped)} skipped → {', '.join(map(str, paths))}")
