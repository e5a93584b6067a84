"""``toolkit train``: a spaCy pipeline trained on gold or per-annotator records (the ``spacy`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._app import app, echo_err, flags, input_path, output_path
from toolkit.cli._options import DocumentsOption, GoldOption, described
from toolkit.model.config import Settings
from toolkit.pathguard import FOLDER
from toolkit.paths import DEFAULT_DOCUMENTS


@app.command()
def train(
    ctx: typer.Context,
    documents: described(DocumentsOption, "Documents file (JSONL) with the texts of --gold.") = DEFAULT_DOCUMENTS,
    gold: described(GoldOption, "Gold or per-annotator annotation records (JSONL) to learn from.") = ...,
    dev_documents: Annotated[
        Path, input_path("--dev-documents", help="Documents of a dev set (with --dev-gold).")
    ] = None,
    dev_gold: Annotated[
        Path, input_path("--dev-gold", help="Annotation records of a dev set (default: --dev-share).")
    ] = None,
    dev_share: Annotated[
        float, typer.Option("--dev-share", help="Share of the documents kept aside as the dev set.")
    ] = 0.1,
    out: Annotated[
        Path, output_path("--out", kind=FOLDER, help="MODEL_DIR to write (replaced whole when training ends).")
    ] = ...,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the dev split and of spaCy's training.")] = 0,
    max_minutes: Annotated[
        float, typer.Option("--max-minutes", help="Stop training after this long (best so far kept).")
    ] = None,
    max_steps: Annotated[
        int, typer.Option("--max-steps", min=1, help="Training steps at most (spaCy's max_steps).")
    ] = Settings().max_steps,
) -> None:
    """Train entities (ner) and claim spans (span_finder) from spacy.blank(lang): nothing is downloaded."""
    from dataclasses import replace

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from toolkit.model.training import train_model

    settings = replace(Settings(), max_steps=max_steps)
    with Progress(
        TextColumn("training"),
        BarColumn(),
        TextColumn("{task.fields[state]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task("train", total=max_steps, state="")

        def shown(step) -> None:
            best = f"best dev {step.best:.3f}" if step.best is not None else "not evaluated yet"
            bar.update(task, completed=step.step, state=f"step {step.step}, loss {step.loss:.1f}, {best}")

        run = train_model(
            documents,
            gold,
            out,
            dev_documents=dev_documents,
            dev_gold=dev_gold,
            dev_share=dev_share,
            seed=seed,
            max_minutes=max_minutes,
            settings=settings,
            on_step=shown,
        )
    echo_err(run.summary(flags(ctx)))
