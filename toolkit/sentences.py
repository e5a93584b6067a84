"""Rule-based Italian sentence segmentation on spaCy's tokens (no model download).

spaCy's ``sentencizer`` ends a sentence at every full stop, glues an opening
quote to the sentence before it (``ha negato! “``) and ignores line breaks.
News needs three more rules, applied here on the same tokens the dataset uses:

- a line break always ends a sentence (titles, paragraphs);
- closing quotes and brackets written right after the final punctuation belong
  to the sentence (``… a Roma.»``), but a quote after a space opens the next one;
- a sentence does not end before a lowercase word (``“È falso.” ha detto``),
  which also keeps unknown abbreviations inside their sentence.

Abbreviations (``dott.``, ``S.p.A.``) are single tokens (see `toolkit.tokenize`)
and so never end a sentence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from toolkit.bio import Mention, resolve_overlaps
from toolkit.tokenize import tokenizer

Span = tuple[int, int]
TERMINAL = frozenset(".!?…")
CLOSING = frozenset("»”’\"')]")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    tokens: tuple[Span, ...]


def _is_terminal(token: str) -> bool:
    return all(char in TERMINAL for char in token)


def _starts_lowercase(token: str) -> bool:
    """Whether the token's first letter or digit is a lowercase letter."""
    for char in token:
        if char.isalnum():
            return char.islower()
    return False


def _next_word(text: str, tokens: list[Span], index: int) -> str:
    """The text of the first token from ``index`` on that holds a letter or a digit ('' if none)."""
    for start, end in tokens[index:]:
        word = text[start:end]
        if any(char.isalnum() for char in word):
            return word
    return ""


def split_sentences(text: str, tokens: list[Span]) -> list[Sentence]:
    """Group non-space token spans into sentences by the rules of the module docstring."""
    sentences: list[Sentence] = []
    first = 0
    index = 0
    while index < len(tokens):
        end_index = index
        start, end = tokens[index]
        if _is_terminal(text[start:end]):
            while (
                end_index + 1 < len(tokens)
                and tokens[end_index + 1][0] == tokens[end_index][1]
                and text[tokens[end_index + 1][0] : tokens[end_index + 1][1]] in CLOSING
            ):
                end_index += 1
        following = end_index + 1
        if following >= len(tokens):
            break
        gap = text[tokens[end_index][1] : tokens[following][0]]
        soft_end = end_index != index or _is_terminal(text[start:end])
        if "\n" in gap or (soft_end and gap and not _starts_lowercase(_next_word(text, tokens, following))):
            sentences.append(Sentence(tokens[first][0], tokens[end_index][1], tuple(tokens[first:following])))
            first = following
        index = following
    if first < len(tokens):
        sentences.append(Sentence(tokens[first][0], tokens[-1][1], tuple(tokens[first:])))
    return sentences


def merge_across(sentences: list[Sentence], spans: Iterable[Span]) -> tuple[list[Sentence], int]:
    """Join consecutive sentences that a span crosses; returns the sentences and how many joins were made."""
    crossing = list(spans)
    merged: list[Sentence] = []
    joins = 0
    for sentence in sentences:
        if merged and any(start < sentence.start < end for start, end in crossing):
            previous = merged.pop()
            sentence = Sentence(previous.start, sentence.end, previous.tokens + sentence.tokens)
            joins += 1
        merged.append(sentence)
    return merged, joins


def ner_sentences(
    text: str, lang: str, mentions: Iterable[Mention]
) -> tuple[list[Mention], list[Mention], list[Sentence], int]:
    """What the ``ner`` config is cut from: the mentions kept and dropped as overlapping (`resolve_overlaps`), the
    sentences joined so that no kept mention crosses one, and how many joins that took."""
    kept, dropped = resolve_overlaps(mentions)
    sentences, joins = merge_across(segment(text, lang), [(start, end) for start, end, _ in kept])
    return kept, dropped, sentences, joins


def segment(text: str, lang: str = "it") -> list[Sentence]:
    """Sentences of a text, on the tokens of `toolkit.tokenize`."""
    tokens = [(token.idx, token.idx + len(token.text)) for token in tokenizer(lang)(text) if not token.is_space]
    return split_sentences(text, tokens)
