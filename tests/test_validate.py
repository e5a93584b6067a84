"""Every validation rule, triggered by a bad input, through the CLI as a user runs it."""

from __future__ import annotations

import json
import unicodedata

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.documents import make_document, text_sha256

TEXT = "Mario Rossi ha detto che la Russia è grande. 😀 Poi l’ISTAT ha confermato."
runner = CliRunner()


def span(text: str, needle: str) -> tuple[int, int]:
    start = text.index(needle)
    return start, start + len(needle)


def good_document() -> dict:
    return make_document("doc-1", TEXT, "it", source="test")


def good_annotation() -> dict:
    per = span(TEXT, "Mario Rossi")
    gpe = span(TEXT, "Russia")
    claim = span(TEXT, "la Russia è grande")
    return {
        "id": "doc-1",
        "text_sha256": text_sha256(TEXT),
        "annotator": "tester",
        "entities": [
            {"id": "e1", "start": per[0], "end": per[1], "label": "PER", "text": "Mario Rossi"},
            {"id": "e2", "start": gpe[0], "end": gpe[1], "label": "GPE", "text": "Russia"},
        ],
        "claims": [
            {
                "id": "c1",
                "start": claim[0],
                "end": claim[1],
                "text": "la Russia è grande",
                "stance": "SUPPORT",
                "claimer": {"kind": "entity", "entity_ids": ["e1"]},
            }
        ],
    }


def good_prediction() -> dict:
    per = span(TEXT, "Mario Rossi")
    claim = span(TEXT, "la Russia è grande")
    return {
        "id": "doc-1",
        "entities": [{"start": per[0], "end": per[1], "label": "PER"}],
        "claims": [
            {"start": claim[0], "end": claim[1], "stance": "SUPPORT", "claimer": {"start": per[0], "end": per[1]}}
        ],
    }


def line(record: dict) -> bytes:
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


def edited(make, change):
    record = make()
    change(record)
    return line(record)


def setitem(path, value):
    """A change function that sets a nested field: path like ('entities', 0, 'end')."""

    def change(record):
        target = record
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def delitem(path):
    def change(record):
        target = record
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


NFD = unicodedata.normalize("NFD", TEXT)

# (case id, kind, file content, expected line, expected field)
BAD_INPUTS = [
    # documents
    ("bom", "document", b"\xef\xbb\xbf" + line(good_document()), 1, "(file)"),
    ("non-utf8", "document", line(good_document()) + b'{"id": "doc-2", "text": "caf\xe9"}\n', 2, "(line)"),
    ("truncated-json", "document", line(good_document())[:40] + b"\n", 1, "(line)"),
    ("not-an-object", "document", b"[1, 2, 3]\n", 1, "(record)"),
    ("missing-lang", "document", edited(good_document, delitem(("lang",))), 1, "lang"),
    ("id-wrong-type", "document", edited(good_document, setitem(("id",), 7)), 1, "id"),
    ("id-bad-characters", "document", edited(good_document, setitem(("id",), "doc 1/x")), 1, "id"),
    (
        "document-hash-mismatch",
        "document",
        edited(good_document, setitem(("text_sha256",), "0" * 64)),
        1,
        "text_sha256",
    ),
    (
        "text-not-nfc",
        "document",
        edited(good_document, lambda r: r.update(text=NFD, text_sha256=text_sha256(NFD))),
        1,
        "text",
    ),
    (
        "carriage-return",
        "document",
        edited(good_document, lambda r: r.update(text="a\r\nb", text_sha256=text_sha256("a\r\nb"))),
        1,
        "text",
    ),
    ("duplicate-document-id", "document", line(good_document()) + line(good_document()), 2, "id"),
    ("unexpected-field", "document", edited(good_document, setitem(("titel",), "x")), 1, "titel"),
    ("published-not-a-date", "document", edited(good_document, setitem(("published",), "12 giugno")), 1, "published"),
    ("lang-not-iso", "document", edited(good_document, setitem(("lang",), "Italian")), 1, "lang"),
    # annotation records
    (
        "offset-past-end",
        "annotation",
        edited(good_annotation, setitem(("entities", 0, "end"), len(TEXT) + 5)),
        1,
        "entities[0].end",
    ),
    (
        "end-before-start",
        "annotation",
        edited(good_annotation, lambda r: r["entities"][0].update(start=6, end=3)),
        1,
        "entities[0].end",
    ),
    (
        "text-mismatch",
        "annotation",
        edited(good_annotation, setitem(("entities", 0, "text"), "Mario Ross")),
        1,
        "entities[0].text",
    ),
    (
        "unknown-label",
        "annotation",
        edited(good_annotation, setitem(("entities", 0, "label"), "PERSON")),
        1,
        "entities[0].label",
    ),
    (
        "label-case",
        "annotation",
        edited(good_annotation, setitem(("entities", 0, "label"), "per")),
        1,
        "entities[0].label",
    ),
    (
        "duplicate-item-id",
        "annotation",
        edited(good_annotation, setitem(("entities", 1, "id"), "e1")),
        1,
        "entities[1].id",
    ),
    (
        "dangling-entity-id",
        "annotation",
        edited(good_annotation, setitem(("claims", 0, "claimer", "entity_ids"), ["e9"])),
        1,
        "claims[0].claimer.entity_ids[0]",
    ),
    (
        "annotation-hash-mismatch",
        "annotation",
        edited(good_annotation, setitem(("text_sha256",), "f" * 64)),
        1,
        "text_sha256",
    ),
    ("unknown-document", "annotation", edited(good_annotation, setitem(("id",), "doc-404")), 1, "id"),
    (
        "entity-claimer-without-ids",
        "annotation",
        edited(good_annotation, setitem(("claims", 0, "claimer", "entity_ids"), [])),
        1,
        "claims[0].claimer.entity_ids",
    ),
    (
        "author-claimer-with-ids",
        "annotation",
        edited(good_annotation, setitem(("claims", 0, "claimer", "kind"), "author")),
        1,
        "claims[0].claimer.entity_ids",
    ),
    ("missing-stance", "annotation", edited(good_annotation, delitem(("claims", 0, "stance"))), 1, "claims[0].stance"),
    (
        "unknown-stance",
        "annotation",
        edited(good_annotation, setitem(("claims", 0, "stance"), "AGREE")),
        1,
        "claims[0].stance",
    ),
    (
        "negative-start",
        "annotation",
        edited(good_annotation, setitem(("entities", 0, "start"), -1)),
        1,
        "entities[0].start",
    ),
    (
        "float-offset",
        "annotation",
        edited(good_annotation, setitem(("entities", 0, "start"), 0.0)),
        1,
        "entities[0].start",
    ),
    (
        "prediction-float-offset",
        "prediction",
        edited(good_prediction, setitem(("claims", 0, "end"), 30.0)),
        1,
        "claims[0].end",
    ),
    (
        "start-wrong-type",
        "annotation",
        edited(good_annotation, setitem(("entities", 0, "start"), "0")),
        1,
        "entities[0].start",
    ),
    (
        "duplicate-span",
        "annotation",
        edited(good_annotation, lambda r: r["entities"].append({**r["entities"][0], "id": "e3"})),
        1,
        "entities[2]",
    ),
    ("duplicate-annotation-record", "annotation", line(good_annotation()) + line(good_annotation()), 2, "id"),
    ("missing-layer", "annotation", edited(good_annotation, delitem(("entities",))), 1, "entities"),
    (
        "unknown-claimer-kind",
        "annotation",
        edited(good_annotation, setitem(("claims", 0, "claimer", "kind"), "speaker")),
        1,
        "claims[0].claimer.kind",
    ),
    # prediction records
    (
        "prediction-claimer-keyword",
        "prediction",
        edited(good_prediction, setitem(("claims", 0, "claimer"), "SPEAKER")),
        1,
        "claims[0].claimer",
    ),
    (
        "prediction-claimer-past-end",
        "prediction",
        edited(good_prediction, setitem(("claims", 0, "claimer", "end"), 999)),
        1,
        "claims[0].claimer.end",
    ),
    (
        "prediction-text-mismatch",
        "prediction",
        edited(good_prediction, setitem(("entities", 0, "text"), "Rossi")),
        1,
        "entities[0].text",
    ),
    (
        "prediction-unknown-label",
        "prediction",
        edited(good_prediction, setitem(("entities", 0, "label"), "MISC")),
        1,
        "entities[0].label",
    ),
    (
        "prediction-duplicate-span",
        "prediction",
        edited(good_prediction, lambda r: r["entities"].append(dict(r["entities"][0]))),
        1,
        "entities[1]",
    ),
    ("prediction-unknown-document", "prediction", edited(good_prediction, setitem(("id",), "nope")), 1, "id"),
    (
        "prediction-extra-field",
        "prediction",
        edited(good_prediction, setitem(("entities", 0, "confidence"), 0.5)),
        1,
        "entities[0].confidence",
    ),
    (
        "prediction-claim-end-before-start",
        "prediction",
        edited(good_prediction, setitem(("claims", 0, "end"), 0)),
        1,
        "claims[0].end",
    ),
]


@pytest.fixture
def documents_file(tmp_path):
    path = tmp_path / "documents.jsonl"
    path.write_bytes(line(good_document()))
    return path


@pytest.mark.parametrize(
    ("case", "kind", "content", "line_number", "field"), BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS]
)
def test_bad_input_is_reported_with_file_line_and_field(
    tmp_path, documents_file, case, kind, content, line_number, field
):
    path = tmp_path / f"{case}.jsonl"
    path.write_bytes(content)
    result = runner.invoke(app, ["validate", str(path), "--kind", kind, "--documents", str(documents_file)])
    assert result.exit_code == 2, result.output
    assert f"{path}:{line_number}: {field}: " in result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("kind", ["document", "annotation", "prediction"])
def test_good_records_pass_with_one_line_summary(tmp_path, documents_file, kind):
    make = {"document": good_document, "annotation": good_annotation, "prediction": good_prediction}[kind]
    path = tmp_path / f"{kind}.jsonl"
    path.write_bytes(line(make()))
    result = runner.invoke(app, ["validate", str(path), "--documents", str(documents_file)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"valid: {path} (1 {kind} record)"


def test_all_problems_are_reported_at_once(tmp_path, documents_file):
    record = good_annotation()
    record["entities"][0]["label"] = "PERSON"
    record["claims"][0]["stance"] = "AGREE"
    path = tmp_path / "two.jsonl"
    path.write_bytes(line(record) + b"not json\n")
    result = runner.invoke(app, ["validate", str(path), "--documents", str(documents_file)])
    assert result.exit_code == 2
    assert f"{path}:1: entities[0].label: 'PERSON' is not allowed (expected one of: PER, ORG" in result.stderr
    assert (
        f"{path}:1: claims[0].stance: 'AGREE' is not allowed (expected one of: SUPPORT, REFUTE, NEUTRAL)"
        in result.stderr
    )
    assert f"{path}:2: (line): invalid JSON" in result.stderr
    assert "3 problem(s)" in result.stderr


def test_problem_limit_truncates(tmp_path, documents_file):
    path = tmp_path / "many.jsonl"
    path.write_bytes(b"x\n" * 30)
    result = runner.invoke(app, ["validate", str(path), "--documents", str(documents_file), "--max-problems", "5"])
    assert result.exit_code == 2
    assert result.stderr.count("invalid JSON") == 5
    assert "more problems not shown" in result.stderr


def test_missing_documents_file_is_a_clear_error(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(line(good_annotation()))
    result = runner.invoke(app, ["validate", str(path), "--documents", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'none.jsonl'}: file not found" in result.stderr
    assert "Traceback" not in result.output


def test_debug_variable_shows_traceback(tmp_path, documents_file, monkeypatch):
    monkeypatch.setenv("TOOLKIT_DEBUG", "1")
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"x\n")
    result = runner.invoke(app, ["validate", str(path), "--documents", str(documents_file)])
    assert result.exit_code == 2
    assert "Traceback" in result.stderr


def test_emoji_offsets_are_code_points(tmp_path, documents_file):
    """An entity after an emoji is valid at its Python-string offsets, invalid at UTF-16 ones."""
    start, end = span(TEXT, "ISTAT")
    record = good_annotation()
    record["entities"].append({"id": "e3", "start": start, "end": end, "label": "ORG", "text": "ISTAT"})
    path = tmp_path / "emoji.jsonl"
    path.write_bytes(line(record))
    assert runner.invoke(app, ["validate", str(path), "--documents", str(documents_file)]).exit_code == 0
    record["entities"][-1].update(start=start + 1, end=end + 1)  # what UTF-16 counting would give
    path.write_bytes(line(record))
    result = runner.invoke(app, ["validate", str(path), "--documents", str(documents_file)])
    assert result.exit_code == 2
    assert "entities[2].text" in result.stderr


def test_every_bad_item_is_reported_in_index_order(tmp_path, documents_file):
    record = good_annotation()
    for index in range(12):
        record["entities"].append({**record["entities"][1], "id": f"x{index}", "label": "PLACE"})
    path = tmp_path / "many-labels.jsonl"
    path.write_bytes(line(record))
    result = runner.invoke(app, ["validate", str(path), "--documents", str(documents_file)])
    assert result.exit_code == 2
    reported = [row.split(": ")[1] for row in result.stderr.splitlines() if "'PLACE' is not allowed" in row]
    assert reported == [f"entities[{index}].label" for index in range(2, 14)]
