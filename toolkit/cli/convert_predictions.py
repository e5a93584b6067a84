"""``toolkit convert-predictions``: a model's output (tags, CoNLL, Hugging Face, spaCy, documents rows) →
prediction records that ``toolkit eval`` scores."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli._app import app, echo_err
from toolkit.paths import DEFAULT_DOCUMENTS

HELP = """Convert INPUT, a model's output, into prediction records (JSONL) for `toolkit eval`.

Every span is checked against the document text and every record as `toolkit validate --kind prediction` checks \
it; labels outside the inventory are refused unless --label-map maps them ({"theirs": "ours"}, null drops one).

\b
Formats (--format):
"""


def _help() -> str:
    from toolkit.convert import FORMATS

    return HELP + "".join(f"  {name:<12}{fmt.summary}\n" for name, fmt in FORMATS.items())


@app.command("convert-predictions", help=_help())
def convert_predictions(
    source: Path = typer.Argument(..., metavar="INPUT", help="The model's output file."),
    input_format: str = typer.Option(..., "--format", help="Format of INPUT (see above)."),
    out: Path = typer.Option(..., "--out", help="Where to write the prediction records (JSONL)."),
    documents: Path = typer.Option(
        DEFAULT_DOCUMENTS,
        "--documents",
        help="The documents the predictions are for: a documents JSONL, or a dataset folder built by `toolkit build`.",
    ),
    label_map: Path = typer.Option(
        None, "--label-map", help='JSON {"their label": "voci label" or null}, for labels outside the inventory.'
    ),
    scheme: str = typer.Option(
        None, "--scheme", help="Tagging scheme of tags, conll and huggingface (none): iob1, iob2, bioes, bilou."
    ),
    spans_key: str = typer.Option(None, "--spans-key", help="spaCy span group holding the claims (default: claims)."),
) -> None:
    from toolkit.convert import ConvertOptions, LabelMap, convert_file, load_texts
    from toolkit.errors import InputError
    from toolkit.files import write_jsonl

    for name, given in (("INPUT", source), ("--documents", documents), ("--label-map", label_map)):
        if given is not None and out.resolve() == given.resolve():
            raise InputError(f"--out: {out} is also {name} (expected a new file: an output never replaces an input)")

    options = ConvertOptions(
        scheme=scheme,
        spans_key=spans_key,
        label_map=LabelMap.from_file(label_map) if label_map is not None else LabelMap(),
    )
    records = convert_file(source, input_format, load_texts(documents), options)
    write_jsonl(out, records)
    entities = sum(len(record["entities"]) for record in records)
    claims = sum(len(record.get("claims", [])) for record in records)
    with_claims = "" if any("claims" in record for record in records) else " (no claims layer)"
    echo_err(
        f"converted {len(records)} document(s) from {source}: {entities} entities, {claims} claims{with_claims} → {out}"
    )
