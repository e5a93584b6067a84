"""``toolkit convert-predictions``: a model's output (tags, CoNLL, Hugging Face, spaCy, documents rows) →
prediction records that ``toolkit eval`` scores."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._app import app, echo_err, input_path, output_path
from toolkit.cli._options import DocumentsOption, described
from toolkit.paths import DEFAULT_DOCUMENTS

HELP = """Convert INPUT, a model's output, into prediction records (JSONL) for `toolkit eval`.

Every span is checked against the document text and every record as `toolkit validate --kind prediction` checks \
it; labels outside the inventory are refused unless --label-map maps them ({"theirs": "ours"}, null drops one).

\b
Formats (--format):
"""


def _help() -> str:
    from toolkit.convert_predictions import FORMATS

    return HELP + "".join(f"  {name:<12}{fmt.summary}\n" for name, fmt in FORMATS.items())


def _formats() -> type[Enum]:
    """The registered formats as the enum typer lists as choices."""
    from toolkit.convert_predictions import FORMATS

    return Enum("InputFormat", {name: name for name in FORMATS}, type=str)


InputFormat = _formats()


@app.command("convert-predictions", help=_help())
def convert_predictions(
    source: Annotated[Path, input_path(metavar="INPUT", help="The model's output file.")],
    input_format: Annotated[InputFormat, typer.Option("--format", help="Format of INPUT (see above).")],
    out: Annotated[Path, output_path("--out", help="Where to write the prediction records (JSONL).")],
    documents: described(
        DocumentsOption,
        "The documents the predictions are for: a documents JSONL, or a dataset folder built by `toolkit build`.",
    ) = DEFAULT_DOCUMENTS,
    label_map: Annotated[
        Path,
        input_path("--label-map", help='JSON {"their label": "voci label" or null}, for labels outside the inventory.'),
    ] = None,
    scheme: Annotated[
        str,
        typer.Option(
            "--scheme", help="Tagging scheme of tags, conll and huggingface (none): iob1, iob2, bioes, bilou."
        ),
    ] = None,
    spans_key: Annotated[
        str, typer.Option("--spans-key", help="spaCy span group holding the claims (default: claims).")
    ] = None,
) -> None:
    from toolkit.convert_predictions import ConvertOptions, LabelMap, convert_file, load_texts
    from toolkit.files import write_jsonl

    options = ConvertOptions(
        scheme=scheme,
        spans_key=spans_key,
        label_map=LabelMap.from_file(label_map) if label_map is not None else LabelMap(),
    )
    records = convert_file(source, input_format.value, load_texts(documents), options)
    write_jsonl(out, records)
    entities = sum(len(record["entities"]) for record in records)
    claims = sum(len(record.get("claims", [])) for record in records)
    with_claims = "" if any("claims" in record for record in records) else " (no claims layer)"
    echo_err(
        f"converted {len(records)} document(s) from {source}: {entities} entities, {claims} claims{with_claims} → {out}"
    )
