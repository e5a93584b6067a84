"""spaCy Docs built with ``spacy.blank("it")`` (no model download) and DocBin files → prediction records."""

from __future__ import annotations

import json

import pytest
import spacy
from spacy.tokens import DocBin, Span, SpanGroup
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.convert_predictions import ConvertOptions, LabelMap, convert_file, from_spacy
from toolkit.documents import make_document
from toolkit.errors import InputError, ValidationError

NLP = spacy.blank("it")
TEXT = "Secondo Mario Rossi la Fiat chiude a Torino. L'azienda smentisce."
DOCUMENT = make_document("d1", TEXT, "it")
OTHER = make_document("d2", "Il Comune di Milano non commenta.", "it")
DOCUMENTS = {"d1": DOCUMENT, "d2": OTHER}


def _span(doc, text: str, label: str) -> Span:
    start = doc.text.index(text)
    found = doc.char_span(start, start + len(text), label=label)
    assert found is not None, text
    return found


def _doc(with_claims: bool = True):
    """A Doc as a spaCy pipeline with an NER and a span categorizer would leave it."""
    doc = NLP(TEXT)
    rossi = _span(doc, "Mario Rossi", "PER")
    doc.ents = [rossi, _span(doc, "Fiat", "MISC"), _span(doc, "Torino", "LOC")]  # an Italian spaCy model's labels
    if with_claims:
        for name in ("stance", "claimer"):
            if not Span.has_extension(name):
                Span.set_extension(name, default=None)
        closing = _span(doc, "la Fiat chiude a Torino", "SUPPORT")
        closing._.claimer = [rossi.start_char, rossi.end_char]  # a Span works too, but only in memory
        denial = _span(doc, "L'azienda smentisce", "CLAIM")
        denial._.stance = "REFUTE"
        denial._.claimer = "author"
        doc.spans["claims"] = SpanGroup(doc, name="claims", spans=[closing, denial], attrs={"scores": [0.9, 0.6]})
    return doc


def test_a_doc_becomes_entities_and_claims():
    record = from_spacy(_doc(), DOCUMENT, label_map=LabelMap({"MISC": "ORG"}))
    assert record == {
        "id": "d1",
        "entities": [
            {"start": 8, "end": 19, "label": "PER", "text": "Mario Rossi"},
            {"start": 23, "end": 27, "label": "ORG", "text": "Fiat"},
            {"start": 37, "end": 43, "label": "LOC", "text": "Torino"},
        ],
        "claims": [
            {
                "start": 20,
                "end": 43,
                "text": "la Fiat chiude a Torino",
                "stance": "SUPPORT",
                "claimer": {"start": 8, "end": 19, "text": "Mario Rossi"},
                "score": 0.9,
            },
            {
                "start": 45,
                "end": 64,
                "text": "L'azienda smentisce",
                "stance": "REFUTE",
                "claimer": "AUTHOR",
                "score": 0.6,
            },
        ],
    }


def test_in_memory_a_claimer_may_be_a_span_of_the_doc():
    doc = _doc()
    doc.spans["claims"][0]._.claimer = doc.ents[0]
    doc.spans["claims"][1]._.claimer = {"start": 23, "end": 27}
    record = from_spacy(doc, DOCUMENT, label_map=LabelMap({"MISC": "ORG"}))
    assert [claim["claimer"] for claim in record["claims"]] == [
        {"start": 8, "end": 19, "text": "Mario Rossi"},
        {"start": 23, "end": 27, "text": "Fiat"},
    ]


def test_without_a_claims_group_the_layer_is_absent():
    record = from_spacy(_doc(with_claims=False), DOCUMENT, label_map=LabelMap({"MISC": "ORG"}))
    assert "claims" not in record and len(record["entities"]) == 3


@pytest.mark.parametrize(
    ("label_map", "expected"),
    [
        (LabelMap(), "document 'd1': ents[1].label_: 'MISC' is not a voci entity label (expected one of: PER, ORG"),
        (LabelMap({"MISC": None, "SUPPORT": "SUPPORTS"}), "document 'd1': spans['claims'][0].label_: 'SUPPORTS'"),
    ],
)
def test_unknown_labels_are_refused(label_map, expected):
    with pytest.raises(ValidationError) as caught:
        from_spacy(_doc(), DOCUMENT, label_map=label_map)
    assert caught.value.lines()[0].startswith(expected)


def test_a_claim_needs_a_claimer_and_the_doc_the_document_text():
    doc = _doc()
    doc.spans["claims"][1]._.claimer = None
    with pytest.raises(ValidationError, match=r"spans\['claims'\]\[1\]._.claimer: not set"):
        from_spacy(doc, DOCUMENT, label_map=LabelMap({"MISC": "ORG"}))
    with pytest.raises(ValidationError, match="text: differs from the document text at offset 0"):
        from_spacy(NLP("Un altro testo."), DOCUMENT)


def _docbin(tmp_path, docs, store_user_data=True):
    path = tmp_path / "system.spacy"
    DocBin(docs=docs, store_user_data=store_user_data).to_disk(path)
    return path


def test_a_docbin_round_trips_claimers_stances_and_scores(tmp_path):
    doc = _doc()
    doc.user_data["id"] = "d1"
    other = NLP(OTHER["text"])
    other.ents = [_span(other, "Comune di Milano", "ORG")]
    path = _docbin(tmp_path, [other, doc])
    options = ConvertOptions(label_map=LabelMap({"MISC": "ORG"}))
    records = convert_file(path, "spacy", DOCUMENTS, options)
    assert records == [from_spacy(_doc(), DOCUMENT, label_map=options.label_map), from_spacy(other, OTHER)]
    assert [record["id"] for record in records] == ["d1", "d2"], "d2 was matched by its text, d1 by user_data['id']"


def test_docbin_problems_name_the_doc(tmp_path):
    stranger = NLP("Un testo che non è nel file dei documenti.")
    path = _docbin(tmp_path, [_doc(), stranger], store_user_data=False)
    with pytest.raises(ValidationError) as caught:
        convert_file(path, "spacy", DOCUMENTS)
    assert [line.split(" (expected")[0] for line in caught.value.lines()] == [
        f"{path}: docs[0].ents[1].label_: 'MISC' is not a voci entity label",
        f"{path}: docs[1].user_data['id']: not set and no document has this text",
    ]
    (tmp_path / "broken.spacy").write_bytes(b"\x00 not a docbin")
    with pytest.raises(InputError, match=r"broken.spacy: not a spaCy DocBin \(ValueError\)"):
        convert_file(tmp_path / "broken.spacy", "spacy", DOCUMENTS)


def test_cli_converts_a_docbin_with_a_label_map(tmp_path):
    doc = _doc()
    doc.spans["predicted"] = doc.spans.pop("claims")
    path = _docbin(tmp_path, [doc])
    documents = tmp_path / "documents.jsonl"
    documents.write_text(json.dumps(DOCUMENT) + "\n", encoding="utf-8")
    (tmp_path / "map.json").write_text('{"MISC": "ORG"}', encoding="utf-8")
    out = tmp_path / "p.jsonl"
    args = ["convert-predictions", str(path), "--format", "spacy", "--documents", str(documents), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--label-map", str(tmp_path / "map.json"), "--spans-key", "predicted"])
    assert result.exit_code == 0, result.output
    assert "converted 1 document(s)" in result.output and "3 entities, 2 claims" in result.output
    record = json.loads(out.read_text(encoding="utf-8"))
    assert [claim["claimer"] for claim in record["claims"]] == [
        {"start": 8, "end": 19, "text": "Mario Rossi"},
        "AUTHOR",
    ]
    (tmp_path / "map.json").write_text('{"MISC": "THING"}', encoding="utf-8")
    result = CliRunner().invoke(app, [*args, "--label-map", str(tmp_path / "map.json")])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: [E100] {tmp_path / 'map.json'}: MISC: 'THING' is not a voci label")
