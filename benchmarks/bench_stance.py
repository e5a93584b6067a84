"""Stance and claimer of a claim: the baseline's rules on the claim spans (what `toolkit predict` does) against a
trained alternative (spaCy ``textcat`` bag-of-words classifiers over the claim and its context: one for the stance,
one for the claimer's kind, the mention being the nearest PER/ORG entity before the claim, else after it).

Both get the gold claim spans and gold entities, so only stance and claimer are measured: accuracy on the claims
of generated held-out documents (`toolkit.dataset.synthetic`, another seed than the training documents) and of
the seed article (``annotations/``: real news, 19 claims; the rules were written looking at it, the classifier
never saw it).  KIND has no claims.

    python benchmarks/bench_stance.py [--train 300] [--held-out 100] [--steps 300]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

from toolkit.dataset.synthetic import invented_names, synthetic_corpus
from toolkit.model.examples import CLAIMS_KEY, training_doc
from toolkit.model.pipeline import stance_and_claimer

CONTEXT = 120  # characters either side of the claim the classifier reads
ROOT = Path(__file__).resolve().parents[1]


def claims_of(pairs):
    """(text, entities, claim) for every gold claim, with the claimer as a kind and a mention span or None."""
    for document, gold in pairs:
        by_id = {entity["id"]: entity for entity in gold["entities"]}
        for claim in gold["claims"]:
            ids = claim["claimer"]["entity_ids"]
            mention = (by_id[ids[0]]["start"], by_id[ids[0]]["end"]) if ids else None
            yield document["text"], gold["entities"], claim, (claim["claimer"]["kind"], mention)


def by_rules(text, entities, claim):
    """`toolkit.model.pipeline.stance_and_claimer` itself, on a Doc holding the gold entities and this one claim."""
    import spacy

    doc = training_doc(spacy.blank("it"), {"id": "x", "text": text}, {"entities": entities, "claims": [claim]})
    stance_and_claimer(text, doc)
    (span,) = doc.spans[CLAIMS_KEY]
    if isinstance(span._.claimer, str):
        return span._.stance, (span._.claimer.lower(), None)
    return span._.stance, ("entity", tuple(span._.claimer))


def context(text, claim):
    start, end = claim["start"], claim["end"]
    return f"{text[max(0, start - CONTEXT) : start]} [ {text[start:end]} ] {text[end : end + CONTEXT]}"


def nearest_mention(text, entities, claim):
    names = [e for e in entities if e["label"] in {"PER", "ORG"} and not claim["start"] <= e["start"] < claim["end"]]
    before = [e for e in names if e["end"] <= claim["start"]]
    after = [e for e in names if e["start"] >= claim["end"]]
    chosen = max(before, key=lambda e: e["end"], default=None) or min(after, key=lambda e: e["start"], default=None)
    return (chosen["start"], chosen["end"]) if chosen else None


def train_classifier(examples, labels, steps, seed):
    """A textcat (exclusive classes, bag of words and bigrams) trained on (text, label) pairs."""
    import spacy
    from spacy.training import Example

    nlp = spacy.blank("it")
    nlp.add_pipe(
        "textcat",
        config={
            "model": {
                "@architectures": "spacy.TextCatBOW.v3",
                "exclusive_classes": True,
                "ngram_size": 2,
                "no_output_layer": False,
            }
        },
    )
    gold = [
        Example.from_dict(nlp.make_doc(text), {"cats": {name: float(name == label) for name in labels}})
        for text, label in examples
    ]
    optimizer = nlp.initialize(lambda: gold)
    rng = random.Random(seed)
    for _ in range(steps):
        nlp.update(rng.sample(gold, min(32, len(gold))), sgd=optimizer)
    return nlp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=300)
    parser.add_argument("--held-out", type=int, default=100)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    names = invented_names(12, seed=3)
    train = list(claims_of(synthetic_corpus(args.train, seed=5, sentences=10, names=names)))
    held = list(claims_of(synthetic_corpus(args.held_out, seed=11, sentences=10, names=invented_names(12, seed=4))))
    documents = {json.loads(line)["id"]: json.loads(line) for line in (ROOT / "annotations/documents.jsonl").open()}
    seed_gold = [json.loads(line) for line in (ROOT / "annotations/gold.jsonl").open()]
    article = list(claims_of((documents[record["id"]], record) for record in seed_gold))

    started = time.monotonic()
    stance = train_classifier(
        [(context(t, c), c["stance"]) for t, _, c, _ in train], ["SUPPORT", "REFUTE", "NEUTRAL"], args.steps, 0
    )
    kind = train_classifier(
        [(context(t, c), who[0]) for t, _, c, who in train], ["entity", "author", "unnamed"], args.steps, 1
    )
    trained = time.monotonic() - started

    def by_classifier(text, entities, claim):
        snippet = context(text, claim)
        cats = stance(snippet).cats
        chosen_kind = max(kind(snippet).cats.items(), key=lambda item: item[1])[0]
        mention = nearest_mention(text, entities, claim) if chosen_kind == "entity" else None
        return max(cats.items(), key=lambda item: item[1])[0], (chosen_kind, mention)

    print(
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; classifiers trained in {trained:.0f} s "
        f"on {len(train)} generated claims"
    )
    print("  held-out                | claims | method     | stance acc | claimer acc (kind and mention)")
    for name, claims in (("generated (other seed)", held), ("seed article (real)", article)):
        for method, predict in (("rules", by_rules), ("classifier", by_classifier)):
            answers = [(predict(t, e, c), c["stance"], who) for t, e, c, who in claims]
            stance_acc = sum(got[0] == want for got, want, _ in answers) / len(answers)
            claimer_acc = sum(got[1] == who for got, _, who in answers) / len(answers)
            print(f"  {name:<23} | {len(claims):>6} | {method:<10} | {stance_acc:>10.3f} | {claimer_acc:>10.3f}")


if __name__ == "__main__":
    main()
