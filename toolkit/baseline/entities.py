"""Entity rules: lexicon names, date and quantity patterns, cue words, and capitalised sequences.

Candidates come in two tiers. Tier 0 is what the baseline is sure of (a lexicon
name, a date, a quantity, a name whose first word says what it is, a place noun
followed by its name); tier 1 is a guess from capitalisation and the words
before it (a title before a person, a media noun before an outlet, an acronym,
a preposition before a place).  Overlaps are resolved tier first, then longest
span, then leftmost, so every character belongs to at most one entity.

Mentions learned from annotators (``learned``: exact text → label, see
``toolkit.labelstudio.backend.lexicon``) come before both tiers: what people
marked in this project outranks any rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

from toolkit.baseline.lexicon import Lexicon, load_lexicon
from toolkit.baseline.text import Token, sentences, tokens

LEARNED, SURE, GUESS = -1, 0, 1
MAX_ADJECTIVES_AFTER_CUE = 3
TITLE_COMPLEMENT_WORDS = frozenset({"del", "della", "dell", "dei", "degli", "delle", "dello", "ex"})


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    label: str
    tier: int = SURE

    def record(self, text: str) -> dict:
        return {"start": self.start, "end": self.end, "label": self.label, "text": text[self.start : self.end]}


def _alternation(words) -> str:
    return "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in sorted(words, key=len, reverse=True))


@cache
def _date_pattern(lexicon: Lexicon) -> re.Pattern:
    month = f"(?:{_alternation(lexicon.raw['months'])})"
    weekday = f"(?:{_alternation(lexicon.raw['weekdays'])})"
    period = f"(?:{_alternation(lexicon.raw['date_periods'])})"
    relative = f"(?:{_alternation(lexicon.raw['date_relatives'])})"
    edge = f"(?:{_alternation(lexicon.raw['date_edges'])})"
    article = r"(?:(?:il|lo|la|l['’])\s*)"
    year = r"(?:19|20)\d{2}"
    alternatives = [
        rf"\d{{1,2}}\s+{month}(?:\s+(?:del\s+)?{year})?",
        rf"{month}\s+(?:dello|del)\s+{relative}\s+anno",
        rf"{article}?{relative}\s+(?:{month}|{weekday}|{period})",
        rf"{article}?(?:{month}|{weekday}|{period})\s+{relative}",
        rf"{edge}\s+(?:{month}|{period}|{year})",
        rf"{month}\s+{year}",
        rf"{month}|{weekday}|{year}|{_alternation(lexicon.raw['date_words'])}",
    ]
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)", re.IGNORECASE)


@cache
def _number_pattern(lexicon: Lexicon) -> re.Pattern:
    number = rf"\d+(?:[.,]\d+)*|{_alternation(lexicon.raw['number_words'])}"
    scale = _alternation(lexicon.raw["scale_words"])
    return re.compile(rf"(?<![\w.,])(?:{number})(?:\s+(?:{scale}))?(?![\w])", re.IGNORECASE)


@cache
def _names_pattern(lexicon: Lexicon) -> re.Pattern:
    return re.compile(rf"(?<![\w-])(?:{_alternation(lexicon.names)})(?![\w-])")


@lru_cache(maxsize=16)
def _learned_pattern(names: frozenset[str]) -> re.Pattern:
    """Case-sensitive, whole words; unlike the built-in names, a hyphen may end a learned one, as annotators mark
    ``Cina`` in ``Cina-Vietnam`` (a longer learned name, ``Emilia-Romagna``, still wins where it matches)."""
    return re.compile(rf"(?<!\w)(?:{_alternation(names)})(?!\w)")


def _learned_entities(text: str, learned: Mapping[str, str]) -> list[Entity]:
    if not learned:
        return []
    by_form = {re.sub(r"\s+", " ", name): label for name, label in learned.items()}
    return [
        Entity(m.start(), m.end(), by_form[re.sub(r"\s+", " ", m.group())], LEARNED)
        for m in _learned_pattern(frozenset(learned)).finditer(text)
    ]


def _regex_entities(text: str, lexicon: Lexicon) -> list[Entity]:
    found = [Entity(m.start(), m.end(), lexicon.label("date")) for m in _date_pattern(lexicon).finditer(text)]
    found += [
        Entity(m.start(), m.end(), lexicon.names[re.sub(r"\s+", " ", m.group())])
        for m in _names_pattern(lexicon).finditer(text)
    ]
    found += _quantities(text, lexicon)
    return found


def _quantities(text: str, lexicon: Lexicon) -> list[Entity]:
    """A number (optionally with mila/milioni) followed by %, ``per cento`` or a counted lower-case noun;
    a period noun makes it a date.
    """
    skip = lexicon.words("function_words") | lexicon.words("months") | lexicon.words("weekdays")
    periods = {"anni", "anno", "mesi", "mese", "giorni", "giorno", "settimane", "ore", "decenni", "secoli"}
    found = []
    for match in _number_pattern(lexicon).finditer(text):
        rest = text[match.end() :]
        unit = re.match(r"\s*(%|per cento)|\s+(di\s+)?([^\W\d_]{2,})(?!\w)", rest)
        if unit is None:
            continue
        if unit.group(1):
            found.append(Entity(match.start(), match.end() + unit.end(), lexicon.label("quantity")))
            continue
        noun = unit.group(3)
        has_scale = re.search(r"\s", match.group()) is not None
        if noun[0].isupper() or noun.lower() in skip or (unit.group(2) and not has_scale):
            continue
        label = lexicon.label("date") if noun.lower() in periods else lexicon.label("quantity")
        found.append(Entity(match.start(), match.end() + unit.end(), label))
    return found


def _cue_entities(text: str, lexicon: Lexicon) -> list[Entity]:
    """A place or facility noun followed by a demonym adjective or by ``di`` + a capitalised name:
    ``penisola iberica``, ``lago di Como``.
    """
    found = []
    roles = {
        **{noun: "location" for noun in lexicon.raw["location_nouns"]},
        **{noun: "facility" for noun in lexicon.raw["facility_nouns"]},
    }
    nouns = _alternation(roles)
    adjectives = _alternation(lexicon.demonym_forms)
    pattern = re.compile(
        rf"(?<!\w)({nouns})\s+(?:(?:{adjectives})(?!\w)|(?:di|del|della|dello|d['’])\s*[^\W\d_]*[A-ZÀ-Ý][^\W\d_]*(?:[\s-][A-ZÀ-Ý][^\W\d_]*)*)"
    )
    for match in pattern.finditer(text):
        found.append(Entity(match.start(), match.end(), lexicon.label(roles[match.group(1)])))
    return found


def _is_name_token(token: Token, first_in_sentence: bool, lexicon: Lexicon) -> bool:
    if not (token.is_word and token.is_capitalised):
        return False
    lower = token.lower
    if lower in lexicon.words("months") or lower in lexicon.words("weekdays"):
        return False
    return not (first_in_sentence and lower in lexicon.words("function_words"))


def capitalised_sequences(text: str, lexicon: Lexicon) -> list[tuple[list[Token], list[Token]]]:
    """Runs of capitalised words (joined by di/del/de/von…), each with the sentence's tokens
    (the run starts at ``sentence_tokens.index(run[0])``).
    """
    connectors = lexicon.words("name_connectors")
    runs = []
    for start, end in sentences(text):
        sentence_tokens = tokens(text, start, end)
        index = 0
        while index < len(sentence_tokens):
            if not _is_name_token(
                sentence_tokens[index], index == 0 or sentence_tokens[index - 1].text in '“«"”:', lexicon
            ):
                index += 1
                continue
            run = [sentence_tokens[index]]
            cursor = index + 1
            while cursor < len(sentence_tokens):
                token = sentence_tokens[cursor]
                if _is_name_token(token, False, lexicon) and token.start - run[-1].end <= 1:
                    run.append(token)
                    cursor += 1
                    continue
                joined = cursor
                if token.lower in connectors and not token.is_capitalised:
                    joined += 1
                    if joined < len(sentence_tokens) and sentence_tokens[joined].text in "'’":
                        joined += 1
                if (
                    joined != cursor
                    and joined < len(sentence_tokens)
                    and _is_name_token(sentence_tokens[joined], False, lexicon)
                ):
                    run.extend(sentence_tokens[cursor : joined + 1])
                    cursor = joined + 1
                    continue
                break
            runs.append((run, sentence_tokens))
            index = cursor
    return runs


def _after_cue(before: list[Token], cues: frozenset[str], lexicon: Lexicon, skip_lowercase: bool) -> bool:
    """True when a cue word precedes the run, past demonyms (``presidente russo``),
    title complements (``ministro della Difesa``) or adjectives.
    """
    demonyms = lexicon.demonym_forms
    skipped = 0
    position = len(before) - 1
    while position >= 0 and skipped <= MAX_ADJECTIVES_AFTER_CUE:
        token = before[position]
        if token.lower in cues:
            return True
        title_complement = (
            token.is_capitalised and position > 0 and before[position - 1].lower in TITLE_COMPLEMENT_WORDS
        )
        if title_complement:
            position -= 2
        elif _skippable_after_cue(token, demonyms, lexicon, skip_lowercase):
            position -= 1
        else:
            return False
        skipped += 1
    return False


def _skippable_after_cue(token: Token, demonyms: frozenset[str], lexicon: Lexicon, skip_lowercase: bool) -> bool:
    """A demonym always (``presidente russo``); with ``skip_lowercase``,
    any lower-case content word (``quotidiano economico``).
    """
    if not token.is_word or token.is_capitalised:
        return False
    return token.lower in demonyms or (
        skip_lowercase and (token.lower in {"di", "stampa"} or token.lower not in lexicon.words("function_words"))
    )


HEAD_ROLES = (
    ("organisation_heads", "organisation"),
    ("event_heads", "event"),
    ("facility_heads", "facility"),
    ("location_heads", "location"),
)


def _classify(run: list[Token], before: list[Token], lexicon: Lexicon) -> tuple[str, int] | None:
    """The (label, tier) of a capitalised run from its first word and the words before it, or None when nothing says."""
    first = run[0].text
    for key, role in HEAD_ROLES:
        if first in lexicon.raw[key] and len(run) > 1:
            return lexicon.label(role), SURE
    connectors = lexicon.words("name_connectors")
    words = [token for token in run if token.is_word and token.lower not in connectors]
    if _after_cue(before, lexicon.words("person_titles"), lexicon, skip_lowercase=False):
        return lexicon.label("person"), GUESS
    if _after_cue(before, lexicon.words("media_nouns"), lexicon, skip_lowercase=True):
        return lexicon.label("organisation"), GUESS
    if len(words) == 1 and len(first) >= 2 and first.isupper():
        return lexicon.label("organisation"), GUESS
    if len(words) >= 2:
        return lexicon.label("person"), GUESS
    return None


def _demonyms(text: str, lexicon: Lexicon) -> list[Entity]:
    forms = lexicon.demonym_forms
    return [
        Entity(token.start, token.end, lexicon.label("group"))
        for token in tokens(text)
        if token.is_word and token.text in forms
    ]


def _covered(entities: list[Entity], length: int) -> bytearray:
    """One byte per character of the text, 1 where one of ``entities`` is."""
    covered = bytearray(length)
    for entity in entities:
        covered[entity.start : entity.end] = b"\x01" * (entity.end - entity.start)
    return covered


def _split_around(
    run: list[Token], sentence_tokens: list[Token], sure: bytearray
) -> list[tuple[list[Token], list[Token]]]:
    """The parts of a run not covered by a sure entity (``della Cgil Anna Ferri`` → ``Anna Ferri``),
    each with the tokens before it; ``sure`` marks the characters sure entities cover (`_covered`).
    """
    parts: list[list[Token]] = [[]]
    for token in run:
        if sure.find(1, token.start, token.end) >= 0:
            parts.append([])
        else:
            parts[-1].append(token)
    connectors = {"di", "del", "della", "de", "da", "d", "'", "’"}
    trimmed = []
    for part in parts:
        while part and (part[0].lower in connectors or not part[0].is_word):
            part = part[1:]
        while part and (part[-1].lower in connectors or not part[-1].is_word):
            part = part[:-1]
        if part:
            trimmed.append((part, sentence_tokens[: sentence_tokens.index(part[0])]))
    return trimmed


def find_entities(text: str, lexicon: Lexicon | None = None, learned: Mapping[str, str] | None = None) -> list[Entity]:
    """Every entity the rules find in ``text``, sorted, without overlaps; ``learned`` mentions first."""
    lexicon = lexicon or load_lexicon()
    candidates = (
        _learned_entities(text, learned or {})
        + _regex_entities(text, lexicon)
        + _cue_entities(text, lexicon)
        + _demonyms(text, lexicon)
    )
    runs = []
    for run, sentence_tokens in capitalised_sequences(text, lexicon):
        head = _classify(run, sentence_tokens[: sentence_tokens.index(run[0])], lexicon)
        if head is not None and head[1] == SURE:
            candidates.append(Entity(run[0].start, run[-1].end, *head))
        else:
            runs.append((run, sentence_tokens))
    sure = _covered(_resolve(candidates), len(text))
    person = lexicon.label("person")
    undecided = []
    for part, before in (
        part for whole, sentence_tokens in runs for part in _split_around(whole, sentence_tokens, sure)
    ):
        decided = _classify(part, before, lexicon)
        if decided is None:
            undecided.append((part, before))
        else:
            candidates.append(Entity(part[0].start, part[-1].end, *decided))
    chosen = _resolve(candidates)
    known_parts = {
        token.text
        for entity in chosen
        if entity.label == person
        for token in tokens(text, entity.start, entity.end)
        if token.is_capitalised
    }
    locatives = lexicon.words("locative_prepositions")
    for run, before in undecided:
        word = run[0]
        if word.text in known_parts:
            candidates.append(Entity(word.start, word.end, person, GUESS))
        elif before and before[-1].lower in locatives:
            candidates.append(Entity(word.start, word.end, lexicon.label("place"), GUESS))
    return _resolve(candidates)


def _resolve(candidates: list[Entity]) -> list[Entity]:
    """The candidates that overlap no better one (by tier, then length, then position), in text order.

    Which characters are taken is kept in a byte per character, so each candidate costs its own length, not the
    number of entities taken before it: linear in the text (comparing with every taken entity was quadratic)."""
    taken: list[Entity] = []
    occupied = bytearray(max((candidate.end for candidate in candidates), default=0))
    for candidate in sorted(candidates, key=lambda e: (e.tier, -(e.end - e.start), e.start)):
        if occupied.find(1, candidate.start, candidate.end) < 0:
            occupied[candidate.start : candidate.end] = b"\x01" * (candidate.end - candidate.start)
            taken.append(candidate)
    return sorted(taken, key=lambda e: (e.start, e.end))
