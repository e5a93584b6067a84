"""``toolkit compare``: is system B's score different from system A's? (paired bootstrap)"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from toolkit.cli._app import app, echo_err


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


@app.command()
def compare(
    a: Path = typer.Argument(..., help="Predictions of system A (JSONL)."),
    b: Path = typer.Argument(..., help="Predictions of system B (JSONL)."),
    gold: Path = typer.Option(
        ..., "--gold", help="Gold annotation JSONL, a folder built by `toolkit build`, or a Hub dataset id ORG/NAME."
    ),
    documents: Path = typer.Option(
        None,
        "--documents",
        help="Documents JSONL with the texts of a gold JSONL (default: annotations/documents.jsonl).",
    ),
    split: str = typer.Option(None, "--split", help="Compare only on this split."),
    resamples: int = typer.Option(1000, "--resamples", help="Paired bootstrap resamples."),
    seed: int = typer.Option(None, "--seed", help="Seed of the resampling (default: fixed)."),
    iou: float = typer.Option(0.5, "--iou", help="Character IoU at which a predicted claim matches a gold claim."),
    ignore_extra: bool = typer.Option(False, "--ignore-extra", help="Skip predictions for documents not in gold."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    engine: str = typer.Option(
        None,
        "--engine",
        help="reference or fast, as in `toolkit eval` (default: $VOCI_SCORER_ENGINE, else fast).",
    ),
    verbose: bool = typer.Option(False, "--verbose", help="Say how the gold and predictions were read (stderr)."),
) -> None:
    """Paired bootstrap p-value of B − A for each headline figure (entities, claims, end to end, overall)."""
    from toolkit.scoring.scorer import DEFAULT_SEED, Scorer, check_resamples

    check_resamples(resamples=resamples)
    scorer = Scorer(gold, documents, split, iou=iou, ignore_extra=ignore_extra, engine=engine)
    first, second = scorer.score(a), scorer.score(b)
    if verbose:
        for note in [*first.notes, *second.notes[len(scorer.gold.notes) :]]:
            echo_err(note)
    comparison = first.paired(second, resamples, DEFAULT_SEED if seed is None else seed)
    typer.echo(json.dumps(comparison, ensure_ascii=False, indent=2) if as_json else format_comparison(comparison))
