"""Spans ⇄ IOB2 tags, token splitting, sentence rules and Italian tokenization."""

from __future__ import annotations

import itertools
import random

import pytest
from seqeval.metrics.sequence_labeling import get_entities

from toolkit.bio import resolve_overlaps, spans_to_tags, split_at, tags_to_spans
from toolkit.inventory import load_inventory
from toolkit.sentences import merge_across, segment
from toolkit.tokenize import token_spans


def _texts(text: str, spans) -> list[str]:
    return [text[start:end] for start, end in spans]


def test_tokenizer_splits_elisions_quotes_and_keeps_abbreviations():
    text = "Il dott. Rossi ha salutato l’espansione dell’“Ansa” e la Fiat S.p.A. («sì»)."
    assert _texts(text, token_spans(text)) == [
        "Il",
        "dott.",
        "Rossi",
        "ha",
        "salutato",
        "l’",
        "espansione",
        "dell’",
        "“",
        "Ansa",
        "”",
        "e",
        "la",
        "Fiat",
        "S.p.A.",
        "(",
        "«",
        "sì",
        "»",
        ")",
        ".",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Il dott. Rossi è arrivato. Poi è partito.", ["Il dott. Rossi è arrivato.", "Poi è partito."]),
        ("Ha detto: «Andremo a Roma.» Poi è partito.", ["Ha detto: «Andremo a Roma.»", "Poi è partito."]),
        ("Bianchi ha negato! “È falso.” ha detto.", ["Bianchi ha negato!", "“È falso.” ha detto."]),
        ("Titolo senza punto\nIl testo inizia qui.", ["Titolo senza punto", "Il testo inizia qui."]),
        ("Davvero?! Sì... 7.000 container.", ["Davvero?!", "Sì...", "7.000 container."]),
        ("La S.p.A. Fiat e il sen. Verdi sono d’accordo.", ["La S.p.A. Fiat e il sen. Verdi sono d’accordo."]),
    ],
)
def test_sentences_handle_abbreviations_quotes_and_line_breaks(text, expected):
    assert [text[sentence.start : sentence.end] for sentence in segment(text)] == expected


def test_sentences_cover_every_token_once():
    text = "Il 12 giugno Kim ha parlato. Putin ha accettato.\n\nLa Russia tace."
    sentences = segment(text)
    assert [token for sentence in sentences for token in sentence.tokens] == token_spans(text)


def test_sentences_are_joined_where_an_entity_crosses_them():
    text = "Lo ha detto il sig. X. Rossi. Poi basta."
    sentences = segment(text)
    boundary = sentences[0].end
    merged, joins = merge_across(sentences, [(boundary - 2, boundary + 3)])
    assert joins == 1 and len(merged) == len(sentences) - 1
    assert merged[0].start == sentences[0].start and merged[0].end == sentences[1].end


def test_split_at_cuts_tokens_at_boundaries_and_counts_them():
    tokens = [(0, 4), (5, 17), (18, 20)]  # "Nord Corea-Russia ok"
    result, count = split_at(tokens, [5, 10, 11, 17])
    assert result == [(0, 4), (5, 10), (10, 11), (11, 17), (18, 20)]
    assert count == 1


def test_overlapping_mentions_keep_the_earliest_then_longest():
    kept, dropped = resolve_overlaps([(10, 14, "LOC"), (0, 14, "GPE"), (20, 25, "PER"), (0, 5, "GPE")])
    assert kept == [(0, 14, "GPE"), (20, 25, "PER")]
    assert sorted(dropped) == [(0, 5, "GPE"), (10, 14, "LOC")]


def test_adjacent_mentions_of_one_label_stay_apart():
    tokens = [(0, 5), (5, 6), (6, 12)]
    mentions = [(0, 5, "GPE"), (6, 12, "GPE")]
    tags = spans_to_tags(tokens, mentions)
    assert tags == ["B-GPE", "O", "B-GPE"]
    assert tags_to_spans(tokens, ["B-GPE", "I-GPE", "B-GPE"]) == [(0, 6, "GPE"), (6, 12, "GPE")]


def test_stray_inside_tag_starts_a_mention_like_seqeval():
    tokens = [(0, 1), (2, 3), (4, 5), (6, 7)]
    tags = ["O", "I-PER", "I-PER", "B-ORG"]
    mine = [(tokens[first][0], tokens[last][1], label) for label, first, last in get_entities(tags)]
    assert tags_to_spans(tokens, tags) == mine == [(2, 5, "PER"), (6, 7, "ORG")]


def _random_case(rng: random.Random):
    labels = load_inventory().entity_names
    tokens, position = [], 0
    for _ in range(rng.randint(1, 40)):
        position += rng.randint(0, 2)
        length = rng.randint(1, 8)
        tokens.append((position, position + length))
        position += length
    cuts = sorted({rng.randint(0, position) for _ in range(rng.randint(0, 12))} | {start for start, _ in tokens[:1]})
    mentions, cursor = [], 0
    for start, end in itertools.pairwise(cuts):
        if start >= cursor and end > start and rng.random() < 0.5:
            mentions.append((start, end, rng.choice(labels)))
            cursor = end
    return tokens, mentions


def _trim(mention, tokens):
    """A mention shrunk to the tokens it covers (white space at its ends cannot be tagged)."""
    inside = [(start, end) for start, end in tokens if mention[0] <= start and end <= mention[1]]
    return (inside[0][0], inside[-1][1], mention[2]) if inside else None


def test_round_trip_on_random_data_and_agreement_with_seqeval():
    rng = random.Random(7)
    for _ in range(500):
        tokens, mentions = _random_case(rng)
        split, _ = split_at(tokens, [edge for start, end, _ in mentions for edge in (start, end)])
        tags = spans_to_tags(split, mentions)
        expected = [trimmed for trimmed in (_trim(mention, split) for mention in mentions) if trimmed]
        assert tags_to_spans(split, tags) == expected
        assert [(split[first][0], split[last][1], label) for label, first, last in get_entities(tags)] == expected
