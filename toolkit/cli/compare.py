"""``toolkit compare``: is system B's score different from system A's? (paired bootstrap)"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from toolkit.cli._app import app
from toolkit.cli._options import (
    EngineName,
    engine_option,
    format_option,
    gold_option,
    ignore_extra_option,
    input_path,
    iou_option,
    json_flag_alias,
    out_option,
    resamples_option,
    scoring_documents_option,
    seed_option,
    split_option,
    verbose_option,
)


def format_comparison(comparison: dict) -> str:
    """One line per headline figure: A, B, B − A and the p-value."""

    def number(value) -> str:
        return "–" if value is None else f"{value:.4f}"

    rows = [("figure", "A", "B", "B - A", "p-value")]
    for name, figure in comparison["figures"].items():
        rows.append(
            (name, number(figure["a"]), number(figure["b"]), number(figure["difference"]), number(figure["p_value"]))
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [f"signature: {comparison['signature']}", f"A: {comparison['a']}", f"B: {comparison['b']}", ""]
    lines += [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    resamples = next(iter(comparison["figures"].values()))["resamples"]
    lines += [
        "",
        f"p-value: two-sided paired bootstrap over documents ({resamples} resamples); "
        "small means the difference is unlikely to be chance.",
    ]
    return "\n".join(lines) + "\n"


class CompareFormat(str, Enum):
    table = "table"
    json = "json"


@app.command()
def compare(
    a: Path = input_path(..., help="Predictions of system A (JSONL)."),
    b: Path = input_path(..., help="Predictions of system B (JSONL)."),
    gold: Path = gold_option(),
    documents: Path = scoring_documents_option(),
    split: str = split_option("Compare only on this split (e.g. test)."),
    resamples: int = resamples_option(1000, "--resamples", minimum=1, help="Paired bootstrap resamples."),
    seed: int = seed_option("Seed of the resampling (default: fixed)."),
    iou: float = iou_option(),
    ignore_extra: bool = ignore_extra_option(),
    output_format: CompareFormat = format_option(CompareFormat.table, "table or json."),
    out: Path = out_option(),
    as_json: bool = typer.Option(False, "--json", help="Deprecated: use --format json."),
    engine: EngineName = engine_option(),
    verbose: bool = verbose_option(),
) -> None:
    """Paired bootstrap p-value of B − A for each headline figure (entities, claims, end to end, overall)."""
    from toolkit.cli._app import echo_err
    from toolkit.cli._outputs import emit
    from toolkit.files import dumps_json
    from toolkit.scoring.scorer import DEFAULT_SEED, Scorer

    output_format = json_flag_alias(as_json, output_format, CompareFormat.json)
    scorer = Scorer(gold, documents, split, iou=iou, ignore_extra=ignore_extra, engine=engine and engine.value)
    first, second = scorer.score(a), scorer.score(b)
    for note in [*first.notes, *second.notes[len(scorer.gold.notes) :]] if verbose else ():
        echo_err(note)
    comparison = first.paired(second, resamples, DEFAULT_SEED if seed is None else seed)
    emit(dumps_json(comparison) if output_format == CompareFormat.json else format_comparison(comparison), out)
