"""Gold or prediction records → the formats peers' scorers read (``toolkit export``): CoNLL, NewsClaims, spaCy.

So that anyone can rerun a peer's own scorer on voci data: NERMuD's ``get-results.py`` on CoNLL files, NewsClaims'
``eval_claim_detection.py`` on its JSON files, a spaCy pipeline's ``evaluate`` on a DocBin.  Every format uses the
dataset's own segmentation: the sentences and tokens of the ``ner`` config of a folder built by ``toolkit build``
(``segments``, the tokens ``toolkit eval``'s ``compat`` figures score on), or else the documents tokenised and split
as ``toolkit build`` does (spaCy's Italian rules: the ``spacy`` extra), each record's own entity boundaries cutting
tokens.  The kind of the records (gold annotation or prediction) is detected from the first record, as
``toolkit validate`` does, and the records are validated against the documents first.

- ``conll``: one token per line, a tab, its IOB2 tag; a blank line between sentences; a ``# newdoc id = ID`` line
  before each document (`toolkit convert-predictions --format conll` reads it back).  A token takes the label of
  the entity it begins in (overlapping entities resolved as the build resolves gold ones), the rule of
  ``compat.token``; ``label_map`` renames labels first (``GPE=LOC``; ``=O`` drops a label).
- ``newsclaims``: NewsClaims' JSON (`toolkit.scoring.newsclaims`); with ``answers`` (predictions, ``segments``
  given), every gold segment of the folder that the predictions miss is added with an answer that earns nothing:
  the file NewsClaims' claimer, stance and claim-span scoring needs (not its claim detection, which reads the
  segments predicted).
- ``spacy``: a ``DocBin`` (``store_user_data``): ``doc.ents``, ``doc.spans["claims"]`` labelled by stance with
  ``span._.stance`` and ``span._.claimer`` (``AUTHOR``, ``UNNAMED`` or a mention's ``[start, end]``), the
  document id in ``doc.user_data["id"]``.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.bio import resolve_overlaps, split_at
from toolkit.errors import InputError, mention
from toolkit.extras import require_extra
from toolkit.files import atomic_writer, parquet_batches, write_json, write_text
from toolkit.scoring import newsclaims
from toolkit.scoring.newsclaims import Segments


@dataclass(frozen=True)
class Exported:
    """What an export wrote, for its summary line."""

    path: Path
    format: str
    kind: str
    records: int
    sentences: int
    segmentation: str
    answered: int = 0  # gold segments added to NewsClaims predictions with an empty answer (``answers``)

    def summary(self) -> str:
        added = f", {self.answered} missed gold segment(s) answered empty" if self.answered else ""
        return (
            f"wrote {self.path}: {self.records} {self.kind} record(s) as {self.format}, {self.sentences} sentence(s) "
            f"({self.segmentation}){added}"
        )


def _kept_entities(record: Mapping[str, Any]) -> list[tuple[int, int, str]]:
    kept, _ = resolve_overlaps(
        (entity["start"], entity["end"], entity["label"]) for entity in record.get("entities", ())
    )
    return kept


def spacy_segments(document: Mapping[str, Any], record: Mapping[str, Any]) -> Segments:
    """The sentences and tokens ``toolkit build`` gives a document, cut at the record's own entity boundaries."""
    from toolkit.sentences import merge_across, segment

    mentions = _kept_entities(record)
    sentences, _ = merge_across(segment(document["text"], document["lang"]), [(s, e) for s, e, _ in mentions])
    tokens = []
    for sentence in sentences:
        edges = [edge for s, e, _ in mentions if sentence.start <= s and e <= sentence.end for edge in (s, e)]
        tokens.append(split_at(sentence.tokens, edges)[0])
    return Segments.from_sentences(tokens)


def _folder_segments(folder: Path, records: list[dict], documents: Mapping[str, Mapping]) -> dict[str, Segments]:
    """The ``ner`` config's segments of the records' documents; refuses a folder without them or with other texts."""
    from toolkit.built import BuiltFolder

    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder (expected a folder built by `toolkit build`)", parameter="segments")
    built = BuiltFolder.open(folder)
    ids = {record["id"] for record in records}
    segments = newsclaims.folder_segments(built, None, ids)
    if segments is None:
        raise InputError(f"{folder}: no ner config (expected a folder built by `toolkit build`)", parameter="segments")
    hashes = {}
    for path in built.split_files(None):
        for batch in parquet_batches(path, ["id", "text_sha256"]):
            hashes.update(zip(batch.column("id").to_pylist(), batch.column("text_sha256").to_pylist(), strict=True))
    for record in records:
        doc_id = record["id"]
        if doc_id not in segments or doc_id not in hashes:
            raise InputError(
                f"{folder}: document {doc_id!r} is not in its ner config (expected the folder built from these "
                "documents)",
                parameter="segments",
            )
        if hashes[doc_id] != documents[doc_id]["text_sha256"]:
            raise InputError(
                f"{folder}: document {doc_id!r} has another text there than in the documents file (expected the "
                "folder built from these documents)",
                parameter="segments",
            )
    return segments


def token_tags(
    segments: Segments, record: Mapping[str, Any], label_map: Mapping[str, str], gold: bool
) -> list[list[str]]:
    """IOB2 tags per sentence, the tags ``compat.token`` scores: a token takes the label of the kept entity it begins
    in; for a gold record only entities inside one sentence count (as the build tags the ner config)."""
    mentions = _kept_entities(record)
    tags = []
    for (first, last), sentence in zip(segments.sentences, segments.tokens, strict=True):
        inside = [m for m in mentions if first <= m[0] and m[1] <= last] if gold else mentions
        starts = [start for start, _, _ in inside]
        sentence_tags, previous = [], None
        for start, _ in sentence:
            at = bisect.bisect_right(starts, start) - 1
            mention = inside[at] if at >= 0 and start < inside[at][1] else None
            label = label_map.get(mention[2], mention[2]) if mention else "O"
            if label == "O":
                sentence_tags.append("O")
                mention = None
            else:
                sentence_tags.append(("I-" if mention == previous else "B-") + label)
            previous = mention
        tags.append(sentence_tags)
    return tags


def _conll(path: Path, records, documents, segments, kind, options) -> int:
    lines = []
    for record in records:
        text, segmented = documents[record["id"]]["text"], segments[record["id"]]
        lines.append(f"# newdoc id = {record['id']}")
        for sentence, tags in zip(
            segmented.tokens, token_tags(segmented, record, options["label_map"], kind == "annotation"), strict=True
        ):
            lines.extend(f"{text[start:end]}\t{tag}" for (start, end), tag in zip(sentence, tags, strict=True))
            lines.append("")
    write_text(path, "\n".join(lines) + ("\n" if lines else ""))
    return 0


def _newsclaims(path: Path, records, documents, segments, kind, options) -> int:
    claims_of = newsclaims.gold_claims if kind == "annotation" else newsclaims.predicted_claims
    written = {
        record["id"]: newsclaims.entries(
            documents[record["id"]]["text"], segments[record["id"]], claims_of(record), kind == "annotation"
        )
        for record in records
    }
    answered = 0
    if options["answers"]:
        gold = newsclaims.folder_gold(options["segments"])
        all_segments = newsclaims.folder_segments(options["segments"])
        gold_file, _ = newsclaims.newsclaims_files(gold, all_segments, {})
        filled = newsclaims.answers(gold_file, written)
        answered = sum(len(entries) for entries in filled.values()) - sum(len(entries) for entries in written.values())
        written = filled
    write_json(path, written)
    return answered


def _words(text: str, tokens: list[tuple[int, int]]) -> tuple[list[str], list[bool]]:
    """spaCy's words and spaces for a text and its tokens: a single space follows a word, any other gap is a
    whitespace word of its own (as spaCy's tokenizer makes them), so that the Doc's text is the document's."""
    words: list[str] = []
    spaces: list[bool] = []
    position = 0
    for start, end in [*tokens, (len(text), len(text))]:
        gap = text[position:start]
        if gap == " " and words:
            spaces[-1] = True
        elif gap:
            words.append(gap)
            spaces.append(False)
        if end > start:
            words.append(text[start:end])
            spaces.append(False)
        position = end
    return words, spaces


def _span(doc, tokens: list[tuple[int, int]], start: int, end: int, label: str):
    """The Doc span of the dataset tokens that ``[start, end)`` overlaps (widened to whole tokens, never to white
    space), or None when it overlaps none."""
    first = bisect.bisect_right([token_end for _, token_end in tokens], start)
    last = bisect.bisect_left([token_start for token_start, _ in tokens], end) - 1
    if first > last:
        return None
    return doc.char_span(tokens[first][0], tokens[last][1], label=label)


def _spacy(path: Path, records, documents, segments, kind, options) -> int:
    require_extra("spacy")
    import spacy
    from spacy.tokens import Doc, DocBin
    from spacy.util import filter_spans

    from toolkit.convert_predictions.spacy_docs import _register_extensions

    _register_extensions()
    vocab = spacy.blank("it").vocab
    docbin = DocBin(store_user_data=True)
    claims_of = newsclaims.gold_claims if kind == "annotation" else newsclaims.predicted_claims
    for record in records:
        document = documents[record["id"]]
        text = document["text"]
        words, spaces = _words(text, segments[record["id"]].flat_tokens())
        doc = Doc(vocab, words=words, spaces=spaces)
        doc.user_data["id"] = record["id"]
        tokens = segments[record["id"]].flat_tokens()
        ents = [_span(doc, tokens, s, e, label) for s, e, label in _kept_entities(record)]
        doc.ents = filter_spans([span for span in ents if span is not None])
        group = []
        for claim in claims_of(record):
            span = _span(doc, tokens, claim.start, claim.end, claim.stance)
            if span is None:
                continue
            span._.stance = claim.stance
            span._.claimer = list(claim.mentions[0]) if claim.kind == "entity" else claim.kind.upper()
            group.append(span)
        doc.spans["claims"] = group
        docbin.add(doc)
    with atomic_writer(path, "wb") as handle:
        handle.write(docbin.to_bytes())
    return 0


FORMATS: dict[str, Callable[..., int]] = {"conll": _conll, "newsclaims": _newsclaims, "spacy": _spacy}


def read_records(path: Path, documents_path: Path) -> tuple[str, list[dict], dict[str, dict]]:
    """``(kind, records, documents)``: annotation or prediction records, validated against their documents, in
    the documents file's order whatever the records' (NERMuD's scorer compares two CoNLL files line by line)."""
    from toolkit.validate import first_kind, load_documents, require_valid

    documents = load_documents(documents_path)
    kind = first_kind(path)
    if kind is None:
        require_valid(path, "prediction", documents, str(documents_path))  # names an unreadable line, if any
        raise InputError(f"{path}: no records (expected annotation or prediction records, one JSON object per line)")
    if kind == "document":
        raise InputError(f"{path}: holds documents (expected annotation or prediction records to export)")
    records = require_valid(path, kind, documents, str(documents_path))
    order = {doc_id: index for index, doc_id in enumerate(documents)}
    records.sort(key=lambda record: order[record["id"]])  # documents order: gold and predictions line up, line by line
    return kind, records, documents


def export(
    records_path: str | Path,
    documents_path: str | Path,
    format: str,
    out: str | Path,
    *,
    segments: str | Path | None = None,
    answers: bool = False,
    label_map: Mapping[str, str] | None = None,
) -> Exported:
    """Write the records of ``records_path`` to ``out`` in ``format`` (one of `FORMATS`); see the module docstring.

    Raises `toolkit.errors.InputError` (its `ValidationError` for invalid records) on bad input, and
    `MissingExtraError` when the spaCy tokenizer (no ``segments``) or the spacy format needs the ``spacy`` extra.
    """
    if format not in FORMATS:
        raise InputError(
            f"{format!r} is not an export format (expected one of: {', '.join(FORMATS)})", parameter="format"
        )
    if answers and (format != "newsclaims" or segments is None):
        raise InputError(
            f"only with {mention('format')} newsclaims and {mention('segments')} (the gold's built folder)",
            parameter="answers",
        )
    if label_map and format != "conll":
        raise InputError(f"only with {mention('format')} conll (got {format})", parameter="label_map")
    records_path, documents_path, out = Path(records_path), Path(documents_path), Path(out)
    kind, records, documents = read_records(records_path, documents_path)
    if answers and kind != "prediction":
        raise InputError(f"{records_path} holds {kind} records (expected prediction records)", parameter="answers")
    if format == "spacy":
        require_extra("spacy")  # a DocBin: nothing instead
    if segments is not None:
        segmented = _folder_segments(Path(segments), records, documents)
        how = f"the ner config of {segments}"
    else:
        instead = f"give {mention('segments')} FOLDER, a folder built by `toolkit build` (its ner config's sentences)"
        require_extra("spacy", instead=instead)  # the build's tokenizer
        segmented = {record["id"]: spacy_segments(documents[record["id"]], record) for record in records}
        how = "tokenised and split as toolkit build does"
    options = {"label_map": dict(label_map or {}), "answers": answers, "segments": segments}
    answered = FORMATS[format](out, records, documents, segmented, kind, options)
    sentences = sum(len(segmented[record["id"]].sentences) for record in records)
    return Exported(out, format, kind, len(records), sentences, how, answered)
