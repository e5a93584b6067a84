"""``toolkit errors``: every error of a system against the gold, in context, grouped by kind with counts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from toolkit.cli._app import app, echo_err, input_path
from toolkit.cli._options import (
    GoldDocumentsOption,
    GoldOption,
    IgnoreExtraOption,
    IouOption,
    OutOption,
    SplitOption,
    choices,
    described,
    format_option,
)
from toolkit.scoring.parameters import DEFAULT_IOU


def _markdown(report: dict) -> str:
    from toolkit.scoring.error_analysis import render_errors

    return render_errors(report)


def _json(report: dict) -> str:
    from toolkit.files import dumps_json

    return dumps_json(report)


FORMATTERS = {"markdown": _markdown, "json": _json}
ErrorsFormat = choices("ErrorsFormat", FORMATTERS)


@app.command("errors")
def errors_command(
    predictions: Annotated[Path, input_path(help="Prediction records (JSONL), one per document.")],
    gold: GoldOption,
    documents: GoldDocumentsOption = None,
    split: described(
        SplitOption, "List the errors on this split only (e.g. test) (default: every gold document)."
    ) = None,
    iou: IouOption = DEFAULT_IOU,
    ignore_extra: IgnoreExtraOption = False,
    output_format: Annotated[ErrorsFormat, format_option("markdown or json.")] = ErrorsFormat.markdown,
    out: described(OutOption, "Write the report to FILE, e.g. errors.md, instead of stdout ('-' = stdout).") = None,
) -> None:
    """List every missed, spurious, mislabelled and mis-bounded entity and claim, wrong claimer and wrong stance,
    in context, grouped by kind with counts; the counts are those of `toolkit eval` (docs/scoring.md, "Finding
    errors")."""
    from toolkit.cli._outputs import emit, to_stdout
    from toolkit.scoring.error_analysis import error_report
    from toolkit.scoring.scorer import Scorer

    scorer = Scorer(gold, documents, split, iou=iou, ignore_extra=ignore_extra, breakdown=False)
    report = error_report(scorer, predictions)
    emit(FORMATTERS[output_format.value](report), out)
    missing = report["missing_documents"]
    if missing:  # as `toolkit eval` warns: scored as predicting nothing, so every gold item there is listed as missed
        echo_err(f"warning: {len(missing)} of {report['n_documents']} gold document(s) have no prediction")
    if not to_stdout(out):
        echo_err(f"wrote {out}: {len(report['errors'])} error(s) in {report['n_documents']} document(s)")
