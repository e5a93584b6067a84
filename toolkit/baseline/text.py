"""Words, sentences and quotations with code-point offsets: the units the baseline's rules read."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

TOKEN_PATTERN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\d+(?:[.,]\d+)*%?|[^\w\s]")
TERMINATOR_PATTERN = re.compile(r"[.!?…]+")
ABBREVIATIONS = frozenset(
    {"sig", "dott", "prof", "avv", "ing", "on", "sen", "gen", "col", "st", "ecc", "art", "n", "p", "dr", "mons", "ca"}
)
OPENING_QUOTES = {"“": "”", "«": "»"}
CLOSING_QUOTES = {"”", "»"}
TOGGLE_QUOTES = {'"', "”"}


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def is_word(self) -> bool:
        return self.text[0].isalpha()

    @property
    def is_capitalised(self) -> bool:
        return self.text[0].isupper()


def tokens(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Words, numbers and single punctuation marks of ``text[start:end]``, with offsets into ``text``."""
    return [
        Token(match.start(), match.end(), match.group())
        for match in TOKEN_PATTERN.finditer(text, start, len(text) if end is None else end)
    ]


def quotations(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of the words inside each quotation (“…”, «…», "…"; a lone ” opens as well as closes)."""
    spans = []
    opened: tuple[int, str] | None = None
    for position, char in enumerate(text):
        if opened is None:
            if char in OPENING_QUOTES or char in TOGGLE_QUOTES:
                opened = (position, OPENING_QUOTES.get(char, char))
        elif char == opened[1] or (char in CLOSING_QUOTES and opened[1] in CLOSING_QUOTES):
            spans.append((opened[0] + 1, position))
            opened = None
        elif char == "\n":
            opened = None
    return spans


def _inside(position: int, spans: list[tuple[int, int]], starts: list[int]) -> bool:
    """Whether ``position`` is in one of ``spans`` (disjoint, in text order; ``starts`` their starts): by bisection."""
    index = bisect.bisect_right(starts, position) - 1
    return index >= 0 and position < spans[index][1]


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans: split after . ! ? … followed by a capital, a quote or a line break;
    never inside a quotation or after an abbreviation.
    """
    quoted = quotations(text)
    starts = [start for start, _ in quoted]
    spans = []
    for paragraph in re.finditer(r"[^\n]+", text):
        start = paragraph.start()
        for match in TERMINATOR_PATTERN.finditer(text, paragraph.start(), paragraph.end()):
            after = match.end()
            following = text[after : paragraph.end()].lstrip('”»"’)')
            rest = following.lstrip()
            if rest and (following == rest or not (rest[0].isupper() or rest[0] in '“«"')):
                continue
            closes_quotation = after < len(text) and text[after] in '”»"'
            if _inside(match.start(), quoted, starts) and not closes_quotation:
                continue
            previous = re.search(r"(\w+)$", text[start : match.start()])
            if (
                match.group() == "."
                and previous
                and (
                    previous.group(1).lower() in ABBREVIATIONS
                    or (len(previous.group(1)) == 1 and previous.group(1).isupper())
                )
            ):
                continue
            end = after + (len(text[after : paragraph.end()]) - len(following))
            spans.append(_strip(text, start, end))
            start = end
        if text[start : paragraph.end()].strip():
            spans.append(_strip(text, start, paragraph.end()))
    return spans


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
