"""``toolkit ingest``: add articles from files and web pages to the documents file."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import document_split_name, input_path, iso_date, output_path
from toolkit.paths import DEFAULT_DOCUMENTS

PROGRESS_THRESHOLD = 10


@app.command()
def ingest(
    sources: list[str] = input_path(..., help="Files (.txt, .jsonl, .csv, .html) or http(s) URLs."),
    out: Path = output_path(
        DEFAULT_DOCUMENTS,
        "--out",
        help="Documents file to add to (created if missing; its records are kept as they are).",
    ),
    lang: str = typer.Option("it", "--lang", help="ISO 639-1 language of the texts, unless a record gives its own."),
    title_line: bool = typer.Option(False, "--title-line", help="In .txt files, the first line is the title."),
    text_field: str = typer.Option("text", "--text-field", help="Text column of JSONL/CSV sources."),
    id_field: str = typer.Option(
        "id", "--id-field", help="Id column of JSONL/CSV sources (default ids: file name and line)."
    ),
    source: str = typer.Option(None, "--source", help="Publisher or origin, for sources that do not say."),
    url: str = typer.Option(None, "--url", help="Original URL, for sources that do not say."),
    published: str = typer.Option(
        None,
        "--published",
        parser=iso_date,
        metavar="YYYY-MM-DD",
        help="Publication date (YYYY-MM-DD), for sources that do not say.",
    ),
    license: str = typer.Option(None, "--license", help="Terms of use of the text, for sources that do not say."),
    split: str = typer.Option(
        None,
        "--split",
        parser=document_split_name,
        metavar="NAME",
        help="Dataset split (train, validation, test) to pin the documents to.",
    ),
) -> None:
    """Normalise texts (NFC, \\n), assign stable ids and hashes, and add only new documents."""
    from rich.console import Console
    from rich.progress import track

    from toolkit.ingest import IngestOptions
    from toolkit.ingest import ingest as run_ingest

    metadata = {"source": source, "url": url, "published": published, "license": license, "split": split}
    options = IngestOptions(
        lang=lang, title_line=title_line, text_field=text_field, id_field=id_field, metadata=metadata
    )

    def progress(items):
        return track(
            items, description="reading", console=Console(stderr=True), disable=len(items) < PROGRESS_THRESHOLD
        )

    report = run_ingest(sources, out, options, progress=progress)
    echo_err(f"{out}: {len(report.added)} added, {len(report.unchanged)} already present (of {report.total} read)")
