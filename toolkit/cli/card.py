"""``toolkit card``: regenerate the dataset card of a built folder (also run by `toolkit build`)."""

from __future__ import annotations

from pathlib import Path

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import DocumentsOption, input_path, output_path
from toolkit.paths import (
    DEFAULT_AGREEMENT,
    DEFAULT_BUILD,
    DEFAULT_CARD,
    DEFAULT_GOLD,
    DEFAULT_GUIDELINES,
    DEFAULT_SCORES,
)


@app.command()
def card(
    folder: Path = input_path(
        DEFAULT_BUILD,
        help="A folder written by `toolkit build` (its README.md is rewritten).",
        rewritten=("README.md",),
    ),
    copy_to: Path = output_path(DEFAULT_CARD, "--card", help="Where to copy the card besides FOLDER/README.md."),
    agreement: Path = input_path(
        DEFAULT_AGREEMENT,
        "--agreement",
        help="Agreement figures (`toolkit agree --format json`), quoted when the file exists.",
    ),
    scores: Path = input_path(
        DEFAULT_SCORES, "--scores", help="Baseline scores (`toolkit eval --format json`), quoted when the file exists."
    ),
    guidelines: Path = input_path(DEFAULT_GUIDELINES, "--guidelines", help="Annotation guidelines the card points to."),
    documents: Path = DocumentsOption,
    gold: Path = input_path(DEFAULT_GOLD, "--gold", help="Gold file the folder was built from (named in the card)."),
) -> None:
    """Write FOLDER/README.md and the repo's DATASET_CARD.md from the template and the folder's parquet files."""
    from toolkit.dataset.build import is_build
    from toolkit.dataset.card import CardInputs, write_card
    from toolkit.errors import InputError

    if not is_build(folder):
        raise InputError(
            f"{folder}: not a folder written by `toolkit build` (expected README.md with the build marker); "
            f"run `toolkit build --out {folder}` first"
        )
    write_card(
        folder,
        CardInputs(agreement=agreement, scores=scores, guidelines=guidelines, documents=documents, gold=gold),
        copy_to=copy_to,
    )
    echo_err(f"card: {folder / 'README.md'} and {copy_to}")
