"""``toolkit card``: regenerate the dataset card of a built folder (also run by `toolkit build`)."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import DocumentsOption


@app.command()
def card(
    folder: Path = typer.Argument(Path("dist/voci"), help="A folder written by `toolkit build`."),
    copy_to: Path = typer.Option(Path("DATASET_CARD.md"), "--card", help="Where to copy the card besides FOLDER/README.md."),
    agreement: Path = typer.Option(Path("annotations/agreement.json"), "--agreement", help="Agreement figures (`toolkit agree --json`), quoted when the file exists."),
    scores: Path = typer.Option(Path("annotations/baseline_scores.json"), "--scores", help="Baseline scores (`toolkit eval` JSON), quoted when the file exists."),
    guidelines: Path = typer.Option(Path("docs/guidelines.md"), "--guidelines", help="Annotation guidelines the card points to."),
    documents: Path = DocumentsOption,
    gold: Path = typer.Option(Path("annotations/gold.jsonl"), "--gold", help="Gold file the folder was built from (named in the card)."),
) -> None:
    """Write FOLDER/README.md and the repo's DATASET_CARD.md from the template and the folder's parquet files."""
    from toolkit.dataset.build import is_build
    from toolkit.dataset.card import CardInputs, write_card
    from toolkit.errors import InputError

    if not is_build(folder):
        raise InputError(f"{folder}: not a folder written by `toolkit build` (expected README.md with the build marker); run `toolkit build --out {folder}` first")
    write_card(folder, CardInputs(agreement=agreement, scores=scores, guidelines=guidelines, documents=documents, gold=gold), copy_to=copy_to)
    echo_err(f"card: {folder / 'README.md'} and {copy_to}")
