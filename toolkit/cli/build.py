"""``toolkit build``: the Hugging Face dataset folder (parquet per config and split) and its card."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._app import app, echo_err, input_path, output_path
from toolkit.cli._options import (
    AgreementOption,
    CardCopyOption,
    CardGuidelinesOption,
    DocumentsOption,
    ScoresOption,
    count_option,
    document_split_name,
)
from toolkit.cli._problems import AllowProblemsOption, refuse_pending_problems
from toolkit.pathguard import FOLDER
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
def build(
    documents: DocumentsOption = DEFAULT_DOCUMENTS,
    gold: Annotated[
        Path, input_path("--gold", help="Gold annotation records (JSONL), validated like `toolkit validate`.")
    ] = DEFAULT_GOLD,
    out: Annotated[
        Path,
        output_path(
            "--out",
            kind=FOLDER,
            help="Dataset folder to write (a previous build is replaced; nothing else in it is ever deleted).",
        ),
    ] = DEFAULT_BUILD,
    ratios: Annotated[
        str, typer.Option("--ratios", help="Split ratios for documents without a `split` field (by a hash of the id).")
    ] = "train=0.8,validation=0.1,test=0.1",
    card: CardCopyOption = DEFAULT_CARD,
    agreement: AgreementOption = DEFAULT_AGREEMENT,
    scores: ScoresOption = DEFAULT_SCORES,
    guidelines: CardGuidelinesOption = DEFAULT_GUIDELINES,
    batch_size: Annotated[
        int,
        count_option(
            "--batch-size",
            what="a number of documents",
            help="Documents processed and written per batch (bounds memory).",
        ),
    ] = 500,
    blind: Annotated[
        list[str],
        typer.Option(
            "--blind",
            parser=document_split_name,
            metavar="SPLIT",
            help="Publish this split's texts without labels (repeatable, e.g. --blind test); its gold goes to "
            "--private-out.",
        ),
    ] = (),
    private_out: Annotated[
        Path | None,
        output_path(
            "--private-out",
            kind=FOLDER,
            planned_by_library=True,  # its default depends on --blind, and it must not overlap --out: checked first
            help="Folder for the withheld gold of the --blind splits, never to be published (default: dist/private).",
        ),
    ] = None,
    allow_problems: AllowProblemsOption = False,
) -> None:
    """Build the dataset folder `datasets.load_dataset(OUT, CONFIG)` loads: documents (default), ner, claims."""
    refuse_pending_problems([gold], allow_problems)
    from toolkit.dataset.build import build_dataset
    from toolkit.dataset.card import CardInputs
    from toolkit.dataset.splits import parse_ratios

    inputs = CardInputs(agreement=agreement, scores=scores, guidelines=guidelines, documents=documents, gold=gold)
    report = build_dataset(
        documents,
        gold,
        out,
        ratios=parse_ratios(ratios),
        batch_size=batch_size,
        card_inputs=inputs,
        card_copy=card,
        blind=blind,
        private_out=private_out,
    )
    for line in report.lines():
        echo_err(line)
    echo_err(f"card: {out / 'README.md'} and {card}")
