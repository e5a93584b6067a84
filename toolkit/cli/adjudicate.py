"""``toolkit adjudicate``: per-annotator records → gold, by strategies tried in order; ties listed, never guessed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._app import app, input_path, output_path
from toolkit.cli._options import DocumentsOption, TextFormat, format_option, json_alias
from toolkit.cli._problems import AllowProblemsOption, refuse_pending_problems
from toolkit.paths import DEFAULT_DOCUMENTS


def format_summary(summary: dict) -> list[str]:
    counts, items = summary["documents"], summary["items"]
    by_strategy = ", ".join(f"{name} {count}" for name, count in counts["by_strategy"].items()) or "none"
    lines = [
        f"gold: {counts['gold']} document(s) ({by_strategy}), {items['entities']} entities, {items['claims']} claims",
        f"left out: {items['unresolved']} unresolved item(s) in {counts['with_unresolved_items']} document(s), "
        f"{items['minority_left_out']} item(s) marked by fewer than half of the annotators",
    ]
    for entry in summary["documents_with_unresolved_items"]:
        lines.append(f"review {entry['id']}:")
        for item in entry["items"]:
            votes = "; ".join(f"{annotator}: {value}" for annotator, value in item["votes"].items())
            lines.append(
                f"  {item['layer']} {item['start']}–{item['end']} {item['text']!r}: {item['reason']} ({votes})"
            )
    for entry in summary["not_adjudicated"]:
        lines.append(f"not adjudicated {entry['id']}: " + "; ".join(entry["reasons"]))
    return lines


@app.command()
def adjudicate(
    annotations: Annotated[
        list[Path], input_path(help="Per-annotator annotation records (JSONL), as for `toolkit agree`.")
    ],
    out: Annotated[
        Path,
        output_path("--out", help="Gold file to write (JSONL), e.g. annotations/gold.jsonl; never one of the inputs."),
    ],
    strategy: Annotated[
        list[str],
        typer.Option(
            "--strategy",
            help="ground-truth, prefer:ANNOTATOR or majority; repeat it to fall back in order "
            "(the first that applies decides a document). "
            "Default: ground-truth, then majority.",
        ),
    ] = None,
    documents: DocumentsOption = DEFAULT_DOCUMENTS,
    output_format: Annotated[
        TextFormat,
        format_option("Format of the adjudication summary (strategies, ties, documents to review): text or json."),
    ] = TextFormat.text,
    summary_out: Annotated[
        Path,
        output_path("--summary-out", stdout=True, help="Write the summary to FILE instead of stdout ('-' = stdout)."),
    ] = None,
    json_out: Annotated[
        Path, output_path("--json", stdout=True, help="Deprecated: use --format json --summary-out FILE|-.")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing --out file whose content differs.")
    ] = False,
    allow_problems: AllowProblemsOption = False,
) -> None:
    """Adjudicate per-annotator records into gold; every gold item lists the annotators who marked it."""
    refuse_pending_problems(annotations, allow_problems)
    from toolkit.agreement.adjudicate import DEFAULT_STRATEGIES, adjudicate_records, write_gold
    from toolkit.agreement.records import load_annotator_records
    from toolkit.cli._outputs import emit_summary
    from toolkit.validate import load_documents

    output_format, summary_out = json_alias(json_out, summary_out, output_format, TextFormat.json, "--summary-out")
    loaded = load_documents(documents)
    records = load_annotator_records(annotations, loaded, str(documents))
    gold, summary = adjudicate_records(records, loaded, strategy or DEFAULT_STRATEGIES)
    changed = write_gold(gold, out, annotations, loaded, overwrite=overwrite)
    summary["out"] = str(out)
    lines = [*format_summary(summary), f"wrote {out}" if changed else f"{out} already holds this gold (unchanged)"]
    emit_summary(lines, summary, output_format == TextFormat.json, summary_out)
