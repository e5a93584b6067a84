"""Retraining a served model from submitted annotations (`toolkit backend --model MODEL_DIR --learn`).

Run in a child process (``python -m toolkit.model.learning REQUEST.json``), so the backend keeps answering
``/predict`` while spaCy trains.  The candidate continues from the served model's weights (spaCy's ``source``
components, ``resume_training``) with the base MODEL_DIR's own config.cfg, on the base training Docs plus the
submitted annotations, and is scored with spaCy's entity F1 on the base dev Docs, like the served model; the
backend swaps it in only when that F1 is not worse.  The candidate's folder is staged: a failed or killed
retraining leaves nothing.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import InputError
from toolkit.files import write_json
from toolkit.model.examples import data_hash, training_doc
from toolkit.model.manifest import MANIFEST, PIPELINE, read_manifest
from toolkit.model.training import CONFIG, DEV_DOCS, TRAIN_DOCS

SUBMITTED = "submitted.jsonl"  # what the backend hands the child: one {"document", "record"} per annotation


@dataclass(frozen=True)
class Retraining:
    """What one retraining was asked to do (the request file the backend writes for the child)."""

    base: Path  # the MODEL_DIR given to --model: config, training and dev Docs
    current: Path  # the MODEL_DIR served now: the weights to continue from, the F1 to match
    submitted: Path  # JSONL of {"document": document record, "record": annotation record}
    out: Path  # the candidate MODEL_DIR
    model_version: str

    def as_json(self) -> dict[str, str]:
        return {name: str(value) for name, value in self.__dict__.items()}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Retraining:
        return cls(*(Path(raw[name]) for name in ("base", "current", "submitted", "out")), raw["model_version"])


def entity_f1(nlp, dev_path: Path) -> float:
    """spaCy's strict entity F1 (``ents_f``) of ``nlp`` on the Docs of a dev DocBin."""
    from spacy.tokens import DocBin
    from spacy.training import Example

    reference = list(DocBin().from_disk(dev_path).get_docs(nlp.vocab))
    examples = [Example(nlp.make_doc(doc.text), doc) for doc in reference]
    return float(nlp.evaluate(examples).get("ents_f") or 0.0)


def _pairs(path: Path) -> list[tuple[dict, dict]]:
    from toolkit.files import read_jsonl

    return [(line["document"], line["record"]) for line in read_jsonl(path)]


# A retraining starts from the served weights: it needs far fewer steps than training from scratch (the base config's
# 20,000), and the backend keeps serving the old version for as long as it runs.
RETRAIN_STEPS = 2000


def retrain(request: Retraining) -> dict[str, Any]:
    """Train the candidate into ``request.out`` (staged); its figures and the served model's."""
    import spacy
    from spacy.tokens import DocBin
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import train as train_nlp

    from toolkit.pathguard import FOLDER, Input, Output, PathPlan
    from toolkit.staging import staged

    base = read_manifest(request.base)
    read_manifest(request.current)
    pairs = _pairs(request.submitted)
    plan = PathPlan([Input("model", request.base)], [Output("candidate", request.out, FOLDER)])
    with staged(plan) as staging:
        folder = staging.folder(request.out)
        config = spacy.util.load_config(request.base / CONFIG, interpolate=False)
        nlp = spacy.blank(config["nlp"]["lang"])
        docs = DocBin(store_user_data=True).from_disk(request.base / TRAIN_DOCS)
        for document, record in pairs:
            docs.add(training_doc(nlp, document, record))
        docs.to_disk(folder / TRAIN_DOCS)
        for name in config["nlp"]["pipeline"]:  # continue from the served weights
            config["components"][name] = {"source": str(request.current / PIPELINE)}
        config["paths"]["train"] = str(folder / TRAIN_DOCS)
        config["training"]["max_steps"] = min(int(config["training"]["max_steps"]) or RETRAIN_STEPS, RETRAIN_STEPS)
        config["paths"]["dev"] = str(request.base / DEV_DOCS)
        spacy.util.fix_random_seed(base.seed)
        trained = init_nlp(config)
        log = io.StringIO()
        train_nlp(trained, folder, stdout=log, stderr=log)
        shutil.rmtree(folder / "model-last", ignore_errors=True)  # only the best is served
        candidate = entity_f1(spacy.load(folder / PIPELINE), request.base / DEV_DOCS)
        current = entity_f1(spacy.load(request.current / PIPELINE), request.base / DEV_DOCS)
        manifest = base.as_json() | {
            "model_version": request.model_version,
            "training_data_hash": data_hash(pairs),
            "dev": {"entity_strict_f1": candidate, "scored_by": "spacy ents_f on the base dev Docs"},
        }
        manifest["training"] = {**base.training, "retrained_from": read_manifest(request.current).model_version}
        manifest["training"]["submitted_annotations"] = len(pairs)
        write_json(folder / MANIFEST, manifest)
    return {"candidate_f1": candidate, "current_f1": current, "annotations": len(pairs)}


def main(argv: list[str]) -> int:
    """The child's entry point: one JSON line on stdout, ``{"candidate_f1", "current_f1", …}`` or ``{"error"}``."""
    try:
        raw = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
        result = retrain(Retraining.from_json(raw))
    except InputError as error:
        result = {"error": error.args[0]}
    except Exception as error:  # noqa: BLE001 (reported in one line by the backend, which keeps serving)
        result = {"error": f"{error.__class__.__name__}: {str(error).splitlines()[0] if str(error) else ''}"}
    sys.stdout.write(json.dumps(result) + "\n")
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
