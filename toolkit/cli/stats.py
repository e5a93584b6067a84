"""``toolkit stats``: counts per label, claimer kind and stance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._app import app, input_path
from toolkit.cli._options import DocumentsOption, KindOption, OutOption, TextFormat, format_option, json_flag_alias
from toolkit.paths import DEFAULT_DOCUMENTS

NOT_COUNTED = "not counted (spaCy's tokenizer: pip install 'voci-toolkit[spacy]')"


def format_stats(stats: dict) -> str:
    """A plain aligned listing; nested counts indented under their heading."""
    lines = []
    for key, value in stats.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {name:<10} {count:>6}" for name, count in value.items()]
        else:
            lines.append(f"{key:<12} {NOT_COUNTED if value is None else value}")
    return "\n".join(lines) + "\n"


@app.command()
def stats(
    path: Annotated[Path, input_path(help="Documents, annotation or prediction records (JSONL).")],
    documents: DocumentsOption = DEFAULT_DOCUMENTS,
    kind: KindOption = None,
    output_format: Annotated[TextFormat, format_option("text (an aligned listing) or json.")] = TextFormat.text,
    out: OutOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Deprecated: use --format json.")] = False,
) -> None:
    """Print documents, tokens, entities per label, claims per claimer kind and per stance."""
    from toolkit.cli._outputs import emit
    from toolkit.files import dumps_json
    from toolkit.stats import compute_stats
    from toolkit.validate import first_kind, load_documents

    output_format = json_flag_alias(as_json, output_format, TextFormat.json)
    kind = kind.value if kind else first_kind(path) or "document"
    loaded = None if kind == "document" else load_documents(documents)
    result = compute_stats(path, kind, loaded)
    emit(dumps_json(result) if output_format == TextFormat.json else format_stats(result), out)
