"""The rule-based baseline, on an Italian text written for this test (not the gold article)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.baseline import predict_document
from toolkit.baseline.entities import find_entities
from toolkit.baseline.lexicon import inflect_demonym, lexicon_text, load_lexicon
from toolkit.baseline.text import quotations, sentences
from toolkit.cli import app
from toolkit.documents import make_document
from toolkit.errors import ConfigurationError
from toolkit.files import read_jsonl, write_jsonl
from toolkit.validate import validate_file

DATA = Path(__file__).parent / "data"
STRIKE_TEXT = (DATA / "baseline-it-sciopero-milano.txt").read_text(encoding="utf-8")
REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()

EXPECTED_ENTITIES = [
    ("Lunedì", "DATE"),
    ("3 marzo 2025", "DATE"),
    ("Milano", "GPE"),
    ("otto ore", "DATE"),
    ("400.000 pendolari", "QUANTITY"),
    ("Giuseppe Sala", "PER"),
    ("Governo", "ORG"),
    ("Istat", "ORG"),
    ("6%", "QUANTITY"),
    ("2024", "DATE"),
    ("Cgil", "ORG"),
    ("Anna Ferri", "PER"),
    ("aprile", "DATE"),
    ("francese", "NORP"),
    ("Luc Moreau", "PER"),
    ("Lione", "GPE"),
    ("Parigi", "GPE"),
    ("italiano", "NORP"),
    ("la prossima settimana", "DATE"),
    ("ANSA", "ORG"),
    ("tedeschi", "NORP"),
    ("aeroporto di Malpensa", "FAC"),
    ("Sala", "PER"),
    ("Salone del Mobile", "EVENT"),
    ("7 aprile", "DATE"),
    ("2.000 espositori", "QUANTITY"),
    ("lago di Como", "LOC"),
    ("Lombardia", "GPE"),
    ("40 milioni di euro", "QUANTITY"),
]

# (claim text, claimer text or keyword, stance)
EXPECTED_CLAIMS = [
    (
        "il Comune non può aumentare i salari senza un aiuto del Governo",
        "Giuseppe Sala",
        "SUPPORT",
    ),  # X ha affermato che …
    ("i prezzi dei trasporti sono cresciuti del 6% nel 2024", "Istat", "SUPPORT"),  # Secondo X, …
    ("Siamo pronti a fermarci di nuovo ad aprile", "Anna Ferri", "SUPPORT"),  # X ha detto: “…”
    ("Parigi voglia imitare il modello italiano", "Luc Moreau", "REFUTE"),  # X, incidental, ha negato che …
    ("la trattativa riprenderà la prossima settimana", "UNNAMED", "SUPPORT"),  # fonti dicono che …
    ("le indiscrezioni sui tagli", "UNNAMED", "NEUTRAL"),  # non ha confermato NP, riporta X
    (
        "I pendolari tedeschi arrivati all'aeroporto di Malpensa sono rimasti bloccati per ore",
        "Sala",
        "SUPPORT",
    ),  # …, ha raccontato X
    ("la Regione stanzierà 40 milioni di euro per il trasporto pubblico", "AUTHOR", "SUPPORT"),  # abbiamo appreso che …
    (
        "lo sciopero non è servito a nulla",
        "UNNAMED",
        "SUPPORT",
    ),  # subject dropped, no named claimer before it in the paragraph
]


def _claims(text: str) -> list[tuple[str, str, str]]:
    record = predict_document({"id": "t", "text": text})
    return [
        (c["text"], c["claimer"] if isinstance(c["claimer"], str) else c["claimer"]["text"], c["stance"])
        for c in record["claims"]
    ]


def test_entities_on_an_unrelated_italian_text():
    found = [(STRIKE_TEXT[e.start : e.end], e.label) for e in find_entities(STRIKE_TEXT)]
    assert found == EXPECTED_ENTITIES


def test_claims_claimers_and_stance_on_an_unrelated_italian_text():
    assert _claims(STRIKE_TEXT) == EXPECTED_CLAIMS


def test_claimer_is_a_span_of_a_predicted_entity():
    record = predict_document({"id": "t", "text": STRIKE_TEXT})
    entity_spans = {(e["start"], e["end"]) for e in record["entities"]}
    spans = [(c["claimer"]["start"], c["claimer"]["end"]) for c in record["claims"] if isinstance(c["claimer"], dict)]
    assert spans and all(span in entity_spans for span in spans)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Il portavoce Marco Neri non ha confermato che il vertice si terrà a Roma.",
            [("il vertice si terrà a Roma", "Marco Neri", "NEUTRAL")],
        ),
        (
            "La Commissione europea ha smentito che i fondi siano stati bloccati.",
            [("i fondi siano stati bloccati", "Commissione europea", "REFUTE")],
        ),
        (
            "Si ritiene che il governo cadrà entro l'estate.",
            [("il governo cadrà entro l'estate", "UNNAMED", "SUPPORT")],
        ),
        (
            "Il ministro Paolo Bruni ha detto che le tasse scenderanno. Ha poi aggiunto che i conti sono in ordine.",
            [("le tasse scenderanno", "Paolo Bruni", "SUPPORT"), ("i conti sono in ordine", "Paolo Bruni", "SUPPORT")],
        ),
        ("I prezzi sono aumentati del 3%, secondo l'Istat.", [("I prezzi sono aumentati del 3%", "Istat", "SUPPORT")]),
        ("Un secondo satellite è stato lanciato ieri.", []),
        ("Il treno è arrivato in ritardo.", []),
    ],
)
def test_reporting_constructions(text, expected):
    assert _claims(text) == expected


def test_sentences_do_not_split_numbers_abbreviations_or_quotes():
    text = "Sono arrivati 7.000 container. Il sig. Rossi ha detto: “Basta. Ora si cambia.” Poi è andato via."
    assert [text[s:e] for s, e in sentences(text)] == [
        "Sono arrivati 7.000 container.",
        "Il sig. Rossi ha detto: “Basta. Ora si cambia.”",
        "Poi è andato via.",
    ]
    assert [text[s:e] for s, e in quotations(text)] == ["Basta. Ora si cambia."]


def test_demonyms_are_inflected_and_found_in_lower_case_only():
    assert inflect_demonym("russo") == ["russo", "russa", "russi", "russe"]
    assert inflect_demonym("francese") == ["francese", "francesi"]
    assert inflect_demonym("saudita") == ["saudita", "sauditi", "saudite"]
    text = "Le truppe russe e il calciatore Mario Russo."
    found = [(text[e.start : e.end], e.label) for e in find_entities(text)]
    assert found == [("russe", "NORP"), ("Mario Russo", "PER")]


def test_the_lexicon_was_not_fitted_to_the_gold_article():
    """The gold article's own outlets, places and people are not in the lexicon (general news words only)."""
    raw = lexicon_text()
    for name in ("Vedomosti", "NHK", "Kcna", "KCNA", "Vostochny", "Vladivostok", "Wonsik", "Kim Jong"):
        assert name not in raw


def test_a_lexicon_naming_a_label_outside_the_inventory_is_refused(tmp_path):
    raw = json.loads(lexicon_text())
    raw["labels"]["person"] = "PERSON"
    path = tmp_path / "lexicon.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="PERSON not in schemas/labels.json"):
        load_lexicon(path)


def test_label_names_come_from_the_inventory():
    from toolkit.inventory import load_inventory

    inventory = load_inventory()
    lexicon = load_lexicon()
    assert set(lexicon.raw["labels"].values()) == set(inventory.entity_names)
    assert set(lexicon.raw["stances"].values()) == set(inventory.stance_names)
    assert set(lexicon.raw["claimers"].values()) == set(inventory.prediction_claimer_keywords)


def _documents(tmp_path: Path) -> Path:
    documents = [
        make_document("sciopero-milano", STRIKE_TEXT, "it"),
        make_document("vuoto", "nessuna notizia oggi", "it"),
    ]
    path = tmp_path / "documents.jsonl"
    write_jsonl(path, documents)
    return path


def test_cli_writes_valid_prediction_records(tmp_path):
    documents = _documents(tmp_path)
    out = tmp_path / "out" / "predictions.jsonl"
    result = runner.invoke(app, ["baseline", str(documents), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (
        f"baseline: 2 document(s), {len(EXPECTED_ENTITIES) + 1} entities, {len(EXPECTED_CLAIMS)} claims"
        in result.output
    )
    from toolkit.validate import load_documents

    validation = validate_file(out, kind="prediction", documents=load_documents(documents))
    assert validation.problems == []
    records = read_jsonl(out)
    assert [record["id"] for record in records] == ["sciopero-milano", "vuoto"]
    assert records[1] == {
        "id": "vuoto",
        "entities": [{"start": 16, "end": 20, "label": "DATE", "text": "oggi"}],
        "claims": [],
    }
    validated = runner.invoke(app, ["validate", str(out), "--documents", str(documents)])
    assert validated.exit_code == 0, validated.output


def test_cli_output_feeds_label_studio_tasks(tmp_path):
    documents = _documents(tmp_path)
    predictions = tmp_path / "predictions.jsonl"
    assert runner.invoke(app, ["baseline", str(documents), "--out", str(predictions)]).exit_code == 0
    tasks = tmp_path / "tasks.json"
    result = runner.invoke(
        app,
        [
            "tasks",
            str(documents),
            "--out",
            str(tasks),
            "--predictions",
            str(predictions),
            "--model-version",
            "baseline",
        ],
    )
    assert result.exit_code == 0, result.output
    written = json.loads(tasks.read_text(encoding="utf-8"))
    assert len(written) == 2 and written[0]["predictions"]


def test_cli_bad_documents_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "documents.jsonl"
    bad.write_text('{"id": "x", "lang": "it", "text": "ciao"}\n', encoding="utf-8")
    out = tmp_path / "predictions.jsonl"
    result = runner.invoke(app, ["baseline", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "documents.jsonl:1: text_sha256: missing" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_release_path_scores_the_baseline_on_the_gold(tmp_path):
    gold = REPO / "annotations" / "gold.jsonl"
    documents = REPO / "annotations" / "documents.jsonl"
    if not gold.exists():
        pytest.skip("annotations/gold.jsonl is not written yet")
    from toolkit.scoring.evaluate import evaluate

    out = tmp_path / "predictions.jsonl"
    assert runner.invoke(app, ["baseline", str(documents), "--out", str(out)]).exit_code == 0
    result = evaluate(out, gold, documents)
    assert result.overall is not None and 0 <= result.overall <= 1
    assert result.entities["strict"]["actual"] > 0 and result.claims["overlap"]["predicted"] > 0
