"""Italian tokenization by spaCy's rule-based tokenizer (no model download).

spaCy's Italian rules split elisions (``l’espansione`` → ``l’`` + ``espansione``),
punctuation and curly quotes; offsets are code points into the text.
"""

from __future__ import annotations

from functools import cache


@cache
def _tokenizer(lang: str):
    import spacy

    return spacy.blank(lang).tokenizer


def token_spans(text: str, lang: str = "it") -> list[tuple[int, int]]:
    """``(start, end)`` of every non-space token, end-exclusive."""
    return [(token.idx, token.idx + len(token.text)) for token in _tokenizer(lang)(text) if not token.is_space]
