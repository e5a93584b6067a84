"""``toolkit agree``: agreement between annotators, as figures, JSON and a Markdown disagreement report."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import DocumentsOption


@app.command()
def agree(
    annotations: list[Path] = typer.Argument(
        ...,
        help="Per-annotator annotation records "
        "(JSONL; one record per document per annotator, in one or several files).",
    ),
    documents: Path = DocumentsOption,
    json_out: str = typer.Option(
        None,
        "--json",
        metavar="OUT|-",
        help="Write every figure as JSON to OUT ('-' for stdout); the dataset card quotes annotations/agreement.json.",
    ),
    report: Path = typer.Option(
        None, "--report", metavar="OUT.md", help="Write the Markdown report of disagreements, with the text in context."
    ),
) -> None:
    """Agreement between annotators: pairwise F1, percent agreement, Cohen's kappa, Krippendorff's alpha."""
    from toolkit.agreement.figures import compute_agreement, headline
    from toolkit.agreement.records import load_annotator_records
    from toolkit.cli._outputs import emit_json
    from toolkit.files import write_text
    from toolkit.validate import load_documents

    loaded = load_documents(documents)
    records = load_annotator_records(annotations, loaded, str(documents))
    result = compute_agreement(records, [str(path) for path in annotations])
    if report is not None:
        from toolkit.agreement.report import render_report

        write_text(report, render_report(records, loaded, result))
    say = echo_err if json_out == "-" else typer.echo
    for line in headline(result):
        say(line)
    if json_out is not None:
        emit_json(result, json_out)
    if report is not None:
        echo_err(f"report: {report}")
