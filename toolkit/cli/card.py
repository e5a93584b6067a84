"""``toolkit card``: regenerate the dataset card of a built folder (also run by `toolkit build`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from toolkit.cli._app import app, echo_err, input_path
from toolkit.cli._options import (
    AgreementOption,
    CardCopyOption,
    CardGuidelinesOption,
    DocumentsOption,
    ScoresOption,
    described,
)
from toolkit.paths import (
    DEFAULT_AGREEMENT,
    DEFAULT_BUILD,
    DEFAULT_CARD,
    DEFAULT_DOCUMENTS,
    DEFAULT_GOLD,
    DEFAULT_GUIDELINES,
    DEFAULT_SCORES,
)


@app.command()
def card(
    folder: Annotated[
        Path,
        input_path(help="A folder written by `toolkit build` (its README.md is rewritten).", rewritten=("README.md",)),
    ] = DEFAULT_BUILD,
    copy_to: described(CardCopyOption, "Where to copy the card besides FOLDER/README.md.") = DEFAULT_CARD,
    agreement: described(
        AgreementOption, "Agreement figures (`toolkit agree --format json`), quoted when the file exists."
    ) = DEFAULT_AGREEMENT,
    scores: described(
        ScoresOption, "Baseline scores (`toolkit eval --format json`), quoted when the file exists."
    ) = DEFAULT_SCORES,
    guidelines: CardGuidelinesOption = DEFAULT_GUIDELINES,
    documents: DocumentsOption = DEFAULT_DOCUMENTS,
    gold: Annotated[
        Path, input_path("--gold", help="Gold file the folder was built from (named in the card).")
    ] = DEFAULT_GOLD,
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
