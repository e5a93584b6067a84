"""How `toolkit build` grows with the corpus: time and peak memory for 1k, 10k and 100k synthetic documents.

Each size is generated (streamed to JSONL) and then built in its own fresh
Python process, so the peak resident memory (``ru_maxrss``) belongs to that build
alone; the process also reports its resident memory right after the imports,
so the growth caused by the corpus is visible apart from the libraries.  The
anchor is the 1k build: the ratios show time growing with the corpus while memory
stays nearly flat (documents are streamed in batches, only ids and offsets kept).

    python benchmarks/bench_build.py [--sizes 1000,10000,100000] [--sentences 12]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from toolkit.dataset.build import build_dataset
from toolkit.dataset.card import CardInputs
# imports before the baseline reading
import toolkit.dataset.card, toolkit.dataset.rows, datasets, pyarrow.parquet, spacy
from toolkit.tokenize import tokenizer
tokenizer("it")
baseline_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
folder = Path(sys.argv[1])
started = time.perf_counter()
report = build_dataset(
    folder / "documents.jsonl",
    folder / "gold.jsonl",
    folder / "voci",
    card_inputs=CardInputs(agreement=folder / "none", scores=folder / "none"),
)
seconds = time.perf_counter() - started
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
size = sum(path.stat().st_size for path in (folder / "voci").rglob("*") if path.is_file())
print(json.dumps({"seconds": seconds, "baseline_mib": baseline_kib / 1024, "peak_mib": peak_kib / 1024,
                  "documents": report.documents, "sentences": report.tally.sentences, "tokens": report.tally.tokens,
                  "output_mib": size / 2**20}))
"""


def measure(size: int, sentences: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-build-") as temporary:
        folder = Path(temporary)
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; from toolkit.dataset.synthetic import write_synthetic_corpus; "
                f"write_synthetic_corpus(Path(sys.argv[1]), {size}, seed=0, sentences={sentences})",
                str(folder),
            ],
            check=True,
        )
        input_mib = sum(path.stat().st_size for path in folder.glob("*.jsonl")) / 2**20
        wall = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", CHILD, str(folder)], check=True, capture_output=True, text=True)
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        figures["process_seconds"] = time.perf_counter() - wall
        figures["input_mib"] = input_mib
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--sentences", type=int, default=12, help="sentences per synthetic document")
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    print(
        f"toolkit build on synthetic corpora ({options.sentences} sentences per document); anchor = the first size",
        flush=True,
    )
    print(
        f"{'documents':>10} {'input MiB':>10} {'tokens':>11} {'build s':>9} {'docs/s':>8} "
        f"{'RSS after imports MiB':>22} {'peak RSS MiB':>13} "
        f"{'growth MiB':>11} {'time ×':>8} {'peak ×':>8}",
        flush=True,
    )
    anchor = None
    peaks = []
    for size in sizes:
        figures = measure(size, options.sentences)
        peaks.append(figures["peak_mib"])
        anchor = anchor or figures
        growth = figures["peak_mib"] - figures["baseline_mib"]
        print(
            f"{size:>10} {figures['input_mib']:>10.1f} {figures['tokens']:>11} {figures['seconds']:>9.1f} "
            f"{size / figures['seconds']:>8.0f} "
            f"{figures['baseline_mib']:>22.0f} {figures['peak_mib']:>13.0f} {growth:>11.0f} "
            f"{figures['seconds'] / anchor['seconds']:>8.1f} "
            f"{figures['peak_mib'] / anchor['peak_mib']:>8.2f}",
            flush=True,
        )
    if len(sizes) > 1:
        print(
            f"peak RSS at {sizes[-1]} documents / at {sizes[-2]}: {peaks[-1] / peaks[-2]:.2f} (target <= 1.5: the "
            "compiled gold is written batch by batch)"
        )


if __name__ == "__main__":
    main()
