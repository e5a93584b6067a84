"""``toolkit agree``: agreement between annotators, as figures, JSON and a Markdown disagreement report."""

from __future__ import annotations

from pathlib import Path

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import DocumentsOption, TextFormat, format_option, input_path, json_alias, output_path
from toolkit.cli._problems import AllowProblemsOption, refuse_pending_problems


@app.command()
def agree(
    annotations: list[Path] = input_path(
        ...,
        help="Per-annotator annotation records "
        "(JSONL; one record per document per annotator, in one or several files).",
    ),
    documents: Path = DocumentsOption,
    output_format: TextFormat = format_option(
        TextFormat.text,
        "text (the headline figures) or json (every figure; the dataset card quotes annotations/agreement.json).",
    ),
    out: Path = output_path(
        None, "--out", help="Write the result to FILE instead of stdout ('-' = stdout).", stdout=True
    ),
    report: Path = output_path(
        None, "--report", metavar="OUT.md", help="Write the Markdown report of disagreements, with the text in context."
    ),
    json_out: Path = output_path(None, "--json", stdout=True, help="Deprecated: use --format json --out FILE|-."),
    allow_problems: bool = AllowProblemsOption,
) -> None:
    """Agreement between annotators: pairwise F1, percent agreement, Cohen's kappa, Krippendorff's alpha."""
    refuse_pending_problems(annotations, allow_problems)
    from toolkit.agreement.figures import compute_agreement, headline
    from toolkit.agreement.records import load_annotator_records
    from toolkit.cli._outputs import emit_summary
    from toolkit.files import write_text
    from toolkit.validate import load_documents

    output_format, out = json_alias(json_out, out, output_format, TextFormat.json)
    loaded = load_documents(documents)
    records = load_annotator_records(annotations, loaded, str(documents))
    result = compute_agreement(records, [str(path) for path in annotations])
    if report is not None:
        from toolkit.agreement.report import render_report

        write_text(report, render_report(records, loaded, result))
    emit_summary(headline(result), result, output_format == TextFormat.json, out)
    if report is not None:
        echo_err(f"report: {report}")
