"""``toolkit train``: a spaCy pipeline trained on gold or per-annotator records (the ``spacy`` extra)."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import documents_option, gold_option, input_path, output_path
from toolkit.model.config import Settings
from toolkit.pathguard import FOLDER


@app.command()
def train(
    documents: Path = documents_option(help="Documents file (JSONL) with the texts of --gold."),
    gold: Path = gold_option(help="Gold or per-annotator annotation records (JSONL) to learn from."),
    dev_documents: Path = input_path(None, "--dev-documents", help="Documents of a dev set (with --dev-gold)."),
    dev_gold: Path = input_path(None, "--dev-gold", help="Annotation records of a dev set (default: --dev-share)."),
    dev_share: float = typer.Option(0.1, "--dev-share", help="Share of the documents kept aside as the dev set."),
    out: Path = output_path(..., "--out", kind=FOLDER, help="MODEL_DIR to write (replaced whole when training ends)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the dev split and of spaCy's training."),
    max_minutes: float = typer.Option(None, "--max-minutes", help="Stop training after this long (best so far kept)."),
    max_steps: int = typer.Option(
        Settings().max_steps, "--max-steps", min=1, help="Training steps at most (spaCy's max_steps)."
    ),
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
    echo_err(run.summary())
