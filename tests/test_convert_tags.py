"""Token tags → entity spans: decoding cross-checked with seqeval; `from_tags` and the tags JSONL format."""

from __future__ import annotations

import json
import random

import pytest
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import BILOU, IOB1, IOB2, IOBES, Entities
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.convert_predictions import ConvertOptions, LabelMap, chunks, convert_file, from_tags, scheme_named
from toolkit.documents import make_document
from toolkit.errors import ValidationError
from toolkit.inventory import load_inventory

TEXT = "Mario Rossi ha detto che la Fiat chiude a Torino."
DOCUMENT = make_document("d1", TEXT, "it")
TOKENS = ["Mario", "Rossi", "ha", "detto", "che", "la", "Fiat", "chiude", "a", "Torino", "."]


def _offsets(text: str, tokens: list[str]) -> tuple[list[int], list[int]]:
    starts, ends, cursor = [], [], 0
    for token in tokens:
        start = text.index(token, cursor)
        starts.append(start)
        ends.append(start + len(token))
        cursor = start + len(token)
    return starts, ends


STARTS, ENDS = _offsets(TEXT, TOKENS)
TAGS = ["B-PER", "I-PER", "O", "O", "O", "O", "B-ORG", "O", "O", "B-GPE", "O"]


def _encode(spans: list[tuple[int, int, str]], length: int, scheme: str) -> list[str]:
    """Tags of non-overlapping spans (first, last token inclusive) as each scheme writes them."""
    tags = ["O"] * length
    previous_end, previous_label = None, None
    for first, last, label in sorted(spans):
        for index in range(first, last + 1):
            if scheme == "iob1":
                adjacent = previous_end == first - 1 and previous_label == label
                tags[index] = f"{'B' if index == first and adjacent else 'I'}-{label}"
            elif scheme == "iob2":
                tags[index] = f"{'B' if index == first else 'I'}-{label}"
            else:
                single, begin, end = ("S", "B", "E") if scheme == "bioes" else ("U", "B", "L")
                prefix = single if first == last else begin if index == first else end if index == last else "I"
                tags[index] = f"{prefix}-{label}"
        previous_end, previous_label = last, label
    return tags


def _random_spans(rng: random.Random, length: int) -> list[tuple[int, int, str]]:
    spans, index = [], 0
    while index < length:
        if rng.random() < 0.4:
            last = min(length - 1, index + rng.randrange(3))
            spans.append((index, last, rng.choice(["PER", "ORG"])))
            index = last + 1
        else:
            index += rng.randrange(1, 3)
    return spans


@pytest.mark.parametrize(
    ("scheme", "seqeval_scheme"), [("iob1", IOB1), ("iob2", IOB2), ("bioes", IOBES), ("bilou", BILOU)]
)
def test_valid_sequences_decode_to_their_spans_as_seqeval_strict_does(scheme, seqeval_scheme):
    rng = random.Random(7)
    for _ in range(300):
        length = rng.randrange(1, 12)
        spans = _random_spans(rng, length)
        tags = _encode(spans, length, scheme)
        assert chunks(tags, scheme_named(scheme)) == spans, tags
        strict = [(e.start, e.end - 1, e.tag) for e in Entities([tags], seqeval_scheme).entities[0]]
        assert strict == spans, tags


@pytest.mark.parametrize("scheme", ["iob2", "bioes"])
def test_any_sequence_decodes_as_seqeval_lenient_does(scheme):
    """Invalid sequences too (I- after O, E- without B-): the same entities as seqeval's default (conlleval) mode."""
    rng = random.Random(11)
    prefixes = "BI" if scheme == "iob2" else "BIES"
    for _ in range(2000):
        tags = [
            "O" if rng.random() < 0.3 else f"{rng.choice(prefixes)}-{rng.choice(['PER', 'ORG'])}"
            for _ in range(rng.randrange(1, 10))
        ]
        expected = [(first, last, label) for label, first, last in get_entities(tags)]
        assert chunks(tags, scheme_named(scheme)) == expected, tags


def test_from_tags_makes_a_valid_prediction_record():
    record = from_tags(DOCUMENT, TAGS, STARTS, ENDS, tokens=TOKENS)
    assert record == {
        "id": "d1",
        "entities": [
            {"start": 0, "end": 11, "label": "PER", "text": "Mario Rossi"},
            {"start": 28, "end": 32, "label": "ORG", "text": "Fiat"},
            {"start": 42, "end": 48, "label": "GPE", "text": "Torino"},
        ],
    }
    assert "claims" not in record, "a tagger predicts no claims: the layer is absent, not empty"


def test_labels_outside_the_inventory_are_refused_with_the_known_ones_or_mapped():
    tags = ["B-PERSON", "I-PERSON", *["O"] * 4, "B-MISC", "O", "O", "B-LOC", "O"]
    with pytest.raises(ValidationError) as caught:
        from_tags(DOCUMENT, tags, STARTS, ENDS)
    known = ", ".join(load_inventory().entity_names)
    assert caught.value.lines() == [  # every unknown label, not only the first (as validate reports)
        f"document 'd1': tags[{index}]: {label!r} is not a voci entity label "
        f"(expected one of: {known}; or map it with a label map {{theirs: ours}})"
        for index, label in ((0, "PERSON"), (6, "MISC"))
    ]
    record = from_tags(DOCUMENT, tags, STARTS, ENDS, label_map=LabelMap({"PERSON": "PER", "MISC": None, "LOC": "GPE"}))
    assert [(e["text"], e["label"]) for e in record["entities"]] == [("Mario Rossi", "PER"), ("Torino", "GPE")]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"tokens": ["Maria", *TOKENS[1:]]}, "tokens[0]: 'Maria' is not the document text at 0..5 ('Mario')"),
        ({"token_ends": ENDS[:-1]}, "tags: lists of different lengths (tags 11, token_starts 11, token_ends 10"),
        ({"token_ends": [*ENDS[:-1], 99]}, "token_starts/token_ends[10]: offsets 48..99 are not a span"),
        ({"tags": ["S-PER", *TAGS[1:]]}, "tags[0]: 'S-PER' is not a IOB2 tag (expected O, B-LABEL, I-LABEL)"),
        ({"tags": [3, *TAGS[1:]]}, "tags[0]: got 3 (expected a tag string"),
    ],
)
def test_bad_tags_name_the_field_and_what_was_expected(change, expected):
    arguments = {"tags": TAGS, "token_starts": STARTS, "token_ends": ENDS, "tokens": TOKENS} | change
    with pytest.raises(ValidationError) as caught:
        from_tags(DOCUMENT, **arguments)
    (line,) = caught.value.lines()
    assert line.startswith(f"document 'd1': {expected}")


def test_bioes_tags_need_the_bioes_scheme():
    tags = ["B-PER", "E-PER", *["O"] * 4, "S-ORG", "O", "O", "S-GPE", "O"]
    with pytest.raises(ValidationError, match="'E-PER' is not a IOB2 tag"):
        from_tags(DOCUMENT, tags, STARTS, ENDS)
    record = from_tags(DOCUMENT, tags, STARTS, ENDS, scheme="bioes")
    assert [e["text"] for e in record["entities"]] == ["Mario Rossi", "Fiat", "Torino"]


def _sentence_rows() -> list[dict]:
    """The dataset's ner config shape: one row per sentence, integer tags (ClassLabel indices)."""
    names = load_inventory().bio_tags()
    return [
        {
            "doc_id": "d1",
            "sentence_index": index,
            "tokens": TOKENS[part],
            "token_starts": STARTS[part],
            "token_ends": ENDS[part],
            "ner_tags": [names.index(tag) for tag in TAGS[part]],
        }
        for index, part in enumerate((slice(0, 6), slice(6, None)))
    ]


def test_tags_file_merges_sentences_and_reads_integer_tags(tmp_path):
    documents_path = tmp_path / "documents.jsonl"
    documents_path.write_text(json.dumps(DOCUMENT) + "\n", encoding="utf-8")
    path = tmp_path / "tags.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in _sentence_rows()), encoding="utf-8")
    records = convert_file(path, "tags", {"d1": DOCUMENT})
    assert records == [from_tags(DOCUMENT, TAGS, STARTS, ENDS)]
    out = tmp_path / "p.jsonl"
    result = CliRunner().invoke(
        app,
        ["convert-predictions", str(path), "--format", "tags", "--documents", str(documents_path), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] == records
    validated = CliRunner().invoke(
        app, ["validate", str(out), "--kind", "prediction", "--documents", str(documents_path)]
    )
    assert validated.exit_code == 0 and "1 prediction record" in validated.stdout
    with pytest.raises(ValidationError) as caught:
        convert_file(path, "tags", {"d1": DOCUMENT}, ConvertOptions(scheme="bioes"))
    assert caught.value.lines() == [
        f"{path}:{line}: ner_tags: integer tags are the ner config's IOB2 tags (expected scheme iob2, got bioes)"
        for line in (1, 2)
    ]


def test_every_problem_of_a_tags_file_is_located_by_line(tmp_path):
    rows = _sentence_rows()
    rows[0]["doc_id"] = "nope"
    rows[1]["ner_tags"] = ["B-XYZ", *rows[1]["ner_tags"][1:]]
    path = tmp_path / "tags.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        convert_file(path, "tags", {"d1": DOCUMENT})
    first, second = caught.value.lines()
    assert first == (
        f"{path}:1: doc_id: 'nope' is not the id of a document in the documents file (expected one of its ids)"
    )
    assert second.startswith(f"{path}:2: ner_tags[0]: 'XYZ' is not a voci entity label (expected one of: PER, ORG")
