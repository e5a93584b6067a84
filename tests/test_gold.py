"""Structural facts of the gold that follow from docs/guidelines.md, checked on annotations/gold.jsonl.

The gold is made by hand; these tests catch what a hand can get wrong (a shifted
offset, an article inside a span, a claimer that does not resolve) and pin the
decisions the guidelines document for the seed article's hard cases.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.files import read_jsonl
from toolkit.inventory import ENTITY_CLAIMER, load_inventory
from toolkit.validate import load_documents, validate_file

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ROOT / "annotations" / "documents.jsonl"
GOLD = ROOT / "annotations" / "gold.jsonl"
GUIDELINES = ROOT / "docs" / "guidelines.md"
TOOL = ROOT / "annotations" / "tools" / "quote_to_offsets.py"
SPEC = ROOT / "annotations" / "tools" / "article-it-kim-putin.spec.tsv"
SEED_ID = "article-it-kim-putin"

# Italian articles, prepositions and articulated prepositions (guidelines §1: outside entity spans).
LEADING_FUNCTION_WORDS = {
    *("il", "lo", "la", "i", "gli", "le", "un", "uno", "una"),
    *("di", "a", "da", "in", "con", "su", "per", "tra", "fra"),
    *("del", "dello", "della", "dei", "degli", "delle", "al", "allo", "alla", "ai", "agli", "alle"),
    *("dal", "dallo", "dalla", "dai", "dagli", "dalle", "nel", "nello", "nella", "nei", "negli", "nelle"),
    *("sul", "sullo", "sulla", "sui", "sugli", "sulle"),
}
ELIDED_PREFIX = re.compile(r"^[A-Za-z]{1,5}['’]")  # l’, dell’, nell’, d’, un’ …
NAMES_WITH_ARTICLE = {"La Stampa", "L’Aquila", "Il Sole 24 Ore"}  # guidelines §1: articles that belong to the name
TITLES = {
    "presidente",
    "leader",
    "ministro",
    "premier",
    "signor",
    "signora",
    "generale",
    "papa",
    "re",
    "regina",
    "dottor",
    "onorevole",
}
SOURCE_LABELS = {"PER", "ORG", "GPE", "NORP"}  # guidelines §5.1
NUMBER = re.compile(
    r"\d|\b(?:un|uno|una|due|tre|quattro|cinque|sei|sette|otto|nove|dieci|cento|mille|mila|milion[ei]|miliard[oi])\b",
    re.IGNORECASE,
)
runner = CliRunner()


def _load_tool():
    spec = importlib.util.spec_from_file_location("quote_to_offsets", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def documents():
    return load_documents(DOCUMENTS)


@pytest.fixture(scope="module")
def gold():
    return read_jsonl(GOLD)


@pytest.fixture(scope="module")
def seed(gold, documents):
    """(record, text) of the seed article's gold."""
    [record] = [record for record in gold if record["id"] == SEED_ID]
    return record, documents[SEED_ID]["text"]


def all_spans(gold, documents):
    for record in gold:
        text = documents[record["id"]]["text"]
        for item in record["entities"] + record["claims"]:
            yield record["id"], item, text


def is_punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


# --- validity and provenance ---------------------------------------------------------------------------------------


def test_gold_passes_the_toolkit_validator(documents):
    result = validate_file(GOLD, kind="annotation", documents=documents, documents_source=str(DOCUMENTS))
    assert result.problems == []
    assert [record["id"] for record in result.records] == [SEED_ID]


def test_validate_command_accepts_the_gold_and_rejects_a_shifted_span(tmp_path):
    ok = runner.invoke(app, ["validate", "--documents", str(DOCUMENTS), str(GOLD)])
    assert ok.exit_code == 0, ok.output
    assert "valid" in ok.output
    record = json.loads(GOLD.read_text(encoding="utf-8"))
    record["entities"][0]["start"] += 1
    broken = tmp_path / "gold.jsonl"
    broken.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    bad = runner.invoke(app, ["validate", "--documents", str(DOCUMENTS), str(broken)])
    assert bad.exit_code == 2
    assert f"{broken}:1: entities[0].text" in bad.output


def test_gold_carries_provenance(gold):
    for record in gold:
        assert record["annotation_id"] == "gold-v1"
        assert "by hand" in record["annotator"] and "language-model agent" in record["annotator"]
        assert datetime.fromisoformat(record["created_at"]).tzinfo is not None


def test_the_spec_rebuilds_the_gold_exactly(seed, documents):
    """The committed spec is the hand annotation; gold.jsonl must be its faithful rendering."""
    record, _ = seed
    rebuilt = _load_tool().build_record(SPEC.read_text(encoding="utf-8").splitlines(), documents[SEED_ID])
    assert rebuilt["entities"] == record["entities"]
    assert rebuilt["claims"] == record["claims"]


def test_locate_counts_whole_word_occurrences_only():
    locate = _load_tool().locate
    text = "Kim Jong Un e Kim; Kimchi non è Kim."
    assert locate(text, "Kim", 2) == (14, 17)
    assert locate(text, "Kim", 3) == (32, 35)
    with pytest.raises(LookupError, match="found 3"):
        locate(text, "Kim", 4)


# --- spans ---------------------------------------------------------------------------------------------------------


def test_ids_are_numbered_in_text_order(gold):
    for record in gold:
        entities, claims = record["entities"], record["claims"]
        assert [entity["id"] for entity in entities] == [f"e{n}" for n in range(1, len(entities) + 1)]
        assert [claim["id"] for claim in claims] == [f"c{n}" for n in range(1, len(claims) + 1)]
        assert [entity["start"] for entity in entities] == sorted(entity["start"] for entity in entities)
        assert [claim["start"] for claim in claims] == sorted(claim["start"] for claim in claims)


def test_every_span_text_is_the_document_slice(gold, documents):
    for doc_id, item, text in all_spans(gold, documents):
        assert item["text"] == text[item["start"] : item["end"]], (doc_id, item["id"])


def test_no_span_starts_or_ends_inside_a_word(gold, documents):
    for doc_id, item, text in all_spans(gold, documents):
        start, end = item["start"], item["end"]
        assert not (start > 0 and text[start - 1].isalnum() and text[start].isalnum()), (
            doc_id,
            item["id"],
            item["text"],
        )
        assert not (end < len(text) and text[end - 1].isalnum() and text[end].isalnum()), (
            doc_id,
            item["id"],
            item["text"],
        )


def test_no_span_has_surrounding_space_or_punctuation(gold, documents):
    for doc_id, item, _ in all_spans(gold, documents):
        span = item["text"]
        assert span == span.strip(), (doc_id, item["id"])
        assert not is_punctuation(span[0]), (doc_id, item["id"], span)
        abbreviation_dot = span.endswith(".") and "." in span[:-1]
        unit_symbol = span.endswith("%")
        assert not is_punctuation(span[-1]) or abbreviation_dot or unit_symbol, (doc_id, item["id"], span)


def test_entities_are_flat(gold):
    for record in gold:
        ordered = sorted(record["entities"], key=lambda entity: entity["start"])
        for left, right in itertools.pairwise(ordered):
            assert left["end"] <= right["start"], (record["id"], left["id"], right["id"])


def test_no_entity_starts_with_an_article_or_preposition(gold):
    for record in gold:
        for entity in record["entities"]:
            if entity["text"] in NAMES_WITH_ARTICLE:
                continue
            first_word = entity["text"].split()[0].lower()
            assert first_word not in LEADING_FUNCTION_WORDS, (record["id"], entity["id"], entity["text"])
            assert not ELIDED_PREFIX.match(entity["text"]), (record["id"], entity["id"], entity["text"])


def test_person_spans_hold_names_without_titles(gold):
    for record in gold:
        for entity in record["entities"]:
            if entity["label"] == "PER":
                assert entity["text"][0].isupper(), entity
                assert not TITLES & set(entity["text"].lower().split()), entity


def test_gpe_spans_are_capitalised_names(gold):
    for record in gold:
        for entity in record["entities"]:
            if entity["label"] == "GPE":
                assert entity["text"][0].isupper(), entity


def test_quantities_hold_a_number(gold):
    for record in gold:
        for entity in record["entities"]:
            if entity["label"] == "QUANTITY":
                assert NUMBER.search(entity["text"]), entity


# --- claims, claimers, stances -------------------------------------------------------------------------------------


def test_every_claim_has_a_stance_and_a_claimer_that_resolves(gold):
    inventory = load_inventory()
    for record in gold:
        entities = {entity["id"]: entity for entity in record["entities"]}
        for claim in record["claims"]:
            assert claim["stance"] in inventory.stance_names, claim["id"]
            claimer = claim["claimer"]
            assert claimer["kind"] in inventory.claimer_kind_names, claim["id"]
            assert bool(claimer["entity_ids"]) == (claimer["kind"] == ENTITY_CLAIMER), claim["id"]
            for entity_id in claimer["entity_ids"]:
                source = entities[entity_id]
                assert source["label"] in SOURCE_LABELS, (claim["id"], source)
                assert not (claim["start"] <= source["start"] < claim["end"]), (
                    f"{claim['id']}: the source {entity_id} lies inside the claim"
                )


def test_reported_claims_cover_the_proposition_only(gold):
    for record in gold:
        for claim in record["claims"]:
            span = claim["text"]
            assert not re.match(r"che\b", span, re.IGNORECASE), claim["id"]
            assert "\n" not in span and not re.search(r"[.!?]\s+[A-Z]", span), (
                f"{claim['id']} crosses a sentence boundary"
            )


def test_claims_on_one_span_have_one_claimer_each(gold):
    """Guidelines §5.4: a proposition with several sources is marked once per source."""
    for record in gold:
        seen = set()
        for claim in record["claims"]:
            key = (
                claim["start"],
                claim["end"],
                claim["claimer"]["kind"],
                tuple(sorted(claim["claimer"]["entity_ids"])),
            )
            assert key not in seen, claim["id"]
            seen.add(key)


def test_every_label_is_used_and_counts_are_in_the_expected_range(seed):
    record, _ = seed
    inventory = load_inventory()
    assert {entity["label"] for entity in record["entities"]} == set(inventory.entity_names)
    assert 70 <= len(record["entities"]) <= 90
    assert 10 <= len(record["claims"]) <= 20
    assert {claim["claimer"]["kind"] for claim in record["claims"]} == set(inventory.claimer_kind_names)


# --- the hard cases of guidelines §8 -------------------------------------------------------------------------------


def entity_in(record, text, context, needle):
    """The gold entity exactly covering ``needle`` inside the one occurrence of ``context``; None when unmarked."""
    assert text.count(context) == 1, context
    start = text.index(context) + context.index(needle)
    matches = [
        entity for entity in record["entities"] if (entity["start"], entity["end"]) == (start, start + len(needle))
    ]
    return matches[0]["label"] if matches else None


@pytest.mark.parametrize(
    ("context", "needle", "label"),
    [
        ("il leader nordcoreano Kim Jong Un", "nordcoreano", "NORP"),
        ("il leader nordcoreano Kim Jong Un", "Kim Jong Un", "PER"),
        ("il presidente russo Vladimir Putin", "Vladimir Putin", "PER"),
        ("lo scorso settembre", "scorso settembre", "DATE"),
        ("nel settembre dello scorso anno", "settembre dello scorso anno", "DATE"),
        ("nell’aprile 2019", "aprile 2019", "DATE"),
        ("a fine maggio", "fine maggio", "DATE"),
        ("con l’Ucraina", "Ucraina", "GPE"),
        ("Corea del Nord-Russia", "Corea del Nord", "GPE"),
        ("Corea del Nord-Russia", "Russia", "GPE"),
        ("quotidiano economico russo Vedomosti", "russo", "NORP"),
        ("quotidiano economico russo Vedomosti", "Vedomosti", "ORG"),
        ("allo spazioporto di Vostochny", "spazioporto di Vostochny", "FAC"),
        ("la sua Giornata Nazionale", "Giornata Nazionale", "EVENT"),
        ("il ministro della Difesa sudcoreano Shin Wonsik", "sudcoreano", "NORP"),
        ("il ministro della Difesa sudcoreano Shin Wonsik", "Shin Wonsik", "PER"),
        ("il ministro della Difesa sudcoreano", "Difesa", None),
        ("circa 7.000 container", "circa 7.000 container", "QUANTITY"),
        ("9.000 container russi", "russi", "NORP"),
        ("nella penisola coreana", "penisola coreana", "LOC"),
        ("spingendo il Sud", "Sud", "GPE"),
        ("nelle aree di confine", "aree di confine", None),
        ("relazioni del Paese", "Paese", None),
        ("Recentemente, le tensioni", "Recentemente", None),
    ],
)
def test_entity_hard_cases_follow_the_guidelines(seed, context, needle, label):
    record, text = seed
    assert entity_in(record, text, context, needle) == label


def claims_on(record, text, proposition):
    assert text.count(proposition) == 1, proposition
    start = text.index(proposition)
    return [claim for claim in record["claims"] if (claim["start"], claim["end"]) == (start, start + len(proposition))]


def claimer_texts(record, claim):
    entities = {entity["id"]: entity for entity in record["entities"]}
    return [entities[entity_id]["text"] for entity_id in claim["claimer"]["entity_ids"]]


def test_one_proposition_with_four_sources_is_marked_once_per_source(seed):
    record, text = seed
    claims = claims_on(
        record, text, "Putin si sta preparando a visitare la Corea del Nord e il Vietnam la prossima settimana"
    )
    marked = [(claim["claimer"]["kind"], claimer_texts(record, claim), claim["stance"]) for claim in claims]
    assert marked == [
        ("entity", ["NHK"], "SUPPORT"),
        ("entity", ["Vedomosti"], "SUPPORT"),
        ("author", [], "NEUTRAL"),  # "la stessa notizia non confermata"
        ("entity", ["Russia", "Corea del Nord"], "NEUTRAL"),  # "non hanno confermato": not a denial
    ]
    not_confirmed = text.index("Né la Russia né la Corea del Nord hanno confermato")
    linked = {entity["start"] for entity in record["entities"] if entity["id"] in claims[3]["claimer"]["entity_ids"]}
    assert all(not_confirmed <= start < not_confirmed + 60 for start in linked), (
        "link the mentions of the attributing clause"
    )


def test_nested_and_mixed_sources_name_the_innermost_named_source(seed):
    record, text = seed
    proposition = (
        "la Corea del Nord abbia fornito artiglieria, missili e altre armi convenzionali alla Russia "
        "per sostenere la guerra in Ucraina in cambio di tecnologie militari avanzate e aiuti economici"
    )
    [believed] = claims_on(record, text, proposition)
    assert claimer_texts(record, believed) == ["Stati Uniti", "Corea del Sud"]
    assert believed["stance"] == "SUPPORT"
    ap = next(entity["id"] for entity in record["entities"] if entity["text"] == "AP")
    assert all(ap not in claim["claimer"]["entity_ids"] for claim in record["claims"])


@pytest.mark.parametrize(
    ("proposition", "kind"),
    [
        (
            "il presidente russo Vladimir Putin visiterà presto il Paese per il suo terzo incontro con Kim",
            "unnamed",
        ),  # i rapporti suggeriscono
        ("Putin dovrebbe visitare la Corea del Nord già la prossima settimana", "unnamed"),  # i media dicono
        ("la Corea del Nord voglia aiuto con la tecnologia spaziale", "unnamed"),  # si ritiene (prefix of the span)
        ("Il loro primo vertice si è svolto a Vladivostok nell’aprile 2019", "author"),
    ],
)
def test_unnamed_and_author_claimers(seed, proposition, kind):
    record, text = seed
    start = text.index(proposition)
    [claim] = [claim for claim in record["claims"] if claim["start"] == start]
    assert (claim["claimer"]["kind"], claim["stance"]) == (kind, "SUPPORT")


def test_hypotheticals_and_frames_are_not_claims(seed):
    record, text = seed
    for sentence in ("Se realizzato, sarebbe il loro terzo incontro al vertice", "I commenti di Kim arrivano mentre"):
        start = text.index(sentence)
        assert not [
            claim for claim in record["claims"] if claim["start"] < start + len(sentence) and start < claim["end"]
        ], sentence


# --- the guidelines ------------------------------------------------------------------------------------------------


def test_guidelines_cover_every_label_of_the_inventory():
    guidelines = GUIDELINES.read_text(encoding="utf-8")
    inventory = load_inventory()
    for name in inventory.entity_names:
        assert f"### {name} " in guidelines, name
    for name in [inventory.claim_label.name, *inventory.claimer_kind_names, *inventory.stance_names]:
        assert f"`{name}`" in guidelines, name
