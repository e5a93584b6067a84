"""``toolkit ingest``: add articles from files and web pages to the documents file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._app import app, echo_err, input_path, output_path
from toolkit.cli._options import document_split_name, iso_date
from toolkit.paths import DEFAULT_DOCUMENTS

PROGRESS_THRESHOLD = 10


@app.command()
def ingest(
    sources: Annotated[list[str], input_path(help="Files (.txt, .jsonl, .csv, .html) or http(s) URLs.")],
    out: Annotated[
        Path,
        output_path("--out", help="Documents file to add to (created if missing; its records are kept as they are)."),
    ] = DEFAULT_DOCUMENTS,
    lang: Annotated[
        str, typer.Option("--lang", help="ISO 639-1 language of the texts, unless a record gives its own.")
    ] = "it",
    title_line: Annotated[
        bool, typer.Option("--title-line", help="In .txt files, the first line is the title.")
    ] = False,
    text_field: Annotated[str, typer.Option("--text-field", help="Text column of JSONL/CSV sources.")] = "text",
    id_field: Annotated[
        str, typer.Option("--id-field", help="Id column of JSONL/CSV sources (default ids: file name and line).")
    ] = "id",
    source: Annotated[str, typer.Option("--source", help="Publisher or origin, for sources that do not say.")] = None,
    url: Annotated[str, typer.Option("--url", help="Original URL, for sources that do not say.")] = None,
    published: Annotated[
        str,
        typer.Option(
            "--published",
            parser=iso_date,
            metavar="YYYY-MM-DD",
            help="Publication date (YYYY-MM-DD), for sources that do not say.",
        ),
    ] = None,
    license: Annotated[
        str, typer.Option("--license", help="Terms of use of the text, for sources that do not say.")
    ] = None,
    split: Annotated[
        str,
        typer.Option(
            "--split",
            parser=document_split_name,
            metavar="NAME",
            help="Dataset split (train, validation, test) to pin the documents to.",
        ),
    ] = None,
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
