"""``toolkit agree``: agreement between annotators, as figures, JSON and a Markdown disagreement report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from toolkit.cli._app import app, echo_err, input_path, output_path
from toolkit.cli._options import DocumentsOption, TextFormat, format_option, json_alias
from toolkit.cli._problems import AllowProblemsOption, refuse_pending_problems
from toolkit.paths import DEFAULT_DOCUMENTS


@app.command()
def agree(
    annotations: Annotated[
        list[Path],
        input_path(
            help="Per-annotator annotation records "
            "(JSONL; one record per document per annotator, in one or several files)."
        ),
    ],
    documents: DocumentsOption = DEFAULT_DOCUMENTS,
    output_format: Annotated[
        TextFormat,
        format_option(
            "text (the headline figures) or json (every figure; the dataset card quotes annotations/agreement.json)."
        ),
    ] = TextFormat.text,
    out: Annotated[
        Path, output_path("--out", help="Write the result to FILE instead of stdout ('-' = stdout).", stdout=True)
    ] = None,
    report: Annotated[
        Path,
        output_path(
            "--report", metavar="OUT.md", help="Write the Markdown report of disagreements, with the text in context."
        ),
    ] = None,
    json_out: Annotated[
        Path, output_path("--json", stdout=True, help="Deprecated: use --format json --out FILE|-.")
    ] = None,
    allow_problems: AllowProblemsOption = False,
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
