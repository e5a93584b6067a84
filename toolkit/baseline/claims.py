"""Claim rules: reporting constructions, ``secondo X``, post-posed attributions and quotations.

For each sentence the rules look for a reporting verb (``ha affermato``,
``dicono``, ``ha negato``…) and take as the claim what it introduces: the
``che`` clause, the quotation or text after a colon, or the object of a
confirmation/denial verb.  A post-posed attribution (``…, riporta l'ANSA.``,
``“…”, ha detto X.``) makes the text before the comma the claim.  The claimer
is the nearest named entity in the verb's subject (or right after an inverted
verb); a subject without a name is ``UNNAMED``; first-person reporting by the
newsroom is ``AUTHOR``.  Stance is the assertion stance unless the verb denies
(REFUTE-type) or is negated (withheld, NEUTRAL-type); the names come from the
lexicon, which checks them against the inventory.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from toolkit.baseline.entities import Entity
from toolkit.baseline.lexicon import Lexicon, load_lexicon
from toolkit.baseline.text import Token, quotations, sentences, tokens

COMPLEMENT_LOOKAHEAD = 8
INVERTED_SUBJECT_LOOKAHEAD = 4
ADVERBS = frozenset(
    {"anche", "già", "poi", "inoltre", "più", "volte", "ancora", "sempre", "invece", "oggi", "ieri", "però"}
)
ARTICLES = frozenset(
    {
        "il",
        "lo",
        "la",
        "i",
        "gli",
        "le",
        "l",
        "un",
        "uno",
        "una",
        "questo",
        "questa",
        "queste",
        "questi",
        "quelle",
        "quella",
        "ogni",
        "alcune",
        "alcuni",
        "tali",
    }
)
SECONDO_BLOCKERS = frozenset({"un", "il", "del", "al", "nel", "lo", "dal", "suo", "sua", "loro", "quel", "uno"})
BOUNDARY_MARKS = frozenset({",", ";", ":", "(", ")", "“", "”", "«", "»", '"', "—", "–"})
TRAILING = " \t\n.,;:!?"


@dataclass
class Claim:
    start: int
    end: int
    stance: str
    claimer: str | Entity

    def record(self, text: str) -> dict:
        claimer = self.claimer
        if isinstance(claimer, Entity):
            claimer = {"start": claimer.start, "end": claimer.end, "text": text[claimer.start : claimer.end]}
        return {
            "start": self.start,
            "end": self.end,
            "text": text[self.start : self.end],
            "stance": self.stance,
            "claimer": claimer,
        }


@dataclass
class Sentence:
    start: int
    end: int
    tokens: list[Token]
    claims: list[Claim] = field(default_factory=list)


def _phrases(words) -> list[tuple[str, ...]]:
    return sorted((tuple(word.split()) for word in words), key=len, reverse=True)


class ClaimFinder:
    """Applies the claim rules to one document."""

    def __init__(self, text: str, entities: list[Entity], lexicon: Lexicon):
        self.text = text
        self.lexicon = lexicon
        claimers = (entity for entity in entities if entity.label in lexicon.raw["claimer_labels"])
        self.claimer_entities = sorted(claimers, key=lambda entity: (entity.start, entity.end))
        self.claimer_starts = [entity.start for entity in self.claimer_entities]
        self.verbs = {
            phrase: role for role, words in lexicon.raw["reporting_verbs"].items() for phrase in _phrases(words)
        }
        self.verb_phrases = sorted(self.verbs, key=len, reverse=True)
        self.phrases_by_first: dict[str, list[tuple[str, ...]]] = {}  # the same order, looked up by first word
        for phrase in self.verb_phrases:
            self.phrases_by_first.setdefault(phrase[0], []).append(phrase)
        self.object_verbs = lexicon.words("object_verbs")
        self.auxiliaries = lexicon.words("auxiliaries")
        self.negations = lexicon.words("negations")
        self.openers = lexicon.words("clause_openers")
        self.quotes = quotations(text)
        self.quote_spans = set(self.quotes)
        self.quote_opening = {start - 1: (start, end) for start, end in reversed(self.quotes)}  # the first one wins
        self.last_claimer: Entity | None = None

    # --- small helpers -------------------------------------------------
    def _verb_at(self, words: list[str], index: int) -> tuple[str, ...] | None:
        for phrase in self.phrases_by_first.get(words[index], ()):
            if tuple(words[index : index + len(phrase)]) == phrase:
                return phrase
        return None

    def _entities_in(self, start: int, end: int) -> list[Entity]:
        """The claimer entities inside ``[start, end)``, found by bisection (the document may hold thousands)."""
        found = []
        for entity in self.claimer_entities[bisect.bisect_left(self.claimer_starts, start) :]:
            if entity.start >= end:
                break
            if entity.end <= end:
                found.append(entity)
        return found

    def _trim(self, start: int, end: int) -> tuple[int, int]:
        while start < end and self.text[start] in TRAILING:
            start += 1
        while end > start and self.text[end - 1] in TRAILING:
            end -= 1
        if (start + 1, end - 1) in self.quote_spans:
            return start + 1, end - 1
        return start, end

    def _quote_at(self, position: int) -> tuple[int, int] | None:
        """The quotation whose opening mark is at ``position``."""
        return self.quote_opening.get(position)

    def _subject_claimer(self, sentence: Sentence, verb_start_index: int) -> str | Entity:
        """The last named entity in the clause before the verb; none named → UNNAMED;
        empty subject → the paragraph's last claimer.
        """
        boundary = self._boundary_before(sentence, verb_start_index)
        subject = sentence.tokens[boundary + 1 : verb_start_index]
        if not subject and boundary >= 0 and sentence.tokens[boundary].text == ",":
            incidental = self._boundary_before(sentence, boundary)
            if incidental >= 0 and sentence.tokens[incidental].text == ",":
                subject = sentence.tokens[self._boundary_before(sentence, incidental) + 1 : incidental]
        if not subject:
            return self.last_claimer or self.lexicon.claimer("unnamed")
        named = self._entities_in(subject[0].start, subject[-1].end)
        if not named:
            return self.lexicon.claimer("unnamed")
        preferred = [entity for entity in named if entity.label != self.lexicon.label("group")] or named
        return preferred[-1]

    def _boundary_before(self, sentence: Sentence, index: int) -> int:
        """Index of the nearest clause boundary (punctuation or ``che``/``mentre``…) before token ``index``;
        -1 at the sentence start.
        """
        index -= 1
        while (
            index >= 0
            and sentence.tokens[index].text not in BOUNDARY_MARKS
            and sentence.tokens[index].lower not in self.openers
        ):
            index -= 1
        return index

    def _inverted_claimer(self, sentence: Sentence, after_index: int) -> str | Entity:
        window = sentence.tokens[after_index : after_index + INVERTED_SUBJECT_LOOKAHEAD]
        if not window:
            return self.lexicon.claimer("unnamed")
        named = self._entities_in(window[0].start, sentence.end)
        return next((entity for entity in named if entity.start <= window[-1].start), self.lexicon.claimer("unnamed"))

    def _stance(self, role: str, negated: bool) -> str:
        if negated:
            return self.lexicon.stance("withhold")
        return self.lexicon.stance(role)

    def _add(self, sentence: Sentence, start: int, end: int, stance: str, claimer: str | Entity) -> None:
        start, end = self._trim(start, end)
        if len(self.text[start:end].split()) < 2:
            return
        if any(claim.start == start and claim.end == end for claim in sentence.claims):
            return
        sentence.claims.append(Claim(start, end, stance, claimer))
        if isinstance(claimer, Entity):
            self.last_claimer = claimer

    # --- rules ------------------------------------------------------------
    def _tail_start(self, sentence: Sentence) -> tuple[int, int, tuple[str, ...]] | None:
        """A post-posed attribution ``…, riporta X.`` / ``…, ha detto X.``:
        (comma token index, verb token index, verb).
        """
        words = [token.lower for token in sentence.tokens]
        for comma in range(len(words) - 1, 0, -1):
            if words[comma] != ",":
                continue
            verb_index = comma + 1
            if verb_index < len(words) and words[verb_index] == "come":
                verb_index += 1
            if verb_index < len(words) and words[verb_index] in self.auxiliaries:
                verb_index += 1
            phrase = self._verb_at(words, verb_index)
            rest = words[verb_index:]
            if phrase and "che" not in rest and ":" not in rest:
                return comma, verb_index, phrase
            if words[comma + 1] == "secondo" and not set(rest) & {"che", ",", ":"}:
                return comma, comma + 1, ("secondo",)
        return None

    def find(self, sentence: Sentence) -> None:
        words = [token.lower for token in sentence.tokens]
        tail = self._tail_start(sentence)
        clause_end = sentence.tokens[tail[0]].start if tail else sentence.end
        self._reporting_verbs(sentence, words, clause_end, tail)
        self._impersonal(sentence, words, clause_end)
        self._secondo(sentence, words, clause_end, tail)
        if tail:
            self._tail(sentence, words, tail)

    def _reporting_verbs(self, sentence: Sentence, words: list[str], clause_end: int, tail) -> None:
        index = 0
        while index < len(words):
            phrase = self._verb_at(words, index)
            if phrase is None or (tail and tail[1] == index):
                index += 1
                continue
            group_start = index
            while group_start > 0 and (words[group_start - 1] in ADVERBS or words[group_start - 1] in self.auxiliaries):
                group_start -= 1
            negated = group_start > 0 and words[group_start - 1] in self.negations
            subject_start = group_start - 1 if negated else group_start
            claimer = self._subject_claimer(sentence, subject_start)
            subject_tokens = sentence.tokens[:subject_start]
            negated = negated or any(token.lower == "né" for token in subject_tokens[-8:])
            stance = self._stance(self.verbs[phrase], negated)
            after = index + len(phrase)
            self._complement(sentence, words, after, clause_end, stance, claimer, phrase)
            index = after

    def _complement(
        self, sentence: Sentence, words: list[str], after: int, clause_end: int, stance: str, claimer, phrase
    ) -> None:
        for offset in range(COMPLEMENT_LOOKAHEAD):
            position = after + offset
            if position >= len(words) or words[position] in {".", ";", "“", "”", "«", "»", '"'}:
                break
            if words[position] == "che":
                if position + 1 < len(words):
                    self._add(sentence, sentence.tokens[position + 1].start, clause_end, stance, claimer)
                return
            if words[position] == ":":
                if position + 1 < len(words):
                    following = sentence.tokens[position + 1]
                    quote = self._quote_at(following.start)
                    end = quote[1] if quote else clause_end
                    self._add(sentence, quote[0] if quote else following.start, end, stance, claimer)
                return
        if " ".join(phrase) in self.object_verbs and after < len(words) and words[after] in ARTICLES:
            self._add(sentence, sentence.tokens[after].start, clause_end, stance, claimer)

    def _impersonal(self, sentence: Sentence, words: list[str], clause_end: int) -> None:
        for key, role in (("impersonal_reporting", "unnamed"), ("author_reporting", "author")):
            for phrase in _phrases(self.lexicon.raw[key]):
                for index in range(len(words) - len(phrase)):
                    if tuple(words[index : index + len(phrase)]) == phrase and words[index + len(phrase)] == "che":
                        after = index + len(phrase) + 1
                        if after < len(words):
                            self._add(
                                sentence,
                                sentence.tokens[after].start,
                                clause_end,
                                self.lexicon.stance("assert"),
                                self.lexicon.claimer(role),
                            )

    def _secondo(self, sentence: Sentence, words: list[str], clause_end: int, tail) -> None:
        """``Secondo X, CLAIM.`` (the post-posed ``…, secondo X.`` is a tail)."""
        for index, word in enumerate(words):
            if word != "secondo" or (index > 0 and words[index - 1] in SECONDO_BLOCKERS) or (tail and tail[1] == index):
                continue
            if index > 0 and words[index - 1] not in BOUNDARY_MARKS:
                continue
            comma = next((position for position in range(index + 1, len(words)) if words[position] in {",", ":"}), None)
            if comma is None or comma + 1 >= len(words):
                continue
            source_tokens = sentence.tokens[index + 1 : comma]
            named = self._entities_in(source_tokens[0].start, source_tokens[-1].end) if source_tokens else []
            claimer = named[-1] if named else self.lexicon.claimer("unnamed")
            following = sentence.tokens[comma + 1]
            quote = self._quote_at(following.start)
            start, end = quote if quote else (following.start, clause_end)
            self._add(sentence, start, end, self.lexicon.stance("assert"), claimer)

    def _tail(self, sentence: Sentence, words: list[str], tail) -> None:
        comma, verb_index, phrase = tail
        comma_position = sentence.tokens[comma].start
        if any(claim.end >= comma_position - 1 for claim in sentence.claims):
            return
        before = sentence.tokens[comma - 1]
        quote = next(
            ((start, end) for start, end in self.quotes if end == before.start and sentence.start <= start), None
        )
        start, end = quote if quote else (sentence.start, comma_position)
        negated = verb_index > 0 and words[verb_index - 1] in self.negations
        stance = self._stance(self.verbs.get(phrase, "assert"), negated)
        self._add(sentence, start, end, stance, self._inverted_claimer(sentence, verb_index + len(phrase)))


def find_claims(text: str, entities: list[Entity], lexicon: Lexicon | None = None) -> list[Claim]:
    """Every claim the rules find in ``text``, in text order."""
    lexicon = lexicon or load_lexicon()
    finder = ClaimFinder(text, entities, lexicon)
    claims: list[Claim] = []
    paragraph_end = -1
    for start, end in sentences(text):
        if text.rfind("\n", 0, start) > paragraph_end:
            finder.last_claimer = None
            paragraph_end = text.rfind("\n", 0, start)
        sentence = Sentence(start, end, tokens(text, start, end))
        finder.find(sentence)
        claims.extend(sentence.claims)
    return sorted(claims, key=lambda claim: (claim.start, claim.end))
