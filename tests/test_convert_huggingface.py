"""Hugging Face token-classification pipeline output, in the documented structure (transformers is not installed):
``aggregation_strategy="none"`` (one dict per sub-word token, ``entity`` with a B-/I- tag, ``index``) and
``"simple"`` (one dict per entity, ``entity_group``), with numpy float32 scores as the pipeline returns them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.convert_predictions import ConvertOptions, LabelMap, convert_file, from_huggingface
from toolkit.documents import make_document
from toolkit.errors import ValidationError

TEXT = "Mario Rossi ha detto che la Fiat chiude a Torino."
DOCUMENT = make_document("d1", TEXT, "it")


def _token(entity, index, word, start, end, score=0.9):
    return {"entity": entity, "score": np.float32(score), "index": index, "word": word, "start": start, "end": end}


# WordPiece tokens of TEXT ([CLS] is index 0); O tokens are left out of the output, as the pipeline does.
NONE_OUTPUT = [
    _token("B-PER", 1, "Mario", 0, 5, 0.99),
    _token("I-PER", 2, "Ross", 6, 10, 0.98),
    _token("I-PER", 3, "##i", 10, 11, 0.97),
    _token("B-ORG", 8, "Fia", 28, 31, 0.9),
    _token("I-ORG", 9, "##t", 31, 32, 0.8),
    _token("B-LOC", 12, "Torino", 42, 48, 0.7),
]
SIMPLE_OUTPUT = [
    {"entity_group": "PER", "score": np.float32(0.98), "word": "Mario Rossi", "start": 0, "end": 11},
    {"entity_group": "ORG", "score": np.float32(0.85), "word": "Fiat", "start": 28, "end": 32},
    {"entity_group": "LOC", "score": np.float32(0.7), "word": "Torino", "start": 42, "end": 48},
]
TO_OURS = LabelMap({"LOC": "GPE"})


def _spans(record):
    return [(e["text"], e["label"], e.get("score")) for e in record["entities"]]


def test_aggregation_none_groups_tokens_by_their_tags():
    record = from_huggingface(NONE_OUTPUT, DOCUMENT, label_map=TO_OURS)
    assert _spans(record) == [
        ("Mario Rossi", "PER", pytest.approx(0.98, abs=1e-6)),
        ("Fiat", "ORG", pytest.approx(0.85, abs=1e-6)),
        ("Torino", "GPE", pytest.approx(0.7, abs=1e-6)),
    ]
    assert "claims" not in record


def test_aggregation_simple_gives_the_same_entities():
    assert _spans(from_huggingface(SIMPLE_OUTPUT, DOCUMENT, label_map=TO_OURS)) == _spans(
        from_huggingface(NONE_OUTPUT, DOCUMENT, label_map=TO_OURS)
    )


def test_tokens_apart_are_apart_even_with_the_same_tag():
    """The pipeline drops O tokens: I-PER at index 1 and I-PER at index 3 are two entities, not one."""
    output = [_token("I-PER", 1, "Mario", 0, 5), _token("I-PER", 3, "ha", 12, 14)]
    record = from_huggingface(output, DOCUMENT)
    assert [e["text"] for e in record["entities"]] == ["Mario", "ha"]
    unprefixed = [_token("PER", 1, "Mario", 0, 5), _token("PER", 2, "Rossi", 6, 11)]
    assert [e["text"] for e in from_huggingface(unprefixed, DOCUMENT)["entities"]] == ["Mario Rossi"]


def test_leading_spaces_are_trimmed_and_words_checked_against_the_text():
    spaced = [{"entity_group": "ORG", "score": 0.5, "word": " Fiat", "start": 27, "end": 32}]
    assert from_huggingface(spaced, DOCUMENT)["entities"] == [
        {"start": 28, "end": 32, "label": "ORG", "text": "Fiat", "score": 0.5}
    ]
    accents = make_document("d2", "La Città di Torino.", "it")
    uncased = [{"entity_group": "LOC", "score": 0.5, "word": "citta di torino", "start": 3, "end": 18}]
    assert from_huggingface(uncased, accents, label_map=TO_OURS)["entities"][0]["text"] == "Città di Torino"
    shifted = [{"entity_group": "ORG", "score": 0.5, "word": "Fiat", "start": 27, "end": 31}]
    with pytest.raises(ValidationError) as caught:
        from_huggingface(shifted, DOCUMENT)
    assert str(caught.value) == (
        "[E101] 1 problem(s): document 'd1': output[0].word: 'Fiat' is not the document text at 28..31 ('Fia') "
        "(expected the output of the pipeline run on this document's text)"
    )


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ([{"entity_group": "MISC", "score": 0.5, "start": 0, "end": 5}], "output[0].entity_group: 'MISC' is not"),
        ([{"entity_group": "PER", "score": 0.5, "start": 0, "end": 99}], "output[0]: offsets 0..99 are outside"),
        ([{"entity_group": "PER", "score": 0.5, "start": "0", "end": 5}], "output[0].start: got '0'"),
        ([{"entity_group": "PER", "score": 7, "start": 0, "end": 5}], "output[0].score: got 7 (expected a prob"),
        ([_token("S-PER", 1, "Mario", 0, 5)], "output[0].entity: 'S-PER' is not a IOB2 tag"),
        ([SIMPLE_OUTPUT[0], NONE_OUTPUT[0]], "output: expected every item to have 'entity_group'"),
    ],
)
def test_bad_output_is_one_located_message(output, expected):
    with pytest.raises(ValidationError) as caught:
        from_huggingface(output, DOCUMENT)
    assert caught.value.lines()[0].startswith(f"document 'd1': {expected}")


def test_jsonl_of_pipeline_calls_per_sentence_with_offsets(tmp_path):
    """Long documents run sentence by sentence: each call's offsets are shifted by where its sentence starts."""
    second_sentence = TEXT.index("la Fiat")
    lines = [
        {"id": "d1", "output": [{**SIMPLE_OUTPUT[0], "score": 0.98}]},
        {
            "id": "d1",
            "offset": second_sentence,
            "output": [
                {
                    **item,
                    "score": float(item["score"]),
                    "start": item["start"] - second_sentence,
                    "end": item["end"] - second_sentence,
                }
                for item in SIMPLE_OUTPUT[1:]
            ],
        },
    ]
    path = tmp_path / "hf.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    records = convert_file(path, "huggingface", {"d1": DOCUMENT}, ConvertOptions(label_map=TO_OURS))
    assert [(e["text"], e["start"]) for e in records[0]["entities"]] == [
        ("Mario Rossi", 0),
        ("Fiat", 28),
        ("Torino", 42),
    ]
    documents = tmp_path / "documents.jsonl"
    documents.write_text(json.dumps(DOCUMENT) + "\n", encoding="utf-8")
    (tmp_path / "map.json").write_text('{"LOC": "GPE"}', encoding="utf-8")
    out = tmp_path / "p.jsonl"
    args = ["convert-predictions", str(path), "--format", "huggingface", "--documents", str(documents)]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--label-map", str(tmp_path / "map.json")])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8")) == records[0]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--scheme", "bioes", "--spans-key", "x"])
    assert result.exit_code == 2
    assert result.output == "error: [E100] --spans-key: does not apply to --format huggingface\n"
    before = path.read_bytes()
    result = CliRunner().invoke(app, [*args, "--out", str(path)])
    assert result.exit_code == 2 and f"--out {path}: is the same file as INPUT {path}" in result.output
    assert path.read_bytes() == before
