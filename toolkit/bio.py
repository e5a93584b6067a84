"""Entity spans ⇄ tokens with IOB2 tags.

The spans stay the source of truth; tags are a view of them that depends on the
tokenizer and cannot hold overlapping spans.  To make the view exact:

- overlapping mentions are resolved before tagging (the earliest, then longest,
  mention wins; the others are counted as dropped);
- a token that an entity boundary cuts (``Corea-Russia`` tagged as two names)
  is split at the boundary, and the split is counted;

so that ``tags_to_spans(tokens, spans_to_tags(tokens, spans)) == spans`` for
every mention whose ends are not white space.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

Span = tuple[int, int]
Mention = tuple[int, int, str]  # (start, end, label)
OUTSIDE = "O"


def resolve_overlaps(mentions: Iterable[Mention]) -> tuple[list[Mention], list[Mention]]:
    """``(kept, dropped)``: kept mentions never overlap; earliest start, then longest, wins."""
    kept: list[Mention] = []
    dropped: list[Mention] = []
    for mention in sorted(set(mentions), key=lambda m: (m[0], -m[1], m[2])):
        if kept and mention[0] < kept[-1][1]:
            dropped.append(mention)
        else:
            kept.append(mention)
    return kept, dropped


def split_at(tokens: Sequence[Span], boundaries: Iterable[int]) -> tuple[list[Span], int]:
    """Cut every token that a boundary falls strictly inside; returns the tokens and how many were cut."""
    cuts = sorted(set(boundaries))
    result: list[Span] = []
    split_count = 0
    position = 0
    for start, end in tokens:
        while position < len(cuts) and cuts[position] <= start:
            position += 1
        inside = []
        while position < len(cuts) and cuts[position] < end:
            inside.append(cuts[position])
            position += 1
        if inside:
            split_count += 1
            edges = [start, *inside, end]
            result.extend(itertools.pairwise(edges))
        else:
            result.append((start, end))
    return result, split_count


def spans_to_tags(tokens: Sequence[Span], mentions: Sequence[Mention]) -> list[str]:
    """IOB2 tag per token: ``B-`` on the first token inside a mention, ``I-`` on the rest
    (mentions must not overlap).
    """
    tags = [OUTSIDE] * len(tokens)
    ordered = sorted(mentions)
    position = 0
    for index, (start, end) in enumerate(tokens):
        while position < len(ordered) and ordered[position][1] <= start:
            position += 1
        if position < len(ordered):
            mention_start, mention_end, label = ordered[position]
            if mention_start <= start and end <= mention_end:
                first = index == 0 or tags[index - 1] == OUTSIDE or tokens[index - 1][0] < mention_start
                tags[index] = f"{'B' if first else 'I'}-{label}"
    return tags


def sentence_tags(sentence, mentions: Sequence[Mention]) -> tuple[list[Mention], list[Span], int, list[str]]:
    """The mentions inside one sentence (a `toolkit.sentences.Sentence`), its tokens cut at their boundaries, how
    many tokens were cut, and the tokens' IOB2 tags: one row of the ``ner`` config."""
    inside = [mention for mention in mentions if sentence.start <= mention[0] and mention[1] <= sentence.end]
    tokens, split_count = split_at(sentence.tokens, [edge for start, end, _ in inside for edge in (start, end)])
    return inside, tokens, split_count, spans_to_tags(tokens, inside)


def tags_to_spans(tokens: Sequence[Span], tags: Sequence[str]) -> list[Mention]:
    """Mentions read back from IOB2 tags; an ``I-`` that continues nothing starts a mention (as seqeval does)."""
    mentions: list[Mention] = []
    current: list | None = None
    for (start, end), tag in zip(tokens, tags, strict=True):
        prefix, _, label = tag.partition("-")
        if prefix == "I" and current is not None and current[2] == label:
            current[1] = end
            continue
        if current is not None:
            mentions.append(tuple(current))
            current = None
        if prefix in ("B", "I"):
            current = [start, end, label]
    if current is not None:
        mentions.append(tuple(current))
    return mentions
