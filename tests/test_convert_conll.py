"""CoNLL files aligned to the document text token by token."""

from __future__ import annotations

import pytest

from toolkit.convert_predictions import ConvertOptions, LabelMap, convert_file
from toolkit.documents import make_document
from toolkit.errors import InputError, ValidationError

FIRST = make_document("d1", "Mario Rossi ha detto che la Fiat chiude.\nA Torino piove.", "it")
SECOND = make_document("d2", "L'Istat stima una crescita.", "it")
DOCUMENTS = {"d1": FIRST, "d2": SECOND}
# CoNLL-2003 style: four columns, the tag last; spaCy-like tokens (the apostrophe stays with "L'").
CONLL_2003 = """-DOCSTART- -X- -X- O

Mario NNP B-NP B-PER
Rossi NNP I-NP I-PER
ha VB B-VP O
detto VB I-VP O
che IN B-SBAR O
la DT B-NP O
Fiat NNP I-NP B-ORG
chiude VB B-VP O
. . O O

A IN B-PP O
Torino NNP B-NP B-GPE
piove VB B-VP O
. . O O

-DOCSTART- -X- -X- O

L' DT B-NP O
Istat NNP I-NP B-ORG
stima VB B-VP O
una DT B-NP O
crescita NN I-NP O
. . O O
"""


def _write(tmp_path, text: str):
    path = tmp_path / "system.conll"
    path.write_text(text, encoding="utf-8")
    return path


def _spans(records):
    return {record["id"]: [(e["text"], e["label"], e["start"]) for e in record["entities"]] for record in records}


def test_conll_2003_documents_follow_the_documents_file_order(tmp_path):
    records = convert_file(_write(tmp_path, CONLL_2003), "conll", DOCUMENTS)
    assert _spans(records) == {
        "d1": [("Mario Rossi", "PER", 0), ("Fiat", "ORG", 28), ("Torino", "GPE", 43)],
        "d2": [("Istat", "ORG", 2)],
    }
    assert all("claims" not in record for record in records)


def test_conll_u_style_newdoc_ids_and_tab_columns(tmp_path):
    text = "# newdoc id = d2\n# sent_id = 1\nL'\tO\nIstat\tB-ORG\n\n# newdoc id = d1\nMario\tU-PER\nFiat\tU-ORG\n"
    records = convert_file(_write(tmp_path, text), "conll", DOCUMENTS, ConvertOptions(scheme="bilou"))
    assert _spans(records) == {"d1": [("Mario", "PER", 0), ("Fiat", "ORG", 28)], "d2": [("Istat", "ORG", 2)]}
    assert [record["id"] for record in records] == ["d1", "d2"], "records come in documents-file order"


def test_a_token_not_found_after_the_cursor_names_document_token_and_line(tmp_path):
    text = CONLL_2003.replace("Fiat NNP I-NP B-ORG", "FIAT NNP I-NP B-ORG")
    with pytest.raises(ValidationError) as caught:
        convert_file(_write(tmp_path, text), "conll", DOCUMENTS)
    (line,) = caught.value.lines()
    assert line.startswith(
        f"{tmp_path / 'system.conll'}:9: token: 'FIAT' is not in the text of document 'd1' at or after offset 27 "
    )
    assert line.endswith("(expected the document's tokens, in order)")


def test_tokens_out_of_order_are_not_found(tmp_path):
    text = "Rossi O\nMario B-PER\n"
    with pytest.raises(ValidationError, match="1 problem"):
        convert_file(_write(tmp_path, text), "conll", {"d1": FIRST})


def test_bad_tags_unknown_labels_and_extra_documents_are_located(tmp_path):
    text = CONLL_2003.replace("Rossi NNP I-NP I-PER", "Rossi NNP I-NP E-PER").replace("B-GPE", "B-CITY")
    text += "\n-DOCSTART- -X- -X- O\n\nAltro O\n"
    with pytest.raises(ValidationError) as caught:
        convert_file(_write(tmp_path, text), "conll", DOCUMENTS)
    path = tmp_path / "system.conll"
    assert [line.split(" (expected")[0] for line in caught.value.lines()] == [
        f"{path}:4: tag: 'E-PER' is not a IOB2 tag",
        f"{path}:27: document: more documents than the documents file holds (2)",
    ]
    with pytest.raises(ValidationError) as caught:
        convert_file(_write(tmp_path, CONLL_2003.replace("B-GPE", "B-CITY")), "conll", DOCUMENTS)
    assert caught.value.lines()[0].startswith(f"{path}:14: tag: 'CITY' is not a voci entity label")
    records = convert_file(
        _write(tmp_path, CONLL_2003.replace("B-GPE", "B-CITY")),
        "conll",
        DOCUMENTS,
        ConvertOptions(label_map=LabelMap({"CITY": "GPE"})),
    )
    assert ("Torino", "GPE", 43) in _spans(records)["d1"]


def test_a_line_without_a_tag_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"system.conll:2: \(line\): 'Rossi' \(expected TOKEN ... TAG\)"):
        convert_file(_write(tmp_path, "Mario B-PER\nRossi\n"), "conll", DOCUMENTS)
