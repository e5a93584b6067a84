"""Turn a hand-written annotation spec (quoted strings) into an annotation record with offsets.

The annotator decides every span, label, claimer and stance by hand in the spec; this
script only finds where each quoted string sits in the document ``text`` (so nobody
counts code points by hand) and prints every span in its context for checking.

Spec lines (tab-separated; ``#`` starts a comment; OCC is the 1-based whole-word occurrence, default 1):
    ENT    LABEL   QUOTE   [OCC]
    CLAIM  STANCE  KIND    CLAIMERS   QUOTE   [OCC]
CLAIMERS is ``-`` for author/unnamed, else ``QUOTE#OCC|QUOTE#OCC`` naming ENT lines of the spec.

    python annotations/tools/quote_to_offsets.py SPEC DOC_ID --annotator NAME --annotator-kind model \
        --out annotations/gold.jsonl
    python annotations/tools/quote_to_offsets.py SPEC DOC_ID --show
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from toolkit.files import write_jsonl
from toolkit.paths import DEFAULT_DOCUMENTS
from toolkit.validate import load_documents


def is_word_boundary(text: str, start: int, end: int) -> bool:
    return (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum())


def locate(text: str, quote: str, occurrence: int = 1) -> tuple[int, int]:
    """Offsets of the ``occurrence``-th whole-word match of ``quote``; ``LookupError`` when there is none."""
    seen, start = 0, text.find(quote)
    while start != -1:
        if is_word_boundary(text, start, start + len(quote)):
            seen += 1
            if seen == occurrence:
                return start, start + len(quote)
        start = text.find(quote, start + 1)
    raise LookupError(f"{quote!r} occurrence {occurrence} not found (found {seen} whole-word occurrence(s))")


def _quote_and_occurrence(fields: list[str]) -> tuple[str, int]:
    return fields[0], int(fields[1]) if len(fields) > 1 else 1


def build_record(spec_lines: list[str], document: dict) -> dict:
    """The annotation record (without provenance): entities ``e1..eN`` and claims ``c1..cN`` in text order."""
    text = document["text"]
    entities, claims, by_quote = [], [], {}
    for number, line in enumerate(spec_lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        kind, *fields = line.rstrip("\n").split("\t")
        try:
            if kind == "ENT":
                quote, occurrence = _quote_and_occurrence(fields[1:])
                start, end = locate(text, quote, occurrence)
                entity = {"start": start, "end": end, "label": fields[0], "text": text[start:end]}
                entities.append(entity)
                by_quote[f"{quote}#{occurrence}"] = entity
            elif kind == "CLAIM":
                stance, claimer_kind, refs = fields[:3]
                quote, occurrence = _quote_and_occurrence(fields[3:])
                start, end = locate(text, quote, occurrence)
                claimer_refs = [ref if "#" in ref else ref + "#1" for ref in refs.split("|")] if refs != "-" else []
                claims.append(
                    {
                        "start": start,
                        "end": end,
                        "text": text[start:end],
                        "stance": stance,
                        "claimer": (claimer_kind, claimer_refs),
                        "line": number,
                    }
                )
            else:
                raise LookupError(f"unknown line kind {kind!r} (expected ENT or CLAIM)")
        except (LookupError, ValueError, IndexError) as error:
            raise SystemExit(f"spec line {number}: {error}") from None
    entities.sort(key=lambda entity: (entity["start"], entity["end"]))
    for index, entity in enumerate(entities, 1):
        entity["id"] = f"e{index}"
    claims.sort(key=lambda claim: claim["start"])  # stable: same-span claims keep spec order
    for index, claim in enumerate(claims, 1):
        claimer_kind, claimer_refs = claim["claimer"]
        unknown = [ref for ref in claimer_refs if ref not in by_quote]
        if unknown:
            raise SystemExit(f"spec line {claim['line']}: claimer {unknown[0]!r} is not an ENT line of the spec")
        claim["id"] = f"c{index}"
        claim["claimer"] = {"kind": claimer_kind, "entity_ids": [by_quote[ref]["id"] for ref in claimer_refs]}
    return {
        "id": document["id"],
        "text_sha256": document["text_sha256"],
        "entities": [{key: entity[key] for key in ("id", "start", "end", "label", "text")} for entity in entities],
        "claims": [
            {key: claim[key] for key in ("id", "start", "end", "text", "stance", "claimer")} for claim in claims
        ],
    }


def show(record: dict, text: str, width: int = 30) -> None:
    """Every span between ⟦ ⟧ with its context, for checking by eye."""
    for item in record["entities"] + record["claims"]:
        start, end = item["start"], item["end"]
        context = (text[max(0, start - width) : start] + "⟦" + text[start:end] + "⟧" + text[end : end + width]).replace(
            "\n", "¶"
        )
        tag = item.get("label") or f"{item['stance']} {item['claimer']['kind']} {item['claimer']['entity_ids']}"
        print(f"{item['id']:>4} {start:>5}-{end:<5} {tag:<10} …{context}…")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument("doc_id")
    parser.add_argument("--documents", type=Path, default=DEFAULT_DOCUMENTS)
    parser.add_argument("--annotator")
    parser.add_argument("--annotator-kind", choices=["person", "model"], help="who made the spec: a person or a model")
    parser.add_argument("--annotation-id", default="gold-v1")
    parser.add_argument("--created-at", default=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    document = load_documents(args.documents)[args.doc_id]
    record = build_record(args.spec.read_text(encoding="utf-8").splitlines(), document)
    if args.show:
        show(record, document["text"])
    if args.out:
        if not args.annotator or not args.annotator_kind:
            sys.exit("--annotator and --annotator-kind are required with --out")
        provenance = {
            "annotator": args.annotator,
            "annotator_kind": args.annotator_kind,
            "annotation_id": args.annotation_id,
            "created_at": args.created_at,
        }
        write_jsonl(
            args.out,
            [
                {
                    "id": record["id"],
                    "text_sha256": record["text_sha256"],
                    **provenance,
                    "entities": record["entities"],
                    "claims": record["claims"],
                }
            ],
        )
        print(f"wrote {args.out}: {len(record['entities'])} entities, {len(record['claims'])} claims")


if __name__ == "__main__":
    main()
