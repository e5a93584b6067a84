"""Speed of ``toolkit eval`` against nervaluate and seqeval on one synthetic corpus.

Generates documents of random Italian-looking words with flat entities (so the
same data can be written as IOB2 for seqeval) and two claims each, and
predictions with boundary, label, missing and spurious errors.  Builds the gold
once with ``toolkit build`` (untimed), then times, in one run: the whole
``toolkit eval`` process against the built folder (the release path: gold
validated and compiled for the scorer at build time) and against the gold JSONL
+ documents (gold validated on every run), the built form with ``--bootstrap 1000``, nervaluate's
``Evaluator.evaluate()`` alone, and seqeval's strict-mode F1 alone; checks the
strict figures agree, that both gold forms give the same result, and that the
reference engine (``--engine reference``, run once) writes the same JSON apart
from the engine; prints each time and the ratios against the targets (5x
nervaluate, 20x seqeval, bootstrap adding under 20%: the built-folder rows carry them, each marked met or MISSED;
the JSONL row, the gold-editing path, carries none), and what the figures that are on by default cost:
``compat`` (``compat.token`` and ``compat.newsclaims``; ``--no-compat``), the breakdown (``--no-breakdown``), and
both off.

The toolkit processes run with a bytecode cache (``PYTHONPYCACHEPREFIX`` in a
temporary folder, one untimed warm-up), as an installed package does.

``--baseline-tree PATH`` also times the same built-folder runs with the toolkit of another checkout (its
``PYTHONPATH``), interleaved with this one's in the same loop, and prints before/after: a change's cost measured
under the same load.

    .venv/bin/python benchmarks/bench_eval.py [--documents 20000] [--tokens 200] [--baseline-tree /tmp/main]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from toolkit.documents import make_document  # noqa: E402
from toolkit.files import write_jsonl  # noqa: E402
from toolkit.inventory import load_inventory  # noqa: E402

SYLLABLES = [
    "ma",
    "ri",
    "o",
    "ro",
    "ssi",
    "la",
    "pre",
    "si",
    "den",
    "te",
    "ca",
    "sa",
    "go",
    "ver",
    "no",
    "mi",
    "la",
    "no",
    "all'",
    "è",
]


def word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4)))


def make_corpus(n_documents: int, tokens_per_document: int, entities_per_document: int, seed: int):
    """Documents, gold records, prediction records, and per-document token spans with gold/predicted IOB2 tags."""
    rng = random.Random(seed)
    inventory = load_inventory()
    labels = inventory.entity_names
    stances = inventory.stance_names
    documents, gold, predictions, iob = [], [], [], []
    for d in range(n_documents):
        words = [word(rng) for _ in range(tokens_per_document)]
        offsets, position = [], 0
        for w in words:
            offsets.append((position, position + len(w)))
            position += len(w) + 1
        text = " ".join(words)
        document = make_document(f"doc-{d:06d}", text, "it")
        # flat gold entities: 1-3 tokens each, at least one free token between them
        slots = sorted(rng.sample(range(0, tokens_per_document - 4, 4), entities_per_document))
        gold_entities, pred_entities = [], []
        gold_tags, pred_tags = ["O"] * tokens_per_document, ["O"] * tokens_per_document
        for k, first in enumerate(slots):
            length = rng.randint(1, 3) if first + 3 < tokens_per_document else 1
            last = first + length - 1
            label = rng.choice(labels)
            start, end = offsets[first][0], offsets[last][1]
            gold_entities.append({"id": f"e{k}", "start": start, "end": end, "label": label, "text": text[start:end]})
            gold_tags[first : last + 1] = [f"B-{label}"] + [f"I-{label}"] * (last - first)
            roll = rng.random()
            if roll < 0.10:
                continue  # missed
            p_first, p_last, p_label = first, last, label
            if roll < 0.20:
                p_label = rng.choice([name for name in labels if name != label])
            elif roll < 0.30:
                if last > first:
                    p_first += 1
                else:
                    p_last += 1  # into the free token after the entity
            pred_entities.append({"start": offsets[p_first][0], "end": offsets[p_last][1], "label": p_label})
            pred_tags[p_first : p_last + 1] = [f"B-{p_label}"] + [f"I-{p_label}"] * (p_last - p_first)
        for first in range(3, tokens_per_document - 1, 4):  # spurious entities on free tokens
            if rng.random() < 0.02 and pred_tags[first] == "O" and gold_tags[first] == "O":
                label = rng.choice(labels)
                pred_entities.append({"start": offsets[first][0], "end": offsets[first][1], "label": label})
                pred_tags[first] = f"B-{label}"
        claims, pred_claims = [], []
        for c, first in enumerate(rng.sample(range(0, tokens_per_document - 25), 2)):
            last = first + rng.randint(8, 20)
            claimer = gold_entities[rng.randrange(len(gold_entities))]
            kind = rng.choice(inventory.claimer_kind_names)
            start, end = offsets[first][0], offsets[last][1]
            stance = rng.choice(stances)
            claims.append(
                {
                    "id": f"c{c}",
                    "start": start,
                    "end": end,
                    "text": text[start:end],
                    "stance": stance,
                    "claimer": {"kind": kind, "entity_ids": [claimer["id"]] if kind == "entity" else []},
                }
            )
            shift = rng.randint(0, 3)
            predicted_claimer = (
                {"start": claimer["start"], "end": claimer["end"]}
                if rng.random() < 0.5
                else rng.choice(sorted(inventory.prediction_claimer_keywords))
            )
            predicted = {
                "start": offsets[first + shift][0],
                "end": end,
                "stance": rng.choice(stances),
                "claimer": predicted_claimer,
            }
            if all(
                (p["start"], p["end"], str(p["claimer"])) != (predicted["start"], end, str(predicted_claimer))
                for p in pred_claims
            ):
                pred_claims.append(predicted)
        rng.shuffle(pred_entities)
        documents.append(document)
        gold.append(
            {"id": document["id"], "text_sha256": document["text_sha256"], "entities": gold_entities, "claims": claims}
        )
        predictions.append({"id": document["id"], "entities": pred_entities, "claims": pred_claims})
        iob.append((gold_tags, pred_tags))
    return documents, gold, predictions, iob


def timed(function):
    began = time.perf_counter()
    value = function()
    return time.perf_counter() - began, value


def run_evals(
    folder: Path, variants: dict[str, list[str]], repeat: int, environment: dict
) -> dict[str, tuple[float, dict]]:
    """Best of ``repeat`` runs of each whole process, the variants interleaved (the machine is shared: the
    minimum is the least disturbed run, and interleaving spreads any disturbance over all variants)."""
    best: dict[str, tuple[float, dict]] = {}
    for _ in range(repeat):
        for name, arguments in variants.items():
            arguments, env = arguments if isinstance(arguments, tuple) else (arguments, environment)
            out = folder / f"result-{len(best)}.json"
            command = [
                str(ROOT / ".venv/bin/toolkit"),
                "eval",
                str(folder / "predictions.jsonl"),
                *arguments,
                "--format",
                "json",
                "--out",
                str(out),
            ]
            seconds, process = timed(partial(subprocess.run, command, capture_output=True, text=True, env=env))
            if process.returncode:
                sys.exit(f"toolkit eval failed:\n{process.stderr}")
            if name not in best or seconds < best[name][0]:
                best[name] = (seconds, json.loads(out.read_text(encoding="utf-8")))
    return best


def build(folder: Path) -> None:
    """``toolkit build`` of the synthetic gold into ``folder/voci``, every document in the test split (untimed)."""
    from toolkit.dataset.build import build_dataset
    from toolkit.dataset.card import CardInputs

    build_dataset(
        folder / "documents.jsonl",
        folder / "gold.jsonl",
        folder / "voci",
        ratios={"test": 1.0},
        card_inputs=CardInputs(agreement=folder / "none", scores=folder / "none", guidelines=folder / "none"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20000)
    parser.add_argument("--tokens", type=int, default=200, help="tokens per document")
    parser.add_argument("--entities", type=int, default=20, help="gold entities per document")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=9, help="runs of each toolkit process; the best is reported")
    parser.add_argument("--baseline-tree", type=Path, help="another checkout whose toolkit is timed interleaved")
    args = parser.parse_args()

    documents, gold, predictions, iob = make_corpus(args.documents, args.tokens, args.entities, args.seed)
    n_gold = sum(len(record["entities"]) for record in gold)
    n_pred = sum(len(record["entities"]) for record in predictions)
    print(
        f"corpus: {len(documents)} documents, {len(documents) * args.tokens} tokens, "
        f"{n_gold} gold entities, {n_pred} predicted entities, "
        f"{sum(len(r['claims']) for r in gold)} gold claims"
    )
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        write_jsonl(folder / "documents.jsonl", documents)
        write_jsonl(folder / "gold.jsonl", gold)
        write_jsonl(folder / "predictions.jsonl", predictions)
        began = time.perf_counter()
        build(folder)
        print(f"built the gold with toolkit build in {time.perf_counter() - began:.1f} s (untimed setup)")
        environment = {**os.environ, "PYTHONPYCACHEPREFIX": str(folder / "pycache")}
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        built_form = ["--gold", str(folder / "voci"), "--split", "test"]
        jsonl_form = ["--gold", str(folder / "gold.jsonl"), "--documents", str(folder / "documents.jsonl")]
        compat_form = [*built_form, "--compat", "--per-label-convention", "seqeval"]
        variants = {"built": built_form, "bootstrap": [*built_form, "--bootstrap", "1000"], "compat": compat_form}
        variants |= {
            "no-compat": [*built_form, "--no-compat"],
            "no-breakdown": [*built_form, "--no-breakdown"],
            "neither": [*built_form, "--no-compat", "--no-breakdown"],
        }
        if args.baseline_tree:  # the same runs with the other checkout's toolkit, in the same loop
            baseline = {**environment, "PYTHONPATH": str(args.baseline_tree.resolve())}
            variants |= {f"{name} (baseline)": (form, baseline) for name, form in list(variants.items())}
        run_evals(folder, {f"warm-up {name}": form for name, form in variants.items()}, 1, environment)  # bytecode
        runs = run_evals(folder, variants, args.repeat, environment)
        runs.update(run_evals(folder, {"jsonl": jsonl_form}, max(1, args.repeat // 2), environment))  # slow: fewer runs
        reference_form = [*built_form, "--bootstrap", "1000", "--engine", "reference"]
        runs.update(run_evals(folder, {"reference": reference_form}, 1, environment))  # the plain path, once
    (built_seconds, result), (bootstrap_seconds, bootstrap_result), (jsonl_seconds, jsonl_result) = (
        runs["built"],
        runs["bootstrap"],
        runs["jsonl"],
    )

    from nervaluate import Evaluator
    from seqeval.metrics import f1_score
    from seqeval.scheme import IOB2

    labels = load_inventory().entity_names
    # nervaluate's ends are inclusive: convert at the boundary
    true = [
        [{"label": e["label"], "start": e["start"], "end": e["end"] - 1} for e in record["entities"]] for record in gold
    ]
    pred = [
        [{"label": e["label"], "start": e["start"], "end": e["end"] - 1} for e in record["entities"]]
        for record in predictions
    ]
    evaluator = Evaluator(true, pred, tags=labels, loader="dict")
    nervaluate_seconds, nervaluate_result = timed(evaluator.evaluate)
    y_true = [tags for tags, _ in iob]
    y_pred = [tags for _, tags in iob]
    seqeval_seconds, seqeval_f1 = timed(lambda: f1_score(y_true, y_pred, mode="strict", scheme=IOB2))

    ours = result["entities"]["strict"]
    theirs = nervaluate_result["overall"]["strict"]
    agree_nervaluate = all(
        ours[name] == getattr(theirs, name) for name in ("correct", "incorrect", "partial", "missed", "spurious")
    )
    agree_seqeval = abs(ours["f1"] - seqeval_f1) < 1e-9
    figures = ("entities", "claims", "claimer", "stance", "end_to_end", "overall", "breakdown")
    same_forms = (
        all(result[key] == jsonl_result[key] for key in figures)
        and result["settings"]["gold_hash"] == jsonl_result["settings"]["gold_hash"]
    )
    print(
        f"strict F1: toolkit {ours['f1']:.6f}, nervaluate {theirs.f1:.6f}, seqeval {seqeval_f1:.6f} -> "
        f"counts equal nervaluate: {agree_nervaluate}, F1 equals seqeval: {agree_seqeval}; "
        f"built folder and JSONL give the same figures and gold hash: {same_forms}"
    )
    print(f"bootstrap interval of entities.strict.f1: {bootstrap_result['ci']['entities.strict.f1']}")
    print(f"nervaluate Evaluator.evaluate() alone:           {nervaluate_seconds:8.2f} s")
    print(f"seqeval f1_score(mode='strict') alone:           {seqeval_seconds:8.2f} s")
    jsonl_repeat = max(1, args.repeat // 2)
    name = f"toolkit eval --gold BUILT --split test (best of {args.repeat})"
    nervaluate_ratio, seqeval_ratio = nervaluate_seconds / built_seconds, seqeval_seconds / built_seconds
    print(
        f"{name:56s} {built_seconds:8.2f} s  nervaluate/toolkit {nervaluate_ratio:5.1f}x (target >= 5x: "
        f"{_met(nervaluate_ratio >= 5)}), seqeval/toolkit {seqeval_ratio:5.1f}x (target >= 20x: "
        f"{_met(seqeval_ratio >= 20)})"
    )
    name = f"toolkit eval --gold JSONL --documents JSONL (best of {jsonl_repeat})"
    print(
        f"{name:56s} {jsonl_seconds:8.2f} s  nervaluate/toolkit {nervaluate_seconds / jsonl_seconds:5.1f}x, "
        f"seqeval/toolkit {seqeval_seconds / jsonl_seconds:5.1f}x (no target: the gold-editing path, which "
        "validates the gold on every run)"
    )
    added = 100 * (bootstrap_seconds / built_seconds - 1)
    print(
        f"{'toolkit eval --gold BUILT --split test --bootstrap 1000':56s} {bootstrap_seconds:8.2f} s  "
        f"(+{added:.1f}% over the same run without, target < +20%: {_met(added < 20)})"
    )
    compat_seconds, compat_result = runs["compat"]
    same_compat = all(
        compat_result[key] == result[key] for key in ("claims", "claimer", "stance", "end_to_end", "breakdown")
    )
    name = "toolkit eval --gold BUILT --split test --compat --per-label-convention seqeval"
    print(
        f"{name:56s} {compat_seconds:8.2f} s  (nervaluate/toolkit {nervaluate_seconds / compat_seconds:5.1f}x; "
        f"token micro F1 {compat_result['compat']['token']['micro']['f1']:.4f}, NewsClaims claimer final F1 "
        f"{compat_result['compat']['newsclaims']['claimer']['final_f1']:.4f}; other figures unchanged: {same_compat})"
    )
    no_compat_seconds, no_compat_result = runs["no-compat"]
    same_compat = same_compat and no_compat_result["compat"] is None and result["compat"] == compat_result["compat"]
    name = "toolkit eval --gold BUILT --split test --no-compat"
    print(
        f"{name:56s} {no_compat_seconds:8.2f} s  (compat off; on, the default, adds "
        f"{built_seconds - no_compat_seconds:+.2f} s; "
        f"nervaluate/toolkit {nervaluate_seconds / no_compat_seconds:5.1f}x)"
    )
    off_seconds, off_result = runs["no-breakdown"]
    same_off = off_result["breakdown"] is None and all(off_result[key] == result[key] for key in figures[:-1])
    name = "toolkit eval --gold BUILT --split test --no-breakdown"
    print(
        f"{name:56s} {off_seconds:8.2f} s  (breakdown off; on, the default, adds {built_seconds - off_seconds:+.2f} s; "
        f"nervaluate/toolkit {nervaluate_seconds / off_seconds:5.1f}x; other figures unchanged: {same_off})"
    )
    neither_seconds, _ = runs["neither"]
    name = "toolkit eval --gold BUILT --split test --no-compat --no-breakdown"
    print(
        f"{name:56s} {neither_seconds:8.2f} s  (both off, the figures of before; both on add "
        f"{built_seconds - neither_seconds:+.2f} s; nervaluate/toolkit {nervaluate_seconds / neither_seconds:5.1f}x)"
    )
    kinds = result["breakdown"]["claimer_kind"]
    print(
        "breakdown end_to_end.f1 by claimer kind: "
        + ", ".join(f"{k} {v['end_to_end']['f1']:.4f}" for k, v in kinds.items())
    )
    reference_seconds, reference_result = runs["reference"]
    reference_result["settings"]["engine"] = bootstrap_result["settings"]["engine"]
    reference_result["signature"] = reference_result["signature"].removesuffix("|engine:reference")
    same_engines = reference_result == bootstrap_result
    name = "toolkit eval --gold BUILT --split test --bootstrap 1000 --engine reference"
    print(
        f"{name:56s} {reference_seconds:8.2f} s  (once; the same JSON as the fast engine apart from the engine: "
        f"{same_engines})"
    )
    for name in ("built", "bootstrap", "compat") if args.baseline_tree else ():
        before, after = runs[f"{name} (baseline)"][0], runs[name][0]
        print(
            f"{name:9s} baseline tree {before:6.2f} s, this tree {after:6.2f} s ({(after / before - 1) * 100:+.1f}%); "
            f"same JSON: {runs[f'{name} (baseline)'][1] == runs[name][1]}"
        )
    if not (agree_nervaluate and agree_seqeval and same_forms and same_engines and same_compat and same_off):
        sys.exit("the figures disagree")


def _met(met: bool) -> str:
    return "met" if met else "MISSED"


if __name__ == "__main__":
    main()
