"""Renderers of an `EvalResult`: a registry of ``name → function(result) → str``."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from toolkit.markdown import md_code, md_text
from toolkit.scoring.figures import HEADLINE_FIGURES
from toolkit.scoring.result import EvalResult
from toolkit.scoring.statistics import SCHEMES

UNDEFINED = "–"
ENTITY_COLUMNS = (
    "correct",
    "incorrect",
    "partial",
    "missed",
    "spurious",
    "possible",
    "actual",
    "precision",
    "recall",
    "f1",
)
PRF = ("precision", "recall", "f1")
SEQEVAL_COLUMNS = ("true_positives", "predicted", "support")


def number(value) -> str:
    """Counts as integers, figures with four decimals, undefined as ``–``."""
    if value is None:
        return UNDEFINED
    if isinstance(value, int):
        return str(value)
    return f"{value:.4f}"


def _rows(result: EvalResult) -> list[tuple[str, list[tuple[str, Sequence[str], list[list[str]]]]]]:
    """Sections of ``(title, header, rows)`` shared by the table and Markdown renderers."""
    entities = result.entities
    schemes = [[scheme, *(number(entities[scheme][c]) for c in ENTITY_COLUMNS)] for scheme in SCHEMES]
    if "weighted" in entities:  # seqeval's convention: its report, strict only
        label_section = (
            "entities per label (seqeval's convention, strict)",
            ("label", *SEQEVAL_COLUMNS, *PRF),
            [
                *(
                    [name, *(number(figures["strict"][c]) for c in (*SEQEVAL_COLUMNS, *PRF))]
                    for name, figures in entities["per_label"].items()
                ),
                *(
                    [f"{average} avg", "", "", "", *(number(entities[average]["strict"][c]) for c in PRF)]
                    for average in ("macro", "weighted")
                ),
            ],
        )
    else:
        schemes += [
            [f"macro {scheme}", *([""] * 7), *(number(entities["macro"][scheme][c]) for c in PRF)] for scheme in SCHEMES
        ]
        label_section = (
            "entities per label (strict; ent_type F1 last)",
            ("label", *ENTITY_COLUMNS, "ent_type f1"),
            [
                [name, *(number(figures["strict"][c]) for c in ENTITY_COLUMNS), number(figures["ent_type"]["f1"])]
                for name, figures in entities["per_label"].items()
            ],
        )
    layers = (
        ("claims strict", result.claims["strict"]),
        (f"claims overlap (IoU >= {result.claims['overlap']['iou']:g})", result.claims["overlap"]),
        ("end to end", result.end_to_end),
    )
    claims = [
        [name, *(number(figures[c]) for c in ("true_positives", "predicted", "gold", *PRF))] for name, figures in layers
    ]
    stance = result.stance
    attributes = [
        [
            "claimer accuracy",
            number(result.claimer["accuracy"]),
            f"{result.claimer['correct']} of {result.claimer['matched_claims']} matched claims",
        ],
        ["stance accuracy", number(stance["accuracy"]), f"{stance['n']} matched claims"],
        ["stance macro-F1", number(stance["macro_f1"]), _stance_detail(stance["per_label"])],
        ["stance F_avg", number(stance["f_avg"]), "mean F1 of the polar stances"],
    ]
    confusion = [
        [f"gold {name}", *map(str, row)]
        for name, row in zip(stance["confusion"]["labels"], stance["confusion"]["matrix"], strict=True)
    ]
    headline = []
    for name in HEADLINE_FIGURES:
        value = result.overall if name == "overall" else result.figure(name)
        interval = ""
        if result.ci and name in result.ci:
            ci = result.ci[name]
            interval = f"[{number(ci['low'])}, {number(ci['high'])}]"
        headline.append([name, number(value), interval])
    sections = [
        ("headline", ("figure", "value", "95% CI"), headline),
        ("entities", ("scheme", *ENTITY_COLUMNS), schemes),
        label_section,
        ("claims", ("layer", "tp", "predicted", "gold", *PRF), claims),
        ("claimer and stance (on overlap-matched claims)", ("figure", "value", "detail"), attributes),
        ("stance confusion", ("", *(f"pred {name}" for name in stance["confusion"]["labels"])), confusion),
    ]
    if result.breakdown:
        rows = [
            [
                f"{dimension} {value}",
                *(str(f[c]) for c in ("gold", "predicted", "matched")),
                number(f["claimer_accuracy"]),
                *(number(f["end_to_end"][c]) for c in PRF),
            ]
            for dimension, values in result.breakdown.items()
            for value, f in values.items()
        ]
        sections.append(
            (
                "breakdown (a predicted claim under its own value, a matched pair under its gold claim's)",
                ("claims", "gold", "predicted", "matched", "claimer acc", "e2e precision", "e2e recall", "e2e f1"),
                rows,
            )
        )
    for field, values in (result.by or {}).items():
        rows = []
        for value, figures in values.items():
            cells = []
            for name in HEADLINE_FIGURES:
                cell = number(figures[name])
                if figures["ci"]:
                    cell += f" [{number(figures['ci'][name]['low'])}, {number(figures['ci'][name]['high'])}]"
                cells.append(cell)
            rows.append([value, str(figures["n_documents"]), *cells])
        sections.append((f"by {field}", (field, "documents", *HEADLINE_FIGURES), rows))
    token = (result.compat or {}).get("token")
    if token:
        rows = [[name, str(f["support"]), *(number(f[c]) for c in PRF)] for name, f in token["per_label"].items()]
        rows += [[f"{average} avg", "", *(number(token[average][c]) for c in PRF)] for average in ("micro", "macro")]
        sections.append(
            (f"compat.token (NERMuD's token figures, {token['tokens']} tokens)", ("label", "support", *PRF), rows)
        )
    newsclaims = (result.compat or {}).get("newsclaims")
    if newsclaims:
        sections.append(_newsclaims_section(newsclaims))
    return sections


def _newsclaims_section(figures: dict) -> tuple:
    """``compat.newsclaims`` as rows of figure, value and what it counts."""
    detection, claimer, span = figures["claim_detection"], figures["claimer"], figures["claim_span"]
    rows = [[f"claim_detection.{name}", number(detection[name]), ""] for name in PRF]
    rows[0][2] = f"{detection['predicted']} predicted / {detection['gold']} gold segments"
    counts = {"answer_f1": "answers", "no_claimer_f1": "no_claimer", "in_sentence_f1": "in_sentence"}
    counts["out_of_sentence_f1"] = "out_of_sentence"
    for name in ("answer_f1", "no_claimer_precision", "no_claimer_recall", "no_claimer_f1", "final_f1"):
        rows.append(
            [f"claimer.{name}", number(claimer[name]), f"{claimer[counts[name]]} segments" if name in counts else ""]
        )
    for name in ("in_sentence_f1", "out_of_sentence_f1"):
        rows.append([f"claimer.{name}", number(claimer[name]), f"{claimer[counts[name]]} segments"])
    rows.append(["stance.accuracy", number(figures["stance"]["accuracy"]), f"{figures['stance']['segments']} segments"])
    for label, f in figures["stance"]["per_label"].items():
        rows.append([f"stance.{label}.f1", number(f["f1"]), f"support {f['support']}"])
    rows += [
        [f"claim_span.{name}", number(span[name]), f"{span['segments']} segments" if name == "f1" else ""]
        for name in PRF
    ]
    title = f"compat.newsclaims (NewsClaims' figures, {figures['normalisation']} normalisation)"
    return title, ("figure", "value", "detail"), rows


def _stance_detail(per_label: dict) -> str:
    """Each label's F1, and which labels macro-F1 leaves out (in neither gold nor predictions)."""
    averaged = {name: f for name, f in per_label.items() if f["support"] or f["precision"] is not None}
    if not averaged:
        return "no matched claims"
    absent = [name for name in per_label if name not in averaged]
    detail = ", ".join(f"{name} {number(f['f1'])}" for name, f in averaged.items())
    return detail + (f"; {', '.join(absent)}: in neither gold nor predictions, not averaged" if absent else "")


def _notes(result: EvalResult) -> list[str]:
    notes = [f"signature: {result.signature}", f"documents: {result.n_documents}"]
    if result.overall is None:
        notes.append(f"overall: undefined ({result.overall_reason})")
    if result.missing_documents:
        shown = ", ".join(result.missing_documents[:10]) + (" …" if len(result.missing_documents) > 10 else "")
        notes.append(
            f"missing from the predictions (scored as predicting nothing): {len(result.missing_documents)}: {shown}"
        )
    if result.compat and result.compat.get("token_reason"):
        notes.append(f"compat.token: undefined ({result.compat['token_reason']})")
    if result.compat and result.compat.get("newsclaims_reason"):
        notes.append(f"compat.newsclaims: undefined ({result.compat['newsclaims_reason']})")
    if result.settings.get("per_label_convention", "voci") == "voci":
        per_label = result.entities["per_label"]
        undefined = [name for name, f in per_label.items() if f["strict"]["precision"] is None]
        if undefined and len(undefined) < len(per_label):
            notes.append(
                f"macro precision: the mean over the {len(per_label) - len(undefined)} of {len(per_label)} labels "
                f"with predictions; {', '.join(undefined)}: never predicted, precision undefined, not averaged "
                "(the seqeval convention counts them as 0)"
            )
    reasons = dict.fromkeys(ci["reason"] for ci in (result.ci or {}).values() if ci.get("reason"))
    notes += [f"95% CI: undefined ({reason})" for reason in reasons]  # `[–, –]` in the table: say why
    if result.ci_warning:
        notes.append(f"warning: {result.ci_warning}")
    if result.extra_documents:
        notes.append(f"ignored predictions for documents not in gold: {len(result.extra_documents)}")
    return notes


def format_table(result: EvalResult) -> str:
    lines = []
    for title, header, rows in _rows(result):
        widths = (
            [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
            if rows
            else [len(h) for h in header]
        )
        lines.append(f"\n{title}")
        for row in (header, *rows):
            lines.append(
                "  ".join(
                    str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
                    for i, (cell, width) in enumerate(zip(row, widths, strict=True))
                ).rstrip()
            )
    return "\n".join(_notes(result) + lines).strip() + "\n"


def format_markdown(result: EvalResult) -> str:
    """Every cell and note through `toolkit.markdown` (a gold folder's name is in the signature)."""
    lines = [f"{md_code(note)}  " if note.startswith("signature") else f"{md_text(note)}  " for note in _notes(result)]
    for title, header, rows in _rows(result):
        lines += [
            "",
            f"### {title}",
            "",
            "| " + " | ".join(map(md_text, header)) + " |",
            "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
        ]
        lines += ["| " + " | ".join(map(md_text, row)) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def format_json(result: EvalResult) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"


FORMATTERS: dict[str, Callable[[EvalResult], str]] = {
    "table": format_table,
    "json": format_json,
    "markdown": format_markdown,
}
