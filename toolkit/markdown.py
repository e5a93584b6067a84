"""User-supplied text put into Markdown safely: one rule for the card, the leaderboard and the agreement report."""

from __future__ import annotations

import html
import re

MARKDOWN_MARKS = re.compile(r"([\\`*_\[\]|~#])")  # what can open markup, a link, code or a new table cell


def md_text(value: object, newline: str = " ") -> str:
    """Text made inert in a Markdown table cell: HTML escaped, Markdown marks backslash-escaped, on one line.

    Line breaks become ``newline`` (a space by default; the agreement report shows them as `` ↵ ``).
    """
    text = re.sub(r"\s*\n\s*", newline, str(value).strip())
    text = re.sub(r"[ \t]+", " ", text)
    return MARKDOWN_MARKS.sub(r"\\\1", html.escape(text, quote=False))
