"""``toolkit stats``: counts per label, claimer kind and stance."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from toolkit.cli._app import app
from toolkit.cli._options import DocumentsOption


def format_stats(stats: dict) -> str:
    """A plain aligned listing; nested counts indented under their heading."""
    lines = []
    for key, value in stats.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {name:<10} {count:>6}" for name, count in value.items()]
        else:
            lines.append(f"{key:<12} {value}")
    return "\n".join(lines)


@app.command()
def stats(
    path: Path = typer.Argument(..., help="Documents, annotation or prediction records (JSONL)."),
    documents: Path = DocumentsOption,
    kind: str = typer.Option(None, "--kind", help="Record kind (default: detected)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a listing."),
) -> None:
    """Print documents, tokens, entities per label, claims per claimer kind and per stance."""
    from toolkit.stats import compute_stats
    from toolkit.validate import first_kind, load_documents

    kind = kind or first_kind(path) or "document"
    loaded = None if kind == "document" else load_documents(documents)
    result = compute_stats(path, kind, loaded)
    typer.echo(json.dumps(result, indent=2, ensure_ascii=False) if as_json else format_stats(result))
