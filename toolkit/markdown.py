"""User-supplied text put into Markdown safely: one rule for the card, the leaderboard and the agreement report.

Every string that comes from a file (a document's metadata, an annotator's name, a submission's name, a signature
or a note read from JSON) goes through `md_text`, or through `md_code` when it is shown as code.  Line breaks of every
kind (CR, CRLF, U+2028…) are folded, control characters and bidi overrides removed, HTML escaped and Markdown marks
backslash-escaped, so no value can end a table row, open a heading, a link or a tag.
"""

from __future__ import annotations

import html
import re

MARKDOWN_MARKS = re.compile(r"([\\`*_\[\]|~#])")  # what can open markup, a link, code or a new table cell
LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029]")
CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")


def _plain(value: object, newline: str) -> str:
    """One line of plain text: every line break becomes ``newline``, control characters are dropped."""
    text = CONTROLS.sub("", LINE_BREAKS.sub("\n", str(value))).strip()
    text = re.sub(r"\s*\n\s*", newline, text)
    return re.sub(r"[ \t]+", " ", text)


def md_text(value: object, newline: str = " ") -> str:
    """Text made inert in a Markdown table cell: HTML escaped, Markdown marks backslash-escaped, on one line.

    Line breaks become ``newline`` (a space by default; the agreement report shows them as `` ↵ ``).
    """
    return MARKDOWN_MARKS.sub(r"\\\1", html.escape(_plain(value, newline), quote=False))


def html_text(value: object) -> str:
    """Text made inert in HTML or SVG (the leaderboard page): escaped, quotes included, on one line, without
    control characters or bidi overrides (the same folding as `md_text`)."""
    return html.escape(_plain(value, " "), quote=True)


def md_code(value: object, in_table: bool = False) -> str:
    """``value`` as an inline code span: on one line, fenced by more backticks than it holds.

    Code spans show their content literally (no HTML, no Markdown), so only the fence and, in a table, the cell
    separator need care (GitHub splits a cell at ``|`` even inside code unless it is written ``\\|``).
    """
    text = _plain(value, " ")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    if in_table:
        text = text.replace("|", "\\|")
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


CONTEXT_CHARACTERS = 60


def escape_markdown(text: str) -> str:
    """Text safe inside a Markdown table cell, line breaks shown as ``↵``."""
    return md_text(text, newline=" ↵ ")


def in_context(text: str, start: int, end: int, width: int = CONTEXT_CHARACTERS) -> str:
    """``…before **span** after…``, escaped, cut at ``width`` characters either side."""
    left = max(0, start - width)
    right = min(len(text), end + width)
    before = ("…" if left else "") + _spaced(text[left:start])
    after = _spaced(text[end:right]) + ("…" if right < len(text) else "")
    return f"{before}**{escape_markdown(text[start:end])}**{after}"


def _spaced(piece: str) -> str:
    """``piece`` escaped, keeping one space where it began or ended with white space (escaping trims it, and
    ``la**Corea**ha`` would run the words together)."""
    escaped = escape_markdown(piece)
    if not escaped:
        return " " if piece[:1].isspace() else ""
    return (" " if piece[:1].isspace() else "") + escaped + (" " if piece[-1:].isspace() else "")
