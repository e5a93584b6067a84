"""Agreement figures between annotators: pairwise F1 on spans, kappa, alpha and percent agreement on claim attributes.

Every figure that cannot be computed (one annotator, no shared items, a single
class) is ``None`` and its key appears in the sibling ``null_reasons`` dict
with a sentence saying why: never 0, never a crash.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from toolkit.agreement.matching import SCHEME_DESCRIPTIONS, SCHEMES, UNIT_RULES, group_units, match_items
from toolkit.agreement.records import CLAIM_ATTRIBUTES, ByDocument, Record, group_by_document
from toolkit.inventory import load_inventory

LAYER_NOUNS = {"entities": "entity", "claims": "claim"}
PER_LABEL_LAYERS = ("entities",)


def _figures() -> dict[str, Any]:
    return {"null_reasons": {}}


def _put(target: dict[str, Any], key: str, value: float | None, reason: str | None = None) -> None:
    """Set a figure; a ``None`` value must come with the reason it is undefined."""
    if value is not None and (isinstance(value, float) and math.isnan(value)):
        value = None
    target[key] = value
    if value is None:
        target["null_reasons"][key] = reason or "undefined"


def f1_or_reason(matched: int, left: int, right: int, nobody: str) -> tuple[float | None, str | None]:
    """Pairwise F1 = 2·matched / (left + right): symmetric, and undefined only when neither marked anything."""
    if left + right == 0:
        return None, nobody
    return 2 * matched / (left + right), None


def percent_agreement(pairs: Sequence[tuple[str, str]]) -> float | None:
    return sum(a == b for a, b in pairs) / len(pairs) if pairs else None


def cohen_kappa_or_reason(pairs: Sequence[tuple[str, str]], who: str) -> tuple[float | None, str | None]:
    """Cohen's kappa (scikit-learn); undefined with no items or when both raters use one same value throughout."""
    if not pairs:
        return None, f"no claim was marked by both {who} (nothing to compare)"
    from sklearn.metrics import cohen_kappa_score

    left = [a for a, _ in pairs]
    right = [b for _, b in pairs]
    with warnings.catch_warnings():  # the undefined case is reported below, with its reason
        warnings.simplefilter("ignore")
        value = float(
            cohen_kappa_score(left, right, labels=sorted(set(left) | set(right)), replace_undefined_by=math.nan)
        )
    if math.isnan(value):
        used = sorted(set(left) | set(right))
        return (
            None,
            f"{who} gave the single value {used[0]!r} to all {len(pairs)} claim(s) both marked: "
            "chance agreement is 1, so kappa is undefined",
        )
    return value, None


def krippendorff_alpha_or_reason(units: Sequence[Sequence[str]]) -> tuple[float | None, str | None]:
    """Krippendorff's alpha, nominal, over units rated by two or more annotators (missing ratings allowed)."""
    pairable = [values for values in units if len(values) >= 2]
    if not pairable:
        return None, "no claim was marked by two or more annotators (nothing to compare)"
    categories = sorted({value for values in pairable for value in values})
    if len(categories) < 2:
        ratings = sum(len(values) for values in pairable)
        where = f"the {len(pairable)} claim(s) marked by two or more annotators"
        return (
            None,
            f"all {ratings} ratings on {where} are {categories[0]!r}: "
            "expected disagreement is 0, so alpha is undefined",
        )
    import krippendorff
    import numpy as np

    counts = np.array([[Counter(values)[category] for category in categories] for values in pairable])
    return float(krippendorff.alpha(value_counts=counts, level_of_measurement="nominal")), None


def _pair_layer(
    records: Sequence[tuple[Record, Record]], layer: str, names: tuple[str, str], labels: list[str]
) -> dict[str, Any]:
    """F1 of one pair on one layer under every scheme, pooled over the documents both annotated."""
    noun = LAYER_NOUNS[layer]
    neither = f"neither {names[0]} nor {names[1]}"
    result: dict[str, Any] = {}
    for scheme, credit in SCHEMES[layer].items():
        matched: Counter = Counter()
        counts = (Counter(), Counter())
        for left, right in records:
            for i, _ in match_items(left[layer], right[layer], credit):
                matched[left[layer][i].get("label")] += 1
            counts[0].update(item.get("label") for item in left[layer])
            counts[1].update(item.get("label") for item in right[layer])
        figures = _figures()
        total = sum(matched.values()), sum(counts[0].values()), sum(counts[1].values())
        _put(
            figures,
            "f1",
            *f1_or_reason(*total, f"{neither} marked any {noun} on the {len(records)} document(s) both annotated"),
        )
        figures["matched"] = total[0]
        figures["items"] = {names[0]: total[1], names[1]: total[2]}
        if layer in PER_LABEL_LAYERS:
            figures["per_label"] = {}
            for label in labels:
                per_label = _figures()
                nobody = f"{neither} marked {label} on the {len(records)} document(s) both annotated"
                _put(per_label, "f1", *f1_or_reason(matched[label], counts[0][label], counts[1][label], nobody))
                per_label["matched"] = matched[label]
                per_label["items"] = {names[0]: counts[0][label], names[1]: counts[1][label]}
                figures["per_label"][label] = per_label
        result[scheme] = figures
    return result


def _pair_attributes(records: Sequence[tuple[Record, Record]], names: tuple[str, str]) -> dict[str, Any]:
    """Percent agreement and Cohen's kappa on each claim attribute, over the claims both marked (overlap-matched)."""
    values: dict[str, list[tuple[str, str]]] = {attribute: [] for attribute in CLAIM_ATTRIBUTES}
    for left, right in records:
        for i, j in match_items(left["claims"], right["claims"], SCHEMES["claims"]["overlap"]):
            for attribute, value_of in CLAIM_ATTRIBUTES.items():
                values[attribute].append((value_of(left["claims"][i], left), value_of(right["claims"][j], right)))
    who = f"{names[0]} and {names[1]}"
    result = {}
    for attribute, pairs in values.items():
        figures = _figures()
        figures["items"] = len(pairs)
        _put(
            figures,
            "percent_agreement",
            percent_agreement(pairs),
            f"no claim was marked by both {who} (nothing to compare)",
        )
        _put(figures, "cohen_kappa", *cohen_kappa_or_reason(pairs, who))
        result[attribute] = figures
    return result


def _reasons_last(value: Any) -> Any:
    """Each dict with ``null_reasons`` after its figures, so the JSON reads value first, explanation second."""
    if isinstance(value, dict):
        ordered = {key: _reasons_last(item) for key, item in value.items() if key != "null_reasons"}
        if "null_reasons" in value:
            ordered["null_reasons"] = value["null_reasons"]
        return ordered
    if isinstance(value, list):
        return [_reasons_last(item) for item in value]
    return value


def _mean(values: list[float | None]) -> float | None:
    defined = [value for value in values if value is not None]
    return sum(defined) / len(defined) if defined else None


def _mean_over_pairs(
    target: dict[str, Any], key: str, values: list[float | None], no_pairs: str | None, none_defined: str
) -> None:
    _put(target, key, _mean(values), no_pairs or none_defined)
    target["pairs_with_a_value"] = sum(value is not None for value in values)


def _units_of_claims(grouped: ByDocument) -> dict[str, list[list[str]]]:
    """For each claim attribute, the values each annotator gave to each claim unit (documents with 2+ annotators)."""
    by_attribute: dict[str, list[list[str]]] = {attribute: [] for attribute in CLAIM_ATTRIBUTES}
    for by_annotator in grouped.values():
        if len(by_annotator) < 2:
            continue
        claims = {annotator: record["claims"] for annotator, record in by_annotator.items()}
        for unit in group_units(claims, UNIT_RULES["claims"]):
            for attribute, value_of in CLAIM_ATTRIBUTES.items():
                by_attribute[attribute].append([value_of(claims[a][i], by_annotator[a]) for a, i in unit.items()])
    return by_attribute


def _pooled_percent_agreement(units: list[list[str]]) -> float | None:
    """Share of agreeing pairs of ratings within each unit, pooled over units (equals pairwise agreement for
    two annotators)."""
    pairs = [pair for values in units for pair in itertools.combinations(values, 2)]
    return percent_agreement(pairs)


def _no_pairs_reason(grouped: ByDocument, annotators: list[str]) -> str | None:
    if not grouped:
        return "no annotation records were given"
    if any(len(by_annotator) >= 2 for by_annotator in grouped.values()):
        return None
    listed = ", ".join(annotators)
    return (
        f"no document was annotated by two or more annotators ({len(annotators)} annotator(s): {listed}), "
        "so there is no agreement to measure yet"
    )


def compute_agreement(records: Sequence[Record], inputs: Sequence[str] = ()) -> dict[str, Any]:
    """All agreement figures for per-annotator records (see the module docstring for null values)."""
    inventory = load_inventory()
    labels = inventory.entity_names
    grouped = group_by_document(records)
    annotators = sorted({record["annotator"] for record in records})
    shared = {doc_id: by_annotator for doc_id, by_annotator in grouped.items() if len(by_annotator) >= 2}
    no_pairs = _no_pairs_reason(grouped, annotators)

    pairs = []
    for left, right in itertools.combinations(annotators, 2):
        both = [
            (by_annotator[left], by_annotator[right])
            for by_annotator in shared.values()
            if left in by_annotator and right in by_annotator
        ]
        if not both:
            continue
        pair: dict[str, Any] = {"annotators": [left, right], "documents": len(both)}
        for layer in SCHEMES:
            pair[layer] = _pair_layer(both, layer, (left, right), labels)
        pair.update(_pair_attributes(both, (left, right)))
        pairs.append(pair)

    result: dict[str, Any] = {
        "kind": "agreement",
        "comparable": no_pairs is None,
        "note": no_pairs or f"{len(pairs)} pair(s) of annotators on {len(shared)} document(s) annotated by two or more",
        "inputs": list(inputs),
        "annotators": annotators,
        "counts": {
            "documents": len(grouped),
            "documents_per_annotator": {
                name: sum(name in by_annotator for by_annotator in grouped.values()) for name in annotators
            },
            "documents_with_2_or_more_annotators": len(shared),
            "pairs": len(pairs),
            "items_on_shared_documents": {
                layer: sum(len(record[layer]) for by_annotator in shared.values() for record in by_annotator.values())
                for layer in SCHEMES
            },
        },
    }
    for layer, schemes in SCHEMES.items():
        result[layer] = {}
        for scheme in schemes:
            figures = _figures()
            noun = LAYER_NOUNS[layer]
            values = [pair[layer][scheme]["f1"] for pair in pairs]
            _mean_over_pairs(
                figures,
                "mean_pairwise_f1",
                values,
                no_pairs,
                f"no pair of annotators marked any {noun} on the documents they share",
            )
            if layer in PER_LABEL_LAYERS:
                figures["per_label"] = {}
                for label in labels:
                    per_label = _figures()
                    values = [pair[layer][scheme]["per_label"][label]["f1"] for pair in pairs]
                    _mean_over_pairs(
                        per_label,
                        "mean_pairwise_f1",
                        values,
                        no_pairs,
                        f"no annotator marked {label} on a document another annotator also annotated",
                    )
                    figures["per_label"][label] = per_label
            result[layer][scheme] = figures

    units = _units_of_claims(grouped)
    for attribute in CLAIM_ATTRIBUTES:
        figures = _figures()
        pairable = [values for values in units[attribute] if len(values) >= 2]
        figures["items"] = len(pairable)
        nothing = no_pairs or "no claim was marked by two or more annotators (nothing to compare)"
        _put(figures, "percent_agreement", _pooled_percent_agreement(pairable), nothing)
        alpha, reason = krippendorff_alpha_or_reason(units[attribute])
        _put(figures, "krippendorff_alpha", alpha, no_pairs or reason)
        kappas = [pair[attribute]["cohen_kappa"] for pair in pairs]
        _mean_over_pairs(
            figures,
            "mean_pairwise_cohen_kappa",
            kappas,
            no_pairs,
            f"Cohen's kappa is undefined for every pair (see pairs[].{attribute}.null_reasons)",
        )
        result[attribute] = figures

    result["pairs"] = pairs
    result["settings"] = {
        "matching": SCHEME_DESCRIPTIONS,
        "pairwise_f1": (
            "2·matched / (items of one + items of the other), pooled over the documents both annotated; "
            "averaged over pairs with a value"
        ),
        "attributes_compared_on": "claims both annotators marked, one-to-one at claims.overlap",
        "claimer_identity": "the claimer kind, and for an entity claimer the names of its mentions (case folded)",
        "cohen_kappa": "scikit-learn cohen_kappa_score, per pair",
        "krippendorff_alpha": (
            "krippendorff package, nominal; units = claims grouped across all annotators at claims.overlap; "
            "missing ratings allowed"
        ),
        "percent_agreement": "agreeing pairs of ratings over all pairs of ratings on the same claim",
    }
    return _reasons_last(result)


def headline(agreement: Mapping[str, Any]) -> list[str]:
    """The figures a reader looks at first, one line each, for the terminal and the report."""

    def show(figures: Mapping[str, Any], key: str) -> str:
        value = figures[key]
        return f"{value:.3f}" if value is not None else f"n/a ({figures['null_reasons'][key]})"

    counts = agreement["counts"]
    per_annotator = (
        ", ".join(f"{name} ({count})" for name, count in counts["documents_per_annotator"].items()) or "none"
    )
    lines = [
        f"annotators (documents): {per_annotator}; "
        f"documents with 2+ annotators: {counts['documents_with_2_or_more_annotators']}; pairs: {counts['pairs']}",
    ]
    if not agreement["comparable"]:
        return lines + [f"no agreement: {agreement['note']}"]
    for layer in SCHEMES:
        lines.append(
            f"{layer}: mean pairwise F1 strict {show(agreement[layer]['strict'], 'mean_pairwise_f1')}, "
            f"overlap {show(agreement[layer]['overlap'], 'mean_pairwise_f1')}"
        )
    for attribute in CLAIM_ATTRIBUTES:
        figures = agreement[attribute]
        lines.append(
            f"{attribute} ({figures['items']} claims marked by 2+): "
            f"percent agreement {show(figures, 'percent_agreement')}, "
            f"Krippendorff's alpha {show(figures, 'krippendorff_alpha')}, "
            f"mean Cohen's kappa {show(figures, 'mean_pairwise_cohen_kappa')}"
        )
    return lines
