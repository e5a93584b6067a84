"""``toolkit leaderboard``: score every submission and write LEADERBOARD.md, leaderboard.json and index.html."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from toolkit.cli._app import app, echo_err, input_path, output_path
from toolkit.cli._options import (
    EngineOption,
    GoldDocumentsOption,
    GoldOption,
    SeedOption,
    SplitOption,
    VerboseOption,
    described,
    resamples_option,
)
from toolkit.pathguard import FILES
from toolkit.paths import DEFAULT_LEADERBOARD, LEADERBOARD_FILES


@app.command()
def leaderboard(
    submissions: Annotated[
        Path, input_path(help="Folder of submissions: one sub-folder each, with predictions.jsonl and meta.json.")
    ],
    gold: described(
        GoldOption,
        "Gold annotation JSONL, a folder built by `toolkit build`, or a Hub dataset id (as in `toolkit eval`).",
    ),
    documents: GoldDocumentsOption = None,
    split: described(
        SplitOption, "Rank on this split only (e.g. test; default: every gold document), as in `toolkit eval`."
    ) = None,
    out: Annotated[
        Path,
        output_path(
            "--out",
            kind=FILES,
            files=LEADERBOARD_FILES,
            help="Folder to write LEADERBOARD.md, leaderboard.json and index.html into (together).",
        ),
    ] = DEFAULT_LEADERBOARD,
    bootstrap: Annotated[
        int,
        resamples_option(
            "--bootstrap", help="Resamples for 95% intervals and the paired test against the leader (0 = neither)."
        ),
    ] = 1000,
    seed: SeedOption = None,
    engine: EngineOption = None,
    verbose: described(VerboseOption, "Also say how the gold and each submission were read (on stderr).") = False,
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
