"""What ``pip install voci-toolkit`` costs: the core install against the full one (``[all]``), in one run.

Builds the toolkit's wheel from this checkout, fills a local wheel cache with every dependency of ``[all]``
(``pip wheel``: wheels are downloaded once, sdists built once; later runs reuse the cache), then, for the core and
for the full install, creates a fresh venv and times ``pip install --no-index --find-links CACHE`` into it (so the
time is pip's resolving, unpacking and byte-compiling, not the network).  Prints for each: packages installed,
site-packages size and install time against the targets (core ≤ 35 packages, ≤ 300 MB, ≤ 25 s); the core's full
package list; and the start-up of ``toolkit eval`` (the repo's gold and baseline predictions, best of 5 runs after a
warm-up) in the core venv and in the full one.

    .venv/bin/python benchmarks/bench_install.py [--cache /tmp/voci-wheels] [--keep FOLDER]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"packages": 35, "megabytes": 300, "seconds": 25}
DOCUMENTS, GOLD = ROOT / "annotations/documents.jsonl", ROOT / "annotations/gold.jsonl"
PACKAGES = "import json, importlib.metadata as m; print(json.dumps(sorted({d.name for d in m.distributions()})))"


def _run(command: list, **kwargs) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    command = [str(part) for part in command]
    return subprocess.run(command, check=True, capture_output=True, text=True, env=env, **kwargs)


def fill_cache(cache: Path, work: Path) -> Path:
    """The toolkit's wheel (built now) and a wheel of every dependency of ``[all]`` in ``cache``."""
    cache.mkdir(parents=True, exist_ok=True)
    for old in cache.glob("voci_toolkit-*.whl"):
        old.unlink()
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "dist", "build", "*.egg-info"))
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", cache, source])
    (wheel,) = cache.glob("voci_toolkit-*.whl")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--find-links", cache, "-w", cache, f"{wheel}[all]"])
    return wheel


def install(venv: Path, requirement: str, cache: Path) -> dict:
    """A fresh venv (no pip in it) and ``requirement`` installed from the cache only; what it took."""
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    started = time.perf_counter()
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-index", "--find-links", cache,
          requirement])  # fmt: skip
    seconds = time.perf_counter() - started
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    size = sum(path.stat().st_size for path in site.rglob("*") if path.is_file() and not path.is_symlink())
    packages = json.loads(_run([python, "-c", PACKAGES]).stdout)
    return {"packages": packages, "megabytes": size / 1e6, "seconds": seconds, "toolkit": venv / "bin" / "toolkit"}


def eval_start_up(toolkit: Path, work: Path) -> float:
    """Best of 5 wall times of ``toolkit eval`` on the repo's gold (one warm-up run writes the bytecode)."""
    predictions = work / "predictions.jsonl"
    if not predictions.exists():
        _run([toolkit, "baseline", DOCUMENTS, "--out", predictions])
    command = [toolkit, "eval", predictions, "--gold", GOLD, "--documents", DOCUMENTS, "--format", "json"]
    _run(command, cwd=work)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        _run(command, cwd=work)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "voci-wheels")
    parser.add_argument("--keep", type=Path, help="build the venvs here and keep them (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = args.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        wheel = fill_cache(args.cache, work)
        print(f"wheel cache: {args.cache} ({len(list(args.cache.glob('*.whl')))} wheels); toolkit wheel {wheel.name}")
        runs = {"core": install(work / "core", str(wheel), args.cache)}
        runs["full"] = install(work / "full", f"{wheel}[all]", args.cache)
        for run in runs.values():
            run["eval"] = eval_start_up(run["toolkit"], work)
        print(f"{'':6} {'packages':>9} {'site-packages':>14} {'install':>9} {'toolkit eval':>13}")
        for name, run in runs.items():
            print(
                f"{name:6} {len(run['packages']):>9} {run['megabytes']:>11.0f} MB {run['seconds']:>7.1f} s "
                f"{run['eval']:>11.3f} s"
            )
        core = runs["core"]
        checks = {
            "packages": len(core["packages"]) <= TARGETS["packages"],
            "megabytes": core["megabytes"] <= TARGETS["megabytes"],
            "seconds": core["seconds"] <= TARGETS["seconds"],
        }
        print(
            "core targets: "
            + ", ".join(f"{key} ≤ {TARGETS[key]}: {'met' if ok else 'MISSED'}" for key, ok in checks.items())
        )
        print(f"toolkit eval start-up, core / full: {core['eval'] / runs['full']['eval']:.2f}")
        print(f"core packages ({len(core['packages'])}): {', '.join(core['packages'])}")


if __name__ == "__main__":
    main()
