"""``toolkit eval``: score predictions against gold and print every figure with its signature."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli._app import app, echo_err

EVAL_HELP = """Score PREDICTIONS (JSONL) against gold; exit 2 on invalid predictions.

\b
Figures (undefined = null in JSON, – in tables):
  entities.<scheme>   strict: same span and label; exact: same span; partial: overlap, half credit unless same span;
                      ent_type: overlap and same label
  correct/incorrect/partial/missed/spurious   categories of a one-to-one optimal pairing; possible = gold count,
                      actual = predicted count
  precision, recall   credit/actual, credit/possible (credit = correct, + 0.5·partial for partial/ent_type);
                      f1 = 2·credit/(possible+actual)
  entities.per_label  the same per label; a pair counts under its GOLD label, a spurious span under its own, so labels
                      add up to the totals
  entities.macro      unweighted mean over labels of precision, recall and F1
  claims.strict       claims with exactly the gold boundaries
  claims.overlap      one-to-one claims with character IoU >= --iou
  claimer.accuracy    on overlap-matched claims: kind right, or the span overlaps a gold claimer mention (or another
                      mention of the same source)
  stance.accuracy     on overlap-matched claims: share with the gold stance
  stance.macro_f1     mean F1 over the stance labels present in gold or predictions (scikit-learn's macro average)
  stance.f_avg        mean F1 of SUPPORT and REFUTE (SemEval-2016 Task 6)
  stance.confusion    gold stance (rows) × predicted stance (columns) on matched claims
  end_to_end          a predicted claim counts only when overlap-matched with the right claimer and stance
  overall             mean of entities.strict.f1, claims.overlap.f1 and end_to_end.f1; null (with the reason) when a
                      layer is absent
  ci                  with --bootstrap: 95% percentile interval of each headline figure over resampled documents
  signature           every setting that changes a number; compare results only when signatures match
                      (apart from boot, seed and engine)
"""


@app.command("eval", help=EVAL_HELP)
def eval_command(
    predictions: Path = typer.Argument(..., help="Prediction records (JSONL), one per document."),
    gold: Path = typer.Option(
        ...,
        "--gold",
        help="Gold annotation JSONL, a folder built by `toolkit build`, or a Hugging Face Hub dataset id "
        "ORG/NAME[@REVISION].",
    ),
    documents: Path = typer.Option(
        None,
        "--documents",
        help="Documents JSONL with the texts of a gold JSONL (default: annotations/documents.jsonl).",
    ),
    split: str = typer.Option(
        None, "--split", help="Score only this split (e.g. test) (default: every gold document)."
    ),
    output_format: str = typer.Option("table", "--format", help="table, json or markdown."),
    out: Path = typer.Option(None, "--out", help="Write the result to this file instead of stdout ('-' = stdout)."),
    bootstrap: int = typer.Option(
        0, "--bootstrap", help="Resamples for 95% confidence intervals (0 = none; 1000 is usual)."
    ),
    seed: int = typer.Option(
        None, "--seed", help="Seed of the bootstrap (default: fixed, so intervals are reproducible)."
    ),
    iou: float = typer.Option(0.5, "--iou", help="Character IoU at which a predicted claim matches a gold claim."),
    ignore_extra: bool = typer.Option(
        False, "--ignore-extra", help="Skip predictions for documents not in gold instead of stopping."
    ),
    engine: str = typer.Option(
        None,
        "--engine",
        help="fast, or reference: the plain per-document scorer, to check a figure (the same figures). "
        "Default: $VOCI_SCORER_ENGINE, else fast.",
    ),
    verbose: bool = typer.Option(
        False, "--verbose", help="Say how the gold and the predictions were read and counted (on stderr)."
    ),
) -> None:
    from toolkit.scoring.formatting import FORMATTERS
    from toolkit.scoring.scorer import DEFAULT_SEED, Scorer, check_resamples

    formatter = _formatter(FORMATTERS, output_format)
    check_resamples(bootstrap=bootstrap)
    scored = Scorer(gold, documents, split, iou=iou, ignore_extra=ignore_extra, engine=engine).score(predictions)
    if verbose:
        for note in scored.notes:
            echo_err(note)
    result = scored.result(bootstrap, DEFAULT_SEED if seed is None else seed)
    write_output(formatter(result), out)
    if out is not None and str(out) != "-":
        overall = "–" if result.overall is None else f"{result.overall:.4f}"
        echo_err(f"wrote {out}: overall {overall} ({result.signature})")


def _formatter(registry: dict, name: str):
    from toolkit.errors import InputError

    if name not in registry:
        raise InputError(f"--format: {name!r} is not a format (expected one of: {', '.join(registry)})")
    return registry[name]


def write_output(text: str, out: Path | None) -> None:
    """Stdout, or an atomic write to ``out``."""
    if out is None or str(out) == "-":
        typer.echo(text, nl=False)
        return
    from toolkit.files import write_text

    write_text(out, text)
