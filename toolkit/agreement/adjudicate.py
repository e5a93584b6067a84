"""Adjudication: per-annotator records become one gold record per document, by strategies tried in order.

Strategies (`STRATEGIES`): ``ground-truth`` (an annotation a reviewer marked as
ground truth in Label Studio wins), ``prefer:ANNOTATOR`` (that annotator's
record wins where present), ``majority`` (an item enters gold when more than
half of the document's annotators marked it; boundaries, label, stance and
claimer by plurality).  The first strategy that applies to a document decides
it.  Nothing is guessed: a tie leaves the item out and lists it for review.
Every gold item records in ``annotators`` who marked exactly that item.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.agreement.matching import UNIT_RULES, Unit, group_units
from toolkit.agreement.records import Record, claimer_shown, claimer_value, group_by_document
from toolkit.errors import ConflictError, InputError, Problem, ValidationError, mention
from toolkit.files import dumps_line, read_bytes, write_jsonl
from toolkit.inventory import ENTITY_CLAIMER
from toolkit.pathguard import Input, Output, PathPlan
from toolkit.staging import staged
from toolkit.validate import CheckContext, Documents, check_annotation, schema_findings

DEFAULT_STRATEGIES = ("ground-truth", "majority")
ByAnnotator = Mapping[str, Record]


class NotApplicable(Exception):
    """A strategy cannot decide this document (the reason is the message); the next one is tried."""


@dataclass
class GoldEntity:
    start: int
    end: int
    label: str
    annotators: list[str]
    mentions: list[tuple[str, str]]  # (annotator, entity id) of every mention this gold entity stands for


@dataclass
class GoldClaim:
    start: int
    end: int
    stance: str
    kind: str
    claimer_mentions: list[tuple[str, str]]  # (annotator, entity id) of the winning claimer's mentions
    annotators: list[str]


@dataclass
class Decision:
    """What one strategy decided for one document."""

    entities: list[GoldEntity]
    claims: list[GoldClaim]
    unresolved: list[dict[str, Any]] = field(default_factory=list)
    minority_items: int = 0
    winner: str | None = None


def _entity_key(entity: Mapping[str, Any]) -> tuple:
    return entity["start"], entity["end"], entity["label"]


def _claim_key(claim: Mapping[str, Any], record: Record) -> tuple:
    return claim["start"], claim["end"], claim["stance"], claimer_value(claim, record)


def _content(record: Record) -> tuple:
    return sorted(_entity_key(e) for e in record["entities"]), sorted(_claim_key(c, record) for c in record["claims"])


def _from_winner(by_annotator: ByAnnotator, winner: str) -> Decision:
    """The winner's items, each crediting every annotator who marked exactly the same item."""
    record = by_annotator[winner]
    entities = []
    for entity in record["entities"]:
        same = [
            (a, e["id"])
            for a, other in by_annotator.items()
            for e in other["entities"]
            if _entity_key(e) == _entity_key(entity)
        ]
        entities.append(GoldEntity(entity["start"], entity["end"], entity["label"], [a for a, _ in same], same))
    claims = []
    for claim in record["claims"]:
        key = _claim_key(claim, record)
        supporters = [
            a for a, other in by_annotator.items() if any(_claim_key(c, other) == key for c in other["claims"])
        ]
        mentions = [(winner, entity_id) for entity_id in claim["claimer"]["entity_ids"]]
        claims.append(
            GoldClaim(claim["start"], claim["end"], claim["stance"], claim["claimer"]["kind"], mentions, supporters)
        )
    return Decision(entities, claims, winner=winner)


def ground_truth(by_annotator: ByAnnotator, argument: str | None) -> Decision:
    marked = [annotator for annotator, record in by_annotator.items() if record.get("ground_truth") is True]
    if not marked:
        raise NotApplicable("no annotation is marked as ground truth")
    if len({repr(_content(by_annotator[a])) for a in marked}) > 1:
        raise NotApplicable(f"the annotations of {', '.join(marked)} are all marked as ground truth and differ")
    return _from_winner(by_annotator, marked[0])


def prefer(by_annotator: ByAnnotator, argument: str | None) -> Decision:
    if argument not in by_annotator:
        raise NotApplicable(f"{argument} did not annotate this document")
    return _from_winner(by_annotator, argument)


def plurality(votes: Mapping[str, Any]) -> Any | None:
    """The value most annotators gave, or None when two values share the most votes."""
    ranked = Counter(votes.values()).most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


def _unresolved(layer: str, items: Sequence[Mapping], reason: str, votes: Mapping[str, str]) -> dict[str, Any]:
    return {
        "layer": layer,
        "start": min(i["start"] for i in items),
        "end": max(i["end"] for i in items),
        "reason": reason,
        "votes": dict(votes),
    }


def _show_span(item: Mapping[str, Any]) -> str:
    return f"{item['start']}–{item['end']}"


def _vote(
    unit: Unit, items: Mapping[str, Sequence[Mapping]], attributes: Mapping[str, Callable], layer: str, total: int
) -> tuple[dict | None, dict | None]:
    """``(winning values, None)`` for a unit that enters gold, or ``(None, unresolved entry)`` for a tie."""
    members = {annotator: items[annotator][index] for annotator, index in unit.items()}
    shown = {
        annotator: " · ".join(str(value_of(annotator, item)) for value_of in attributes.values())
        for annotator, item in members.items()
    }
    if 2 * len(unit) == total:
        return None, _unresolved(
            layer, list(members.values()), f"tie: marked by {len(unit)} of {total} annotators", shown
        )
    winners = {}
    for attribute, value_of in attributes.items():
        winners[attribute] = plurality({annotator: value_of(annotator, item) for annotator, item in members.items()})
        if winners[attribute] is None:
            return None, _unresolved(layer, list(members.values()), f"tie on {attribute}", shown)
    supporters = [
        a
        for a, item in members.items()
        if all(value_of(a, item) == winners[name] for name, value_of in attributes.items())
    ]
    if not supporters:
        return None, _unresolved(
            layer,
            list(members.values()),
            "no annotator marked the winning combination of " + ", ".join(attributes),
            shown,
        )
    return {"values": winners, "supporters": supporters, "members": members}, None


def majority(by_annotator: ByAnnotator, argument: str | None) -> Decision:
    total = len(by_annotator)
    decision = Decision([], [])
    entities = {annotator: record["entities"] for annotator, record in by_annotator.items()}
    entity_attributes = {"boundaries": lambda a, e: _show_span(e), "label": lambda a, e: e["label"]}
    gold_mention: dict[tuple[str, str], GoldEntity] = {}
    for unit in group_units(entities, UNIT_RULES["entities"]):
        if 2 * len(unit) < total:
            decision.minority_items += 1
            continue
        won, tie = _vote(unit, entities, entity_attributes, "entities", total)
        if tie:
            decision.unresolved.append(tie)
            continue
        first = won["members"][won["supporters"][0]]
        mentions = [(a, e["id"]) for a, e in won["members"].items()]
        gold = GoldEntity(first["start"], first["end"], first["label"], won["supporters"], mentions)
        decision.entities.append(gold)
        gold_mention.update(dict.fromkeys(mentions, gold))

    claims = {annotator: record["claims"] for annotator, record in by_annotator.items()}
    claim_attributes = {
        "boundaries": lambda a, c: _show_span(c),
        "stance": lambda a, c: c["stance"],
        "claimer": lambda a, c: claimer_value(c, by_annotator[a]),
    }
    for unit in group_units(claims, UNIT_RULES["claims"]):
        if 2 * len(unit) < total:
            decision.minority_items += 1
            continue
        won, tie = _vote(unit, claims, claim_attributes, "claims", total)
        if tie:
            decision.unresolved.append(tie)
            continue
        resolvable = [
            a
            for a in won["supporters"]
            if all((a, e) in gold_mention for e in won["members"][a]["claimer"]["entity_ids"])
        ]
        if not resolvable:
            shown = {a: claimer_shown(c, by_annotator[a]) for a, c in won["members"].items()}
            decision.unresolved.append(
                _unresolved(
                    "claims", list(won["members"].values()), "the claimer's entity mention did not enter gold", shown
                )
            )
            continue
        claim = won["members"][resolvable[0]]
        mentions = [(resolvable[0], e) for e in claim["claimer"]["entity_ids"]]
        decision.claims.append(
            GoldClaim(
                claim["start"], claim["end"], claim["stance"], claim["claimer"]["kind"], mentions, won["supporters"]
            )
        )
    return decision


# name → (function, whether it takes ``:ARGUMENT``)
STRATEGIES: dict[str, tuple[Callable[[ByAnnotator, str | None], Decision], bool]] = {
    "ground-truth": (ground_truth, False),
    "prefer": (prefer, True),
    "majority": (majority, False),
}
STRATEGY_FORMS = "ground-truth, prefer:ANNOTATOR, majority"


@dataclass(frozen=True)
class Strategy:
    name: str  # as the user wrote it, e.g. ``prefer:anna``
    decide: Callable[[ByAnnotator, str | None], Decision]
    argument: str | None


def parse_strategies(values: Sequence[str], annotators: Sequence[str]) -> list[Strategy]:
    """``["ground-truth", "prefer:anna", "majority"]`` → strategies; an unknown name or annotator is an `InputError`."""
    strategies = []
    for value in values:
        name, _, argument = value.partition(":")
        if name not in STRATEGIES or STRATEGIES[name][1] != bool(argument):
            raise InputError(f"{value!r} is not a strategy (expected one of: {STRATEGY_FORMS})", parameter="strategy")
        if argument and argument not in annotators:
            raise InputError(
                f"{value!r} names no annotator of the input (expected one of: {', '.join(annotators)})",
                parameter="strategy",
            )
        strategies.append(Strategy(value, STRATEGIES[name][0], argument or None))
    if not strategies:
        raise InputError(f"none given (expected one or more of: {STRATEGY_FORMS})", parameter="strategy")
    return strategies


def _merged(items: Sequence, key: Callable) -> dict:
    """Items that came out identical from two units become one, crediting the annotators of both."""
    merged: dict = {}
    for item in items:
        first = merged.setdefault(key(item), item)
        if first is not item:
            first.annotators = sorted(set(first.annotators) | set(item.annotators))
            if isinstance(item, GoldEntity):
                first.mentions = first.mentions + item.mentions
    return merged


def build_record(document: Mapping[str, Any], decision: Decision) -> Record:
    """The gold record: items in text order, fresh ids, claimers pointing at gold entities, ``annotators`` on
    each item."""
    text = document["text"]
    entities = sorted(
        _merged(decision.entities, lambda e: (e.start, e.end, e.label)).values(),
        key=lambda e: (e.start, e.end, e.label),
    )
    gold_ids = {}
    for number, entity in enumerate(entities, start=1):
        gold_ids.update(dict.fromkeys(entity.mentions, f"e{number}"))
    record_entities = [
        {
            "id": f"e{number}",
            "start": e.start,
            "end": e.end,
            "label": e.label,
            "text": text[e.start : e.end],
            "annotators": sorted(e.annotators),
        }
        for number, e in enumerate(entities, start=1)
    ]
    claims = sorted(
        _merged(
            decision.claims,
            lambda c: (c.start, c.end, c.stance, c.kind, tuple(gold_ids[m] for m in c.claimer_mentions)),
        ).values(),
        key=lambda c: (c.start, c.end, c.stance, c.kind),
    )
    record_claims = []
    for number, c in enumerate(claims, start=1):
        entity_ids = list(dict.fromkeys(gold_ids[mention] for mention in c.claimer_mentions))
        record_claims.append(
            {
                "id": f"c{number}",
                "start": c.start,
                "end": c.end,
                "text": text[c.start : c.end],
                "stance": c.stance,
                "claimer": {"kind": c.kind, "entity_ids": entity_ids if c.kind == ENTITY_CLAIMER else []},
                "annotators": sorted(c.annotators),
            }
        )
    return {
        "id": document["id"],
        "text_sha256": document["text_sha256"],
        "entities": record_entities,
        "claims": record_claims,
    }


def with_annotator_kind(record: Record, sources) -> Record:
    """The gold record says it was made by a model when any record it was adjudicated from was, by people only when
    all were; otherwise it says nothing (the dataset card then cannot call it expert-generated)."""
    kinds = {source.get("annotator_kind") for source in sources}
    kind = "model" if "model" in kinds else "person" if kinds == {"person"} else None
    if kind is None:
        return record
    return {"id": record["id"], "text_sha256": record["text_sha256"], "annotator_kind": kind, **record}


def _with_text(entry: dict[str, Any], text: str) -> dict[str, Any]:
    return {**entry, "text": text[entry["start"] : entry["end"]]}


def adjudicate_records(
    records: Sequence[Record], documents: Documents, strategy_names: Sequence[str]
) -> tuple[list[Record], dict[str, Any]]:
    """Gold records (in documents-file order) and a summary of how each document was decided."""
    grouped = group_by_document(records)
    annotators = sorted({record["annotator"] for record in records})
    strategies = parse_strategies(strategy_names, annotators)
    gold: list[Record] = []
    per_document, unresolved_documents, not_adjudicated = [], [], []
    by_strategy: Counter = Counter()
    minority = 0
    for doc_id in (doc_id for doc_id in documents if doc_id in grouped):
        by_annotator, document = grouped[doc_id], documents[doc_id]
        reasons = []
        for strategy in strategies:
            try:
                decision = strategy.decide(by_annotator, strategy.argument)
            except NotApplicable as why:
                reasons.append(f"{strategy.name}: {why}")
                continue
            record = with_annotator_kind(build_record(document, decision), by_annotator.values())
            gold.append(record)
            by_strategy[strategy.name] += 1
            minority += decision.minority_items
            entry = {
                "id": doc_id,
                "strategy": strategy.name,
                "annotators": list(by_annotator),
                "winner": decision.winner,
                "entities": len(record["entities"]),
                "claims": len(record["claims"]),
                "unresolved": len(decision.unresolved),
            }
            per_document.append(entry)
            if decision.unresolved:
                unresolved_documents.append(
                    {
                        "id": doc_id,
                        "strategy": strategy.name,
                        "items": [_with_text(item, document["text"]) for item in decision.unresolved],
                    }
                )
            break
        else:
            not_adjudicated.append({"id": doc_id, "annotators": list(by_annotator), "reasons": reasons})
    summary = {
        "kind": "adjudication",
        "strategies": [strategy.name for strategy in strategies],
        "annotators": annotators,
        "documents": {
            "gold": len(gold),
            "by_strategy": dict(by_strategy),
            "with_unresolved_items": len(unresolved_documents),
            "not_adjudicated": len(not_adjudicated),
        },
        "items": {
            "entities": sum(len(record["entities"]) for record in gold),
            "claims": sum(len(record["claims"]) for record in gold),
            "unresolved": sum(len(entry["items"]) for entry in unresolved_documents),
            "minority_left_out": minority,
        },
        "documents_with_unresolved_items": unresolved_documents,
        "not_adjudicated": not_adjudicated,
        "per_document": per_document,
    }
    return gold, summary


def check_gold(records: Sequence[Record], documents: Documents, name: str) -> None:
    """The gold must pass the same checks as `toolkit validate`; a failure here is a bug, reported as such."""
    context = CheckContext(documents, "the documents file")
    problems = [
        Problem(name, line, where, f"{message} (adjudication produced an invalid record: please report this)")
        for line, record in enumerate(records, start=1)
        for where, message in (schema_findings("annotation", record) or list(check_annotation(record, context)))
    ]
    if problems:
        raise ValidationError(problems)


def write_gold(
    records: Sequence[Record], out: Path, inputs: Sequence[Path], documents: Documents, overwrite: bool = False
) -> bool:
    """Write the gold atomically; never over an input, never over a different existing file unless asked.

    Returns whether the file changed (an identical existing gold is left untouched).
    """
    plan = PathPlan([Input("ANNOTATIONS", Path(path)) for path in inputs], [Output(mention("out"), Path(out))])
    with staged(plan):
        check_gold(records, documents, str(out))
        content = "".join(dumps_line(record) for record in records)
        if out.exists():
            if read_bytes(out) == content.encode("utf-8"):
                return False
            if not overwrite:
                raise ConflictError(
                    f"{mention('out')} {out}: exists with different content (expected a new file; pass "
                    f"{mention('overwrite')} "
                    "to replace it)"
                )
        write_jsonl(out, records)
    return True
