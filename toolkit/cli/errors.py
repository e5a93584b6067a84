"""``toolkit errors``: every error of a system against the gold, in context, grouped by kind with counts."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from toolkit.cli._app import app, echo_err
from toolkit.cli._options import (
    format_option,
    gold_option,
    ignore_extra_option,
    input_path,
    iou_option,
    out_option,
    scoring_documents_option,
    split_option,
)


class ErrorsFormat(str, Enum):
    markdown = "markdown"
    json = "json"


@app.command("errors")
def errors_command(
    predictions: Path = input_path(..., help="Prediction records (JSONL), one per document."),
    gold: Path = gold_option(),
    documents: Path = scoring_documents_option(),
    split: str = split_option("List errors only on this split (e.g. test) (default: every gold document)."),
    iou: float = iou_option(),
    ignore_extra: bool = ignore_extra_option(),
    output_format: ErrorsFormat = format_option(ErrorsFormat.markdown, "markdown or json."),
    out: Path = out_option("Write the report to FILE, e.g. errors.md, instead of stdout ('-' = stdout)."),
) -> None:
    """List every missed, spurious, mislabelled and mis-bounded entity and claim, wrong claimer and wrong stance,
    in context, grouped by kind with counts; the counts are those of `toolkit eval` (docs/scoring.md, "Finding
    errors")."""
    from toolkit.cli._outputs import emit, to_stdout
    from toolkit.files import dumps_json
    from toolkit.scoring.error_analysis import error_report, render_errors
    from toolkit.scoring.scorer import Scorer

    scorer = Scorer(gold, documents, split, iou=iou, ignore_extra=ignore_extra, breakdown=False)
    report = error_report(scorer, predictions)
    emit(dumps_json(report) if output_format == ErrorsFormat.json else render_errors(report), out)
    missing = report["missing_documents"]
    if missing:  # as `toolkit eval` warns: scored as predicting nothing, so every gold item there is listed as missed
        echo_err(f"warning: {len(missing)} of {report['n_documents']} gold document(s) have no prediction")
    if not to_stdout(out):
        echo_err(f"wrote {out}: {len(report['errors'])} error(s) in {report['n_documents']} document(s)")
