"""``toolkit errors``: every error of a system against the gold, in context, grouped by kind, counted as
``toolkit eval`` counts them.

Entities are paired as the strict scheme pairs them (`reference.entity_pairs`): a gold entity left unpaired is
*missed*, a prediction left unpaired *spurious*, and a pair that is not identical is *mislabelled* (same
boundaries), *mis-bounded* (same label) or both; so missed, spurious and the three others summed are eval's
``entities.strict`` missed, spurious and incorrect.  Claims are paired as eval's overlap matching pairs them
(`reference.claim_pairs`): unpaired gold claims are *missed*, unpaired predictions *spurious*, and a pair is listed
once for each thing it gets wrong: its boundaries (*mis-bounded*: matched at the IoU threshold, not the same
span), its claimer (*wrong claimer*: eval's matched claims minus ``claimer.correct``) and its stance (*wrong
stance*: off the diagonal of eval's stance confusion).
"""

from __future__ import annotations

from typing import Any

from toolkit.inventory import load_inventory
from toolkit.markdown import CONTEXT_CHARACTERS, escape_markdown, in_context, md_code
from toolkit.scoring.engines.reference import claim_pairs, entity_pairs
from toolkit.scoring.gold.gold import Gold
from toolkit.scoring.scorer import Scorer
from toolkit.scoring.spans import ClaimColumns, Predictions

# kind → (layer, its section's title, what it is), in report order
KINDS = {
    "missed_entity": ("entities", "missed entities", "gold entities no prediction pairs with"),
    "spurious_entity": ("entities", "spurious entities", "predicted entities paired with no gold entity"),
    "mislabelled_entity": ("entities", "mislabelled entities", "the same span under another label"),
    "mis_bounded_entity": ("entities", "mis-bounded entities", "the same label over other boundaries"),
    "mislabelled_and_mis_bounded_entity": (
        "entities",
        "mislabelled and mis-bounded entities",
        "another label over other boundaries",
    ),
    "missed_claim": ("claims", "missed claims", "gold claims no prediction matches (IoU below the threshold, or none)"),
    "spurious_claim": ("claims", "spurious claims", "predicted claims matching no gold claim"),
    "mis_bounded_claim": ("claims", "mis-bounded claims", "matched claims whose boundaries differ from the gold's"),
    "wrong_claimer": ("claims", "wrong claimers", "matched claims with a claimer that is not the gold claimer"),
    "wrong_stance": ("claims", "wrong stances", "matched claims with another stance"),
}


def _entity(span: tuple | None) -> dict | None:
    if span is None:
        return None
    return {"start": span[0], "end": span[1], "label": load_inventory().entity_names[span[2]]}


def _claimer(claimer, text: str) -> str:
    """A claimer as the report shows it: a kind, or the text of its mention(s)."""
    if isinstance(claimer, str):
        return claimer
    spans = [claimer] if isinstance(claimer[0], int) else claimer
    return " / ".join(dict.fromkeys(text[start:end] for start, end in spans))


def _claim(claim: tuple | None, text: str) -> dict | None:
    if claim is None:
        return None
    return {
        "start": claim[0],
        "end": claim[1],
        "stance": load_inventory().stance_names[claim[2]],
        "claimer": _claimer(claim[3], text),
    }


def _item(doc_id: str, text: str, kind: str, gold: dict | None, predicted: dict | None) -> dict[str, Any]:
    start = min(side["start"] for side in (gold, predicted) if side)
    end = max(side["end"] for side in (gold, predicted) if side)
    left, right = max(0, start - CONTEXT_CHARACTERS), min(len(text), end + CONTEXT_CHARACTERS)
    return {
        "kind": kind,
        "document": doc_id,
        "gold": gold,
        "predicted": predicted,
        "start": start,
        "end": end,
        "text": text[start:end],
        "before": ("…" if left else "") + text[left:start],  # the context, "…" where it is cut
        "after": text[end:right] + ("…" if right < len(text) else ""),
    }


def _entity_kind(g: tuple, p: tuple) -> str | None:
    same_span, same_label = (g[0], g[1]) == (p[0], p[1]), g[2] == p[2]
    if same_span and same_label:
        return None
    if same_span:
        return "mislabelled_entity"
    return "mis_bounded_entity" if same_label else "mislabelled_and_mis_bounded_entity"


def _rows_of(claims: ClaimColumns, n: int) -> list[list[int]]:
    rows: list[list[int]] = [[] for _ in range(n)]
    for row, doc in enumerate(claims.doc.tolist()):
        rows[doc].append(row)
    return rows


def list_errors(gold: Gold, predicted: Predictions, iou_threshold: float) -> list[dict[str, Any]]:
    """Every error, document by document in gold order, each ``{kind, document, gold, predicted, start, end,
    text, before, after}`` (``gold``/``predicted``: the item on each side, or null)."""
    n = len(gold.ids)
    texts = gold.texts()
    errors: list[dict[str, Any]] = []
    per_document = zip(gold.entities.per_document(n), predicted.entities.per_document(n), strict=True)
    entity_errors: list[list[dict]] = [[] for _ in range(n)]
    for d, (golds, preds) in enumerate(per_document):
        pairs = entity_pairs(golds, preds)
        paired_gold, paired_pred = {g for g, _ in pairs}, {p for _, p in pairs}
        found = entity_errors[d]
        for g, p in pairs:
            kind = _entity_kind(golds[g], preds[p])
            if kind:
                found.append((kind, _entity(golds[g]), _entity(preds[p])))
        found += [("missed_entity", _entity(span), None) for i, span in enumerate(golds) if i not in paired_gold]
        found += [("spurious_entity", None, _entity(span)) for i, span in enumerate(preds) if i not in paired_pred]
    g_rows, p_rows, right = claim_pairs(gold.claims, predicted.claims, iou_threshold)
    gold_claims = gold.claims.claims(range(len(gold.claims))) if len(gold.claims) else []
    pred_claims = predicted.claims.claims(range(len(predicted.claims))) if len(predicted.claims) else []
    claim_errors: list[list[tuple]] = [[] for _ in range(n)]
    paired_gold, paired_pred = set(g_rows.tolist()), set(p_rows.tolist())
    for g, p, claimer_right in zip(g_rows.tolist(), p_rows.tolist(), right.tolist(), strict=True):
        d, gc, pc = int(gold.claims.doc[g]), gold_claims[g], pred_claims[p]
        wrong = [
            ("mis_bounded_claim", (gc[0], gc[1]) != (pc[0], pc[1])),
            ("wrong_claimer", not claimer_right),
            ("wrong_stance", gc[2] != pc[2]),
        ]
        claim_errors[d] += [(kind, gc, pc) for kind, is_wrong in wrong if is_wrong]
    for d, rows in enumerate(_rows_of(gold.claims, n)):
        claim_errors[d] += [("missed_claim", gold_claims[row], None) for row in rows if row not in paired_gold]
    for d, rows in enumerate(_rows_of(predicted.claims, n)):
        claim_errors[d] += [("spurious_claim", None, pred_claims[row]) for row in rows if row not in paired_pred]
    for d, doc_id in enumerate(gold.ids):
        if not entity_errors[d] and not claim_errors[d]:
            continue
        text = texts[d]
        errors += [_item(doc_id, text, kind, g, p) for kind, g, p in entity_errors[d]]
        errors += [_item(doc_id, text, kind, _claim(g, text), _claim(p, text)) for kind, g, p in claim_errors[d]]
    order = list(KINDS)
    return sorted(errors, key=lambda e: (order.index(e["kind"]), gold.position[e["document"]], e["start"], e["end"]))


def error_report(scorer: Scorer, predictions, name: str | None = None) -> dict[str, Any]:
    """The errors of ``predictions`` against the scorer's gold: what ``toolkit errors --format json`` writes."""
    from toolkit.scoring.predictions import read_predictions

    predicted = read_predictions(predictions, scorer.gold, scorer.ignore_extra, scorer.engine.short_way)
    errors = list_errors(scorer.gold, predicted, scorer.iou)
    counts = {kind: 0 for kind in KINDS}
    for error in errors:
        counts[error["kind"]] += 1
    return {
        "gold": scorer.gold.source(),
        "predictions": name or str(predictions),
        "n_documents": len(scorer.gold.ids),
        "iou": scorer.iou,
        "missing_documents": [doc_id for i, doc_id in enumerate(scorer.gold.ids) if i not in predicted.present],
        "counts": counts,
        "errors": errors,
    }


def _side(item: dict | None) -> str:
    if item is None:
        return "—"
    if "label" in item:
        return f"{item['label']} {item['start']}–{item['end']}"
    return f"{item['stance']} · {item['claimer']} · {item['start']}–{item['end']}"


def render_errors(report: dict[str, Any]) -> str:
    """The Markdown report: counts, then one section per kind of error with each error in its context."""
    lines = [
        f"# Errors of {escape_markdown(report['predictions'])}",
        "",
        f"Against {escape_markdown(report['gold'])}: {report['n_documents']} document(s); claims matched at "
        f"IoU >= {report['iou']:g}. Offsets are character positions, end-exclusive; the span is in bold in its "
        "context, from the earliest start to the latest end of the two sides.",
        "",
    ]
    if report["missing_documents"]:
        shown = ", ".join(report["missing_documents"][:10]) + (" …" if len(report["missing_documents"]) > 10 else "")
        lines += [
            f"Documents without a prediction (every gold item missed): {len(report['missing_documents'])}: "
            f"{escape_markdown(shown)}",
            "",
        ]
    lines += ["| kind | layer | count | what |", "|---|---|---:|---|"]
    lines += [
        f"| {md_code(kind, in_table=True)} | {layer} | {report['counts'][kind]} | {what} |"
        for kind, (layer, _, what) in KINDS.items()
    ]
    by_kind: dict[str, list[dict]] = {}
    for error in report["errors"]:
        by_kind.setdefault(error["kind"], []).append(error)
    for kind, errors in by_kind.items():
        lines += ["", f"## {KINDS[kind][1]} ({len(errors)})", ""]
        lines += ["| # | document | gold | predicted | text in context |", "|---:|---|---|---|---|"]
        for number, error in enumerate(errors, start=1):
            text = error["before"] + error["text"] + error["after"]
            at = len(error["before"])
            context = in_context(text, at, at + len(error["text"]), width=len(text))
            cells = (error["document"], _side(error["gold"]), _side(error["predicted"]))
            lines.append(f"| {number} | {' | '.join(map(escape_markdown, cells))} | {context} |")
    if not report["errors"]:
        lines += ["", "No errors: every gold item is predicted exactly."]
    return "\n".join(lines) + "\n"
