"""Italian tokenization by spaCy's rule-based tokenizer (no model download).

spaCy's Italian rules split elisions (``l’espansione`` → ``l’`` + ``espansione``),
punctuation and curly quotes; offsets are code points into the text.  Two gaps of
those rules are filled here: common news abbreviations (``dott.``, ``sen.``,
``S.p.A.``) stay one token, so that a sentence never ends inside them, and an
opening quote after an elision (``all’“Ansa”``) is split off like any other.
"""

from __future__ import annotations

from functools import cache

# Abbreviations an Italian news text uses before a name or a number; spaCy knows some (``prof.``, ``ecc.``) but
# not these.
ABBREVIATIONS = (
    "dott.",
    "dott.ssa",
    "sig.",
    "sigg.",
    "sig.ra",
    "sig.na",
    "on.",
    "sen.",
    "ing.",
    "arch.",
    "prof.ssa",
    "mons.",
    "gen.",
    "magg.",
    "ten.",
    "amm.",
    "geom.",
    "rag.",
    "cav.",
    "pres.",
    "dr.",
    "mr.",
    "mrs.",
    "cfr.",
    "ca.",
    "vol.",
    "pagg.",
    "nn.",
    "tab.",
    "fig.",
    "cit.",
    "p.es.",
    "vs.",
    "nr.",
    "num.",
    "lett.",
    "s.p.a.",
    "S.p.A.",
    "s.r.l.",
    "S.r.l.",
    "s.n.c.",
    "s.a.s.",
    "d.lgs.",
    "d.l.",
    "d.p.r.",
)
ELISION_THEN_QUOTE = r"(?<=[’'][“«‘\"])(?=\w)"
APOSTROPHE_THEN_QUOTE = r"(?<=\w[’'])(?=[“«‘\"])"


def _spellings(abbreviation: str) -> set[str]:
    return {abbreviation, abbreviation[0].upper() + abbreviation[1:], abbreviation.upper()}


@cache
def _language(lang: str):
    """A blank spaCy pipeline whose tokenizer carries the extra rules above (for Italian)."""
    import spacy
    from spacy.symbols import ORTH
    from spacy.util import compile_infix_regex

    nlp = spacy.blank(lang)
    if lang == "it":
        for abbreviation in ABBREVIATIONS:
            for spelling in _spellings(abbreviation):
                nlp.tokenizer.add_special_case(spelling, [{ORTH: spelling}])
        infixes = [*nlp.Defaults.infixes, APOSTROPHE_THEN_QUOTE, ELISION_THEN_QUOTE]
        nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    return nlp


def tokenizer(lang: str = "it"):
    """The configured spaCy tokenizer for a language (cached)."""
    return _language(lang).tokenizer


def token_spans(text: str, lang: str = "it") -> list[tuple[int, int]]:
    """``(start, end)`` of every non-space token, end-exclusive."""
    return [(token.idx, token.idx + len(token.text)) for token in tokenizer(lang)(text) if not token.is_space]
