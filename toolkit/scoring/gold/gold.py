"""The gold being scored (`Gold`): its spans as the scorers compare them, its claimers, and its content hash.

`toolkit.scoring.gold.loading` reads it from a gold JSONL, a built folder or the
Hub; every form gives the same spans, claimers and gold hash.  Documents are
aligned by id, never by position.

A gold claim is ``(start, end, stance index, claimer)``; its claimer is a
claimer kind name (``"author"``, ``"unnamed"``) or the tuple of ``(start, end)``
spans that count as naming the source: the gold claimer mentions and every
gold mention with the same label and normalised text (another mention of the
same source).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.inventory import load_inventory
from toolkit.scoring.engines import thresholds
from toolkit.scoring.signature import content_hash
from toolkit.scoring.spans import ClaimColumns, EntityColumns


@dataclass
class Gold:
    """The gold being scored, in file order: documents by id, and its spans as the scorers compare them."""

    name: str
    split: str | None
    documents: Mapping[str, dict[str, Any]]
    ids: list[str]
    entities: EntityColumns  # (start, end, label index) of every gold entity, by document index
    claims: ClaimColumns  # every gold claim; its claimer a kind or the accepted spans
    lengths: np.ndarray | None = None  # text lengths in code points, by document index, when known without the texts
    digest: str | None = None  # `gold_hash`, when compiled at build time
    revision: str | None = None  # the Hub commit it was read from
    folder: Path | None = None  # the built folder it was read from (its `ner` config gives `compat.token` its tokens)
    tokens: Callable[[], Any] | None = None  # those tokens compiled at build time (a `TokenIndex`), read when asked
    claim_values: dict[str, np.ndarray] | None = None  # the gold claims' breakdown values, compiled at build time
    newsclaims: Callable[[], Any] | None = None  # tokens, sentences and NewsClaims gold entries compiled, when asked
    mentions: Callable[[], Mapping[str, tuple]] | None = None  # a gold JSONL's `newsclaims.Claim`s, by document id
    marks: Any = None  # the texts' breakdown `Marks`, compiled at build time
    mention_texts: Callable[[], Any] | None = None  # the entities' texts (`newsclaims.MentionTexts`), when compiled
    joined_text: Callable[[], str] | None = None  # every text end to end, one string, when compiled
    text_list: Callable[[], list[str]] | None = None  # the texts by document index, when compiled (read when asked)
    notes: list[str] = field(default_factory=list)  # how it was read (`toolkit eval --verbose` prints them)

    @property
    def position(self) -> dict[str, int]:
        return {doc_id: index for index, doc_id in enumerate(self.ids)}

    def text_lengths(self) -> np.ndarray:
        if self.lengths is None:
            self.lengths = np.array([len(self.documents[doc_id]["text"]) for doc_id in self.ids], dtype=np.int64)
        return self.lengths

    def texts(self) -> Sequence[str]:
        """The texts by document index, read only when indexed (a compiled gold decodes them on first use)."""
        return _Texts(self)

    def all_texts(self) -> list[str]:
        """Every text by document index, read now (a compiled gold's without building its documents' dicts)."""
        return list(self.texts()) if self.text_list is None else self.text_list()

    def all_text(self) -> str:
        """Every text end to end, one string (a text's characters start at the summed lengths of those before it)."""
        return "".join(self.texts()) if self.joined_text is None else self.joined_text()

    def source(self) -> str:
        """The gold as messages name it."""
        return f"the gold {self.name}" + (f" (split {self.split})" if self.split else "")


class _Texts(Sequence):
    def __init__(self, gold: Gold):
        self.gold = gold

    def __getitem__(self, index):
        return self.gold.documents[self.gold.ids[index]]["text"]

    def __len__(self) -> int:
        return len(self.gold.ids)


def gold_spans(
    record: Mapping, text: str, label_index: Mapping[str, int], stance_index: Mapping[str, int]
) -> tuple[list[tuple], list[tuple]]:
    """``(entities, claims)`` of a gold record as the tuples the scorers compare."""
    entities = [(e["start"], e["end"], label_index[e["label"]]) for e in record["entities"]]
    claims = record["claims"]
    if not claims:
        return entities, []
    mentions = [[e[key] for e in record["entities"]] for key in ("id", "start", "end", "label")]
    mentions[0] = mentions[0].index
    return entities, [
        (c["start"], c["end"], stance_index[c["stance"]], scored_claimer(c["claimer"], mentions, text)) for c in claims
    ]


def normalise_mention(text: str) -> str:
    """Case-folded, whitespace-collapsed: ``"Vladimir  Putin"`` and ``"vladimir putin"`` name the same source."""
    return " ".join(text.split()).casefold()


def scored_claimer(claimer: Mapping, mentions: Sequence, text: str):
    """The claimer of a gold claim as scored, from its document's entities ``(index_of, starts, ends, labels)``.

    ``index_of(entity id)`` is the position of that entity in the lists.  Only
    mentions with a claimer's label can name the same source, so only those are normalised.
    """
    if not claimer["entity_ids"]:
        return claimer["kind"]
    index_of, starts, ends, labels = mentions
    named = {}
    for entity_id in claimer["entity_ids"]:
        index = index_of(entity_id)
        named[entity_id] = (
            starts[index],
            ends[index],
            labels[index],
            normalise_mention(text[starts[index] : ends[index]]),
        )
    keys = {(label, normalised) for _, _, label, normalised in named.values()}
    wanted = {label for label, _ in keys}
    same_source: dict[tuple, list] = {}
    for start, end, label in zip(starts, ends, labels, strict=True):
        if label in wanted:
            key = (label, normalise_mention(text[start:end]))
            if key in keys:
                same_source.setdefault(key, []).append((start, end))
    return gold_claimer({"claimer": claimer}, named, same_source)


def gold_claimer(claim: Mapping, mentions: Mapping[str, tuple], same_source: Mapping[tuple, list[tuple]]):
    """The claimer of a gold annotation claim as scored: a kind name, or the accepted spans.

    ``mentions`` maps an entity id to ``(start, end, label, normalised text)``;
    ``same_source`` maps ``(label, normalised text)`` to every such mention's span.
    """
    claimer = claim["claimer"]
    if not claimer["entity_ids"]:
        return claimer["kind"]
    accepted = set()
    for entity_id in claimer["entity_ids"]:
        start, end, label, text = mentions[entity_id]
        accepted.add((start, end))
        accepted.update(same_source.get((label, text), ()))
    return tuple(sorted(accepted))


def gold_hash(gold: Gold) -> str:
    """`content_hash` of the gold as scored: a line naming the inventory, then one line per document in id order,
    ``id TAB text_sha256 TAB repr(sorted entity tuples) TAB repr(claim tuples sorted by their repr)``.

    The same gold read from JSONL, parquet or the compiled file has the same hash, and any edit changes it.
    `toolkit.scoring.engines.reference.gold_hash` writes the same lines plainly.
    """
    lines = hash_lines(gold)
    by_id = sorted(range(len(gold.ids)), key=gold.ids.__getitem__)
    return content_hash([hash_header(), *(lines[index] for index in by_id)])


def hash_header() -> str:
    inventory = load_inventory()
    return repr((inventory.entity_names, inventory.stance_names)) + "\n"


def hash_lines(gold: Gold) -> list[str]:
    """The `gold_hash` line of each document, in gold order.

    The entity parts are the reprs of lists of int tuples, all written by one ``%`` (the same text, in one C loop).
    """
    n = len(gold.ids)
    spans = gold.entities
    bound = int(spans.end.max(initial=0)) + 1
    n_labels = len(load_inventory().entity_names)
    if (n + 1) * bound * bound * n_labels < thresholds.KEY_LIMIT:  # one sort of composite keys: twice lexsort's speed
        keys = ((spans.doc * bound + spans.start) * bound + spans.end) * n_labels + spans.label
        order = np.argsort(keys, kind="stable")  # nearly sorted already: linear
    else:
        order = np.lexsort((spans.label, spans.end, spans.start, spans.doc))
    values = np.stack([spans.start[order], spans.end[order], spans.label[order]], axis=1).ravel().tolist()
    counts = np.bincount(spans.doc, minlength=n).tolist()
    formats = {count: "[" + ", ".join(["(%d, %d, %d)"] * count) + "]" for count in set(counts)}
    entity_parts = ("\0".join(formats[count] for count in counts) % tuple(values)).split("\0")
    shas = [gold.documents[doc_id]["text_sha256"] for doc_id in gold.ids]
    claim_parts = ["[" + ", ".join(sorted(map(repr, claims))) + "]" for claims in gold.claims.per_document(n)]
    return list(map("{}\t{}\t{}\t{}\n".format, gold.ids, shas, entity_parts, claim_parts))
