"""``toolkit build``: the Hugging Face dataset folder (parquet per config and split) and its card."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import DocumentsOption, count_option, document_split_name, input_path, output_path
from toolkit.cli._problems import AllowProblemsOption, refuse_pending_problems
from toolkit.pathguard import FOLDER
from toolkit.paths import (
    DEFAULT_AGREEMENT,
    DEFAULT_BUILD,
    DEFAULT_CARD,
    DEFAULT_GOLD,
    DEFAULT_GUIDELINES,
    DEFAULT_SCORES,
)


@app.command()
def build(
    documents: Path = DocumentsOption,
    gold: Path = input_path(
        DEFAULT_GOLD, "--gold", help="Gold annotation records (JSONL), validated like `toolkit validate`."
    ),
    out: Path = output_path(
        DEFAULT_BUILD,
        "--out",
        kind=FOLDER,
        help="Dataset folder to write (a previous build is replaced; nothing else in it is ever deleted).",
    ),
    ratios: str = typer.Option(
        "train=0.8,validation=0.1,test=0.1",
        "--ratios",
        help="Split ratios for documents without a `split` field (by a hash of the id).",
    ),
    card: Path = output_path(DEFAULT_CARD, "--card", help="Where to copy the generated card besides OUT/README.md."),
    agreement: Path = input_path(
        DEFAULT_AGREEMENT,
        "--agreement",
        help="Agreement figures (`toolkit agree --format json`) quoted in the card when the file exists.",
    ),
    scores: Path = input_path(
        DEFAULT_SCORES,
        "--scores",
        help="Baseline scores (`toolkit eval --format json`) quoted in the card when the file exists.",
    ),
    guidelines: Path = input_path(DEFAULT_GUIDELINES, "--guidelines", help="Annotation guidelines the card points to."),
    batch_size: int = count_option(
        500,
        "--batch-size",
        what="a number of documents",
        help="Documents processed and written per batch (bounds memory).",
    ),
    blind: list[str] = typer.Option(
        [],
        "--blind",
        parser=document_split_name,
        metavar="SPLIT",
        help="Publish this split's texts without labels (repeatable, e.g. --blind test); its gold goes to "
        "--private-out.",
    ),
    private_out: Path = typer.Option(  # guarded by build_dataset's plan, after its own check that it is not --out's
        None,
        "--private-out",
        metavar="FOLDER",
        help="Folder for the withheld gold of the --blind splits, never to be published (default: dist/private).",
    ),
    allow_problems: bool = AllowProblemsOption,
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
