"""``toolkit compare``: is system B's score different from system A's? (paired bootstrap)"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._app import app, input_path
from toolkit.cli._options import (
    EngineOption,
    GoldDocumentsOption,
    GoldOption,
    IgnoreExtraOption,
    IouOption,
    OutOption,
    SeedOption,
    SplitOption,
    VerboseOption,
    choices,
    described,
    format_option,
    json_flag_alias,
    resamples_option,
)
from toolkit.scoring.parameters import DEFAULT_IOU


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


def _json(comparison: dict) -> str:
    from toolkit.files import dumps_json

    return dumps_json(comparison)


FORMATTERS = {"table": format_comparison, "json": _json}
CompareFormat = choices("CompareFormat", FORMATTERS)


@app.command()
def compare(
    a: Annotated[Path, input_path(help="Predictions of system A (JSONL).")],
    b: Annotated[Path, input_path(help="Predictions of system B (JSONL).")],
    gold: GoldOption,
    documents: GoldDocumentsOption = None,
    split: described(SplitOption, "Compare only on this split (e.g. test).") = None,
    resamples: Annotated[int, resamples_option("--resamples", minimum=1, help="Paired bootstrap resamples.")] = 1000,
    seed: described(SeedOption, "Seed of the resampling (default: fixed).") = None,
    iou: IouOption = DEFAULT_IOU,
    ignore_extra: IgnoreExtraOption = False,
    output_format: Annotated[CompareFormat, format_option("table or json.")] = CompareFormat.table,
    out: OutOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Deprecated: use --format json.")] = False,
    engine: EngineOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Paired bootstrap p-value of B − A for each headline figure (entities, claims, end to end, overall)."""
    from toolkit.cli._app import echo_err
    from toolkit.cli._outputs import emit
    from toolkit.scoring.scorer import DEFAULT_SEED, Scorer

    output_format = json_flag_alias(as_json, output_format, CompareFormat.json)
    scorer = Scorer(gold, documents, split, iou=iou, ignore_extra=ignore_extra, engine=engine and engine.value)
    first, second = scorer.score(a), scorer.score(b)
    for note in [*first.notes, *second.notes[len(scorer.gold.notes) :]] if verbose else ():
        echo_err(note)
    comparison = first.paired(second, resamples, DEFAULT_SEED if seed is None else seed)
    emit(FORMATTERS[output_format.value](comparison), out)
