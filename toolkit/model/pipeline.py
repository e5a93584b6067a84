"""A trained model at work: load MODEL_DIR (checked against the inventory), turn documents into prediction records.

Entities are the ``ner`` component's; claim spans the ``span_finder``'s (see `paired_claims`) or the baseline's
rules on those entities, whichever `toolkit train` measured better on the dev set (``claims_from``).  Stance
and claimer come from the baseline's rules run on the model's own entities (`toolkit.baseline.claims`): a predicted
claim takes the stance and claimer of the rule claim it overlaps most; with none (no reporting construction), it
is the author's own statement, ``SUPPORT``: the most frequent case of the gold's claims without a reporting verb.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import InputError, mention
from toolkit.model.examples import CLAIMS_KEY
from toolkit.model.manifest import PIPELINE, TRAIN_DOCS, ModelManifest, check_labels, read_manifest

DEFAULT_STANCE = "SUPPORT"
DEFAULT_CLAIMER = "AUTHOR"
BATCH = 8  # documents per nlp.pipe batch: small batches measured fastest (docs/model.md)
PROCESS_DOCUMENTS = 100  # documents that make one more process worth its start-up (docs/model.md)
IOB_INSIDE, IOB_BEGIN = 1, 3  # spaCy's ENT_IOB codes (2 outside, 0 unset)


@dataclass(frozen=True)
class Prediction:
    """One document's prediction record and how unsure the model is about it (0 sure … 1 unsure)."""

    record: dict[str, Any]
    uncertainty: float | None  # None unless asked for (`TrainedModel.predict(scored=True)`)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _rules(text: str, doc) -> list:
    """The baseline's rule claims (`toolkit.baseline.claims`) on the model's own entities."""
    from toolkit.baseline.claims import find_claims
    from toolkit.baseline.entities import Entity

    return find_claims(text, [Entity(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents])


def stance_and_claimer(text: str, doc) -> None:
    """Set ``_.stance`` and ``_.claimer`` on each claim span from the baseline's rule claims (see module doc)."""
    from toolkit.convert_predictions.spacy_docs import _register_extensions

    _register_extensions()
    rules = _rules(text, doc) if len(doc.spans[CLAIMS_KEY]) else []
    for span in doc.spans[CLAIMS_KEY]:
        extent = (span.start_char, span.end_char)
        best = max(rules, key=lambda rule: _overlap(extent, (rule.start, rule.end)), default=None)
        if best is None or _overlap(extent, (best.start, best.end)) == 0:
            span._.stance, span._.claimer = DEFAULT_STANCE, DEFAULT_CLAIMER
            continue
        claimer = best.claimer if isinstance(best.claimer, str) else [best.claimer.start, best.claimer.end]
        span._.stance, span._.claimer = best.stance, claimer


def paired_claims(doc) -> list:
    """The claims of the ``span_finder``'s proposals.  It proposes every (start, end) pair within its maximum length
    (it is spaCy's suggester for ``spancat``), so the longest of them would join several claims into one; a claim
    is one clause: each predicted end closes the latest start before it, and a start without an end is dropped."""
    proposed = doc.spans[CLAIMS_KEY]
    starts, ends = {span.start for span in proposed}, {span.end - 1 for span in proposed}
    claims, opened = [], None
    for index in sorted(starts | ends):
        if index in starts:
            opened = index
        if index in ends and opened is not None:
            claims.append(doc[opened : index + 1])
            opened = None
    return claims


def rule_claims(text: str, doc) -> list:
    """The baseline's rule claims on the model's own entities, as spans of ``doc``."""
    spans = (doc.char_span(rule.start, rule.end, alignment_mode="expand") for rule in _rules(text, doc))
    return [span for span in spans if span is not None and len(span)]


CLAIM_SOURCES = {"span_finder": lambda text, doc: paired_claims(doc), "rules": rule_claims}  # manifest.CLAIMS_FROM


def seen_names(model_dir: Path) -> frozenset[str]:
    """The entity texts of the training data MODEL_DIR keeps (``train.spacy``, with what ``--learn`` added), read
    from the DocBin's token rows (ORTH, ENT_IOB) rather than rebuilt Docs: 30 times faster."""
    from spacy.attrs import ENT_IOB, ORTH
    from spacy.strings import StringStore
    from spacy.tokens import DocBin

    path = Path(model_dir) / TRAIN_DOCS
    if not path.is_file():
        raise InputError(f"{path}: missing (expected the training data `toolkit train` keeps: needed to score)")
    docs = DocBin().from_disk(path)
    strings, orth, iob = StringStore(list(docs.strings)), docs.attrs.index(ORTH), docs.attrs.index(ENT_IOB)
    names: set[str] = set()
    for tokens, spaces in zip(docs.tokens, docs.spaces, strict=True):
        words: list[str] = []
        for row, space in zip(tokens.tolist(), spaces.ravel().tolist(), strict=True):
            if words and row[iob] != IOB_INSIDE:
                names.add("".join(words).rstrip())
                words = []
            if row[iob] in (IOB_BEGIN, IOB_INSIDE) and (words or row[iob] == IOB_BEGIN):
                words.append(strings[row[orth]] + (" " if space else ""))
        if words:
            names.add("".join(words).rstrip())
    return frozenset(names)


def _entity_uncertainty(seen: frozenset[str], doc) -> float:
    """The share of the predicted mentions whose text the training data never marked (smoothed: (new + 1) /
    (predicted + 2), ½ for a document without any).  The model is least reliable on names it has not learned
    (found 57% of the time against 88%); its own probabilities did not follow its errors (docs/model.md)."""
    new = sum(ent.text not in seen for ent in doc.ents)
    return (new + 1) / (len(doc.ents) + 2)


class TrainedModel:
    """A MODEL_DIR written by `toolkit train`, loaded once; `predict` any number of documents."""

    def __init__(self, model_dir: Path):
        self.dir = Path(model_dir)
        self.manifest: ModelManifest = read_manifest(self.dir)  # refused before spaCy is imported
        self._seen: frozenset[str] | None = None
        import spacy

        try:
            self.nlp = spacy.load(self.dir / PIPELINE)
        except (OSError, ValueError) as error:
            raise InputError(f"{self.dir / PIPELINE}: cannot be loaded by spaCy ({error.__class__.__name__})") from None
        if "ner" not in self.nlp.pipe_names:
            raise InputError(f"{self.dir / PIPELINE}: no ner component (expected a pipeline `toolkit train` saves)")
        check_labels(list(self.nlp.get_pipe("ner").labels), str(self.dir / PIPELINE))

    @property
    def model_version(self) -> str:
        return self.manifest.model_version

    def describe(self) -> str:
        dev = self.manifest.dev
        figures = ", ".join(f"{name} {value:.3f}" for name, value in dev.items() if isinstance(value, float))
        return f"trained model {self.dir} (model version {self.model_version}; dev {figures or 'not scored'})"

    def predict(
        self,
        documents: Iterable[Mapping[str, Any]],
        scored: bool = False,
        source: str = "",
        processes: int = 1,
        claims_from: str | None = None,
    ) -> list[Prediction]:
        """A valid prediction record per document (checked like every prediction), in order; with ``scored``, how
        unsure the model is of each (`_entity_uncertainty`).  ``source`` (the documents file) names a document too
        long for the model.  ``processes`` > 1 runs the pipeline in that many forked processes (spaCy's
        ``n_process``: same order, same records), never from a threaded server.  Claim spans come from the
        manifest's ``claims_from`` (a key of `CLAIM_SOURCES`, chosen on the dev set by `toolkit train`) unless
        given."""
        if scored and self._seen is None:
            self._seen = seen_names(self.dir)
        sources = [claims_from or self.manifest.claims_from]
        return [
            Prediction(records[0], _entity_uncertainty(self._seen, doc) if scored else None)
            for doc, records in self._decoded(documents, sources, source, processes)
        ]

    def predict_each_source(self, documents: Iterable[Mapping[str, Any]], sources: list[str]) -> dict[str, list]:
        """The records `predict` gives with each ``claims_from`` of ``sources``, from one run of the pipeline (the
        entities are the same; only the claim spans are decoded once per source)."""
        decoded = list(self._decoded(documents, sources, "", 1))
        return {name: [records[index] for _, records in decoded] for index, name in enumerate(sources)}

    def _decoded(self, documents, sources: list[str], source: str, processes: int):
        """(Doc, [its record with the claims of each of ``sources``]) per document, in order."""
        from toolkit.convert_predictions.spacy_docs import from_spacy

        documents = list(documents)
        for document in documents:  # spaCy refuses longer texts (E088) once it has started
            if len(document["text"]) > self.nlp.max_length:
                where = f"{source}: " if source else ""
                raise InputError(
                    f"{where}document {document['id']}: text of {len(document['text'])} characters (expected at most"
                    f" {self.nlp.max_length}, the model's nlp.max_length)"
                )
        finder = "span_finder" in self.nlp.pipe_names
        texts = (document["text"] for document in documents)
        docs = self.nlp.pipe(texts, batch_size=BATCH, n_process=processes)
        for document, doc in zip(documents, docs, strict=True):
            proposed = list(doc.spans[CLAIMS_KEY]) if CLAIMS_KEY in doc.spans else None
            records = []
            for name in sources:
                if proposed is not None:
                    doc.spans[CLAIMS_KEY] = proposed
                    doc.spans[CLAIMS_KEY] = CLAIM_SOURCES[name](document["text"], doc)
                    stance_and_claimer(document["text"], doc)
                record = from_spacy(doc, document)
                if not finder:
                    record.pop("claims", None)
                records.append(record)
            yield doc, records


def processes_for(count: int) -> int:
    """How many processes `predict_file` uses for ``count`` documents: one per `PROCESS_DOCUMENTS`, at most the
    machine's cores."""
    return max(1, min(os.cpu_count() or 1, count // PROCESS_DOCUMENTS))


def predict_file(model_dir: Path, documents_path: Path, out: Path) -> tuple[int, str]:
    """Predict every document of a documents file with a trained model; returns (count, model version)."""
    from toolkit.convert_predictions.records import check_predictions
    from toolkit.files import write_jsonl
    from toolkit.pathguard import Input, Output, PathPlan
    from toolkit.staging import staged
    from toolkit.validate import load_documents

    inputs = [Input("MODEL_DIR", Path(model_dir)), Input("DOCUMENTS", Path(documents_path))]
    with staged(PathPlan(inputs, [Output(mention("out"), Path(out))])):
        model = TrainedModel(Path(model_dir))
        documents = load_documents(documents_path)
        processes = processes_for(len(documents))
        predicted = model.predict(documents.values(), source=str(documents_path), processes=processes)
        records = [prediction.record for prediction in predicted]
        check_predictions(records, documents)
        write_jsonl(out, records)
    return len(records), model.model_version
