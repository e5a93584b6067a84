"""`toolkit baseline` on one long text: seconds per 100,000 characters at 100k, 200k and 1M characters.

The rules are linear in the text (overlaps are resolved through a byte per character, claimer entities are found
by bisection, reporting verbs are looked up by their first word); a figure per 100k characters that grows with
the size would say something quadratic came back. The text is the synthetic corpus (invented articles) joined
into one document, cut at each size.

    python benchmarks/bench_baseline.py [--sizes 100000,200000,1000000] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

from toolkit.baseline import predict_document
from toolkit.dataset.synthetic import synthetic_corpus


def long_text(size: int, seed: int) -> str:
    texts: list[str] = []
    length, count = 0, 0
    while length < size:
        count += 50
        texts = [document["text"] for document, _ in synthetic_corpus(count, seed=seed)]
        length = sum(len(text) + 1 for text in texts)
    return " ".join(texts)[:size]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,200000,1000000")
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    text = long_text(max(sizes), arguments.seed)
    print(f"{'characters':>12} {'seconds':>9} {'s / 100k chars':>15} {'entities':>9} {'claims':>7}")
    for size in sizes:
        started = time.perf_counter()
        record = predict_document({"id": "long", "text": text[:size]})
        seconds = time.perf_counter() - started
        print(
            f"{size:>12,} {seconds:>9.2f} {seconds / size * 100_000:>15.3f} "
            f"{len(record['entities']):>9,} {len(record['claims']):>7,}"
        )


if __name__ == "__main__":
    main()
