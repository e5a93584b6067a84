"""``toolkit export``: gold or prediction records in the formats peers' scorers read (CoNLL, NewsClaims, spaCy)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._app import app, echo_err, input_path, output_path
from toolkit.cli._options import DocumentsOption, choices
from toolkit.paths import DEFAULT_DOCUMENTS

HELP = """Write RECORDS (gold annotation or prediction records, detected from the first record) in a peer's format,
so that its own scorer can be rerun on voci data.

\b
Formats (--format):
  conll       token TAB IOB2 tag per line, a blank line between sentences, '# newdoc id = ID' before each
              document, documents in the --documents file's order (NERMuD's get-results.py reads it, pairing two
              files line by line: give every document a record; map labels with --label-map GPE=LOC)
  newsclaims  NewsClaims' JSON {doc: {segment: {has_claimer, claimer, stance, claim_span, ...}}}, a segment being a
              sentence (eval_claim_detection.py reads it; see docs/scoring.md)
  spacy       a DocBin: doc.ents, doc.spans["claims"] (needs the spacy extra)

Sentences and tokens are the dataset's own: with --segments, those of the folder's ner config (what `toolkit eval
--compat` scores on: use it to compare figures); without it, the documents are tokenised and split as `toolkit
build` does (needs the spacy extra)."""


def _formats():
    from toolkit.export import FORMATS

    return choices("ExportFormat", FORMATS)


ExportFormat = _formats()


@app.command("export", help=HELP)
def export_command(
    records: Annotated[Path, input_path(help="Gold annotation or prediction records (JSONL).")],
    output_format: Annotated[ExportFormat, typer.Option("--format", case_sensitive=False, help="The format to write.")],
    out: Annotated[Path, output_path("--out", help="The file to write.")],
    documents: DocumentsOption = DEFAULT_DOCUMENTS,
    segments: Annotated[
        Path | None,
        input_path(
            "--segments",
            metavar="FOLDER",
            help="A folder built by `toolkit build`: take sentences and tokens from its ner config (the gold's "
            "folder, to compare with `toolkit eval --compat`).",
        ),
    ] = None,
    answers: Annotated[
        bool,
        typer.Option(
            "--answers",
            help="newsclaims predictions: also write every gold segment of --segments FOLDER that they miss, answered "
            "empty (the file NewsClaims' --eval_claimer/--eval_stance/--eval_claim_span need; not for --eval_claim).",
        ),
    ] = False,
    label_map: Annotated[
        list[str] | None,
        typer.Option(
            "--label-map",
            metavar="LABEL=NAME",
            help="conll: LABEL=NAME (repeatable) renames a label, e.g. GPE=LOC; NAME=O drops it.",
        ),
    ] = None,
) -> None:
    from toolkit.export import export
    from toolkit.scoring.compat import parse_label_map

    mapping = parse_label_map(label_map or [], "label_map")
    echo_err(
        export(
            records, documents, output_format.value, out, segments=segments, answers=answers, label_map=mapping
        ).summary()
    )
