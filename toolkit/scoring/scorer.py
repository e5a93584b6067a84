"""The in-memory core of the scorer: a `Scorer` holds the gold, `Scorer.score` turns predictions into a `Scored`.

A `Scored` keeps the per-document sufficient statistics (sacreBLEU's split
between statistics and scores): `Scored.result` computes every figure, with
bootstrap intervals when asked, and `Scored.paired` the paired test against
another system scored by the same `Scorer`.  The gold is read once and each
system scored once, however many results and tests are asked of them (the
leaderboard).  ``toolkit eval``, ``toolkit compare``, the leaderboard and
`toolkit.scoring.evaluate` are thin wrappers over this.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import InputError, ParameterError, mention
from toolkit.inventory import load_inventory
from toolkit.scoring import parameters
from toolkit.scoring.conventions import CONVENTIONS, DEFAULT_CONVENTION, seqeval_entities
from toolkit.scoring.engines.fast_claims import joined_pairs
from toolkit.scoring.engines.registry import engine_named
from toolkit.scoring.figures import (
    HEADLINE_COUNTS,
    HEADLINE_FIGURES,
    claim_figures,
    entity_figures,
    headline,
    overall_figure,
    scheme_figures,
)
from toolkit.scoring.gold.gold import Gold
from toolkit.scoring.gold.loading import load_gold_from
from toolkit.scoring.predictions import Source, is_file, paused_gc, read_predictions
from toolkit.scoring.result import EvalResult
from toolkit.scoring.signature import MATCHING_RULE, make_signature
from toolkit.scoring.spans import ClaimColumns, EntityColumns
from toolkit.scoring.statistics import SCHEMES, layout

DEFAULT_SEED = 12345
DEFAULT_IOU = parameters.DEFAULT_IOU


def load_gold(
    source: str | Path | Gold, documents: str | Path | None = None, split: str | None = None, engine: str | None = None
) -> Gold:
    """The gold: a `Gold` as it is; an existing folder built by ``toolkit build`` (``split``: one of its splits);
    an existing gold JSONL, its texts from ``documents`` (default ``annotations/documents.jsonl``; ``split``: the
    documents whose ``split`` field says so); otherwise a Hugging Face Hub dataset id ``ORG/NAME[@REVISION]``.

    Raises `toolkit.errors.InputError` (or its `ValidationError`) on bad input, `ServerError` when the Hub cannot
    be reached and the dataset is not in the local cache.
    """
    if isinstance(source, Gold):
        return source
    parameters.gold_source(source, Gold)
    parameters.path_or_none(documents, "documents", "the path of a documents JSONL, or None")
    split = parameters.split(split)
    with paused_gc():
        return load_gold_from(source, Path(documents) if documents else None, split, engine_named(engine).compiled_gold)


class Scorer:
    """Gold loaded once, then any number of prediction sets scored against it.

    ``gold``, ``documents``, ``split``: as `load_gold`.  ``iou``: the character
    IoU at which a predicted claim matches a gold claim.  ``ignore_extra``: skip
    predictions for documents not in the gold instead of refusing them.
    ``engine``: ``"fast"`` or ``"reference"`` (default: ``VOCI_SCORER_ENGINE``, else fast).
    ``per_label_convention``: ``"voci"`` or ``"seqeval"`` (`toolkit.scoring.conventions`).
    ``compat``: add the figures comparable with published benchmarks (`toolkit.scoring.compat`), with
    ``token_label_map`` renaming entity labels for the token figures first, and ``newsclaims_normalisation``
    (``"english"``, NewsClaims' own, or ``"italian"``) normalising claimer strings for the NewsClaims figures;
    ``None`` (the default): add them when the gold is a built folder or Hub dataset (whose ``ner`` config holds
    the tokens and sentences), not for a gold JSONL (``True`` tokenizes its documents as the build does: spaCy).
    ``require_complete``: refuse predictions that miss gold documents (`InputError`) instead of scoring them as
    predicting nothing.  ``breakdown``: add the claim figures by claimer kind, claimer position and claim form
    (`toolkit.scoring.breakdown`).
    """

    def __init__(
        self,
        gold: str | Path | Gold,
        documents: str | Path | None = None,
        split: str | None = None,
        *,
        iou: float = DEFAULT_IOU,
        ignore_extra: bool = False,
        engine: str | None = None,
        require_complete: bool = False,
        per_label_convention: str = DEFAULT_CONVENTION,
        compat: bool | None = None,
        token_label_map: Mapping[str, str] | None = None,
        newsclaims_normalisation: str = "english",
        breakdown: bool = True,
    ):
        iou = parameters.iou(iou)
        if per_label_convention not in CONVENTIONS:
            raise ParameterError(
                "per_label_convention",
                f"{per_label_convention!r} is not a convention (expected one of: {', '.join(CONVENTIONS)})",
            )
        self.per_label_convention = per_label_convention
        self.compat = compat
        self.token_label_map = dict(token_label_map or {})
        self.newsclaims_normalisation = parameters.newsclaims_normalisation(newsclaims_normalisation)
        self._newsclaims: tuple | None = None
        self._tokens: tuple | None = None
        self._index: tuple | None = None
        self.breakdown = breakdown
        self._gold_values: dict | None = None
        self._texts: list[str] = []
        self._text: str | None = None
        self._field_values: dict[str, list[str]] = {}
        self.engine = engine_named(engine)
        self.gold = load_gold(gold, documents, split, self.engine.name)
        if compat is None:  # on where the tokens are at hand: a built folder (compiled at build time) or Hub dataset
            self.compat = self.gold.folder is not None
        self.iou = iou
        self.ignore_extra = ignore_extra
        self.require_complete = require_complete
        self._gold_hash: str | None = None

    @property
    def gold_hash(self) -> str:
        """The gold's content hash (computed once: 0.15 s on 20,000 documents when not stored at build time)."""
        if self._gold_hash is None:
            self._gold_hash = self.engine.gold_hash(self.gold)
        return self._gold_hash

    def score(self, predictions: Source, name: str | None = None) -> Scored:
        """Score a predictions JSONL file, or prediction records given as a list of dicts.

        Records are checked as `toolkit validate` checks a file; problems raise `toolkit.errors.ValidationError`
        with one ``FILE:LINE: field: message`` (``record N: field: message`` for records) per problem.
        A gold document without a prediction counts as predicting nothing.  ``name`` names the system in
        `Scored.paired` (default: the file's path, or ``"records"``).
        """
        with paused_gc():
            predicted = read_predictions(predictions, self.gold, self.ignore_extra, self.engine.short_way)
            pairs: list | None = [] if self.breakdown else None  # the breakdown's matched claims, from this count
            stats, label_stats = self.engine.count(self.gold, predicted, self.iou, pairs)
        notes = [*self.gold.notes, f"engine: {self.engine.name}; predictions {predicted.how}"]
        name = name or (str(predictions) if is_file(predictions) else "records")
        missing = [doc_id for index, doc_id in enumerate(self.gold.ids) if index not in predicted.present]
        if self.require_complete and missing:
            raise InputError(incomplete(name, missing, len(self.gold.ids)))
        return Scored(
            self,
            name,
            stats,
            label_stats,
            predicted.layers,
            missing,
            predicted.extra,
            notes,
            np.bincount(predicted.entities.label, minlength=len(load_inventory().entity_names)),
            predicted.entities if self.compat else None,
            predicted.claims if self.compat else None,
            self.breakdown_figures(predicted.claims, joined_pairs(pairs)) if self.breakdown else None,
        )

    def field_values(self, field: str) -> list[str]:
        """The value of a document field for each gold document (`toolkit.scoring.by_field`), read once."""
        from toolkit.scoring.by_field import document_values

        if field not in self._field_values:
            self._field_values[field] = document_values(self.gold, field)
        return self._field_values[field]

    def _gold_texts(self) -> list[str]:
        """The gold documents' texts, read once (indexed once per claim: a list, not a lazy mapping)."""
        if not self._texts:
            self._texts = self.gold.all_texts()
        return self._texts

    def _all_text(self) -> str:
        """Every gold text end to end (`Gold.all_text`), read once."""
        if self._text is None:
            self._text = self.gold.all_text()
        return self._text

    def breakdown_figures(self, predicted: ClaimColumns, pairs: tuple[np.ndarray, ...]) -> dict[str, Any]:
        """``breakdown`` of a result (`toolkit.scoring.breakdown`) from the count's matched claims ``pairs``; the
        gold claims' values are found once, and the texts read only for what is not compiled."""
        from toolkit.scoring.breakdown import breakdown_figures, claim_values, predicted_claim_values

        if self._gold_values is None:  # compiled at build time, else found once
            self._gold_values = self.gold.claim_values or claim_values(self.gold.claims, self._gold_texts())
        if self.gold.marks is None:
            values = claim_values(predicted, self._gold_texts())
        else:
            values = predicted_claim_values(predicted, self.gold.marks, self.gold.text_lengths(), self._gold_texts)
        return breakdown_figures(self._gold_values, values, pairs, self.gold.claims.stance, predicted.stance)

    def settings(self, resamples: int, seed: int) -> dict[str, Any]:
        """Every setting that changes a number (the signature is made of these)."""
        return {
            "gold": self.gold.name,
            "gold_hash": self.gold_hash,
            "revision": self.gold.revision,
            "split": self.gold.split,
            "iou": self.iou,
            "matching": MATCHING_RULE,
            "bootstrap": resamples,
            "seed": seed,
            "engine": self.engine.name,
            "per_label_convention": self.per_label_convention,
            "token_label_map": self.token_label_map,
            "newsclaims_normalisation": self.newsclaims_normalisation,
        }

    def compat_figures(self, predicted: EntityColumns, claims: ClaimColumns) -> dict[str, Any]:
        """``compat`` of a result: ``token`` and ``newsclaims`` (null with ``token_reason``/``newsclaims_reason`` when
        the dataset's tokens are not at hand).  On a large corpus the token figures are found in a forked child while
        this process finds NewsClaims' (`toolkit.scoring.forked`; they come back as JSON, floats exact)."""
        from toolkit.scoring.engines import thresholds

        if not thresholds.in_two_halves(len(self.gold.entities) + len(predicted), thresholds.PARALLEL_SPANS):
            return {**self._token_figures(predicted), **self._newsclaims_figures(claims)}
        from toolkit.scoring.forked import beside_a_child

        self._figure_tokens()  # read here, before the fork: the child has them, and NewsClaims' figures need them too
        newsclaims, payload = beside_a_child(
            lambda: self._newsclaims_figures(claims), lambda: json.dumps(self._token_figures(predicted)).encode()
        )
        token = json.loads(payload) if payload is not None else self._token_figures(predicted)  # a child that died
        return {**token, **newsclaims}

    def _token_index(self):
        """The gold's `toolkit.scoring.compat.TokenIndex` with its sentences, read from the built folder's ner config
        (or, for a gold JSONL, tokenized as the build does) once; ``None`` when neither can be done."""
        from toolkit.extras import extra_installed
        from toolkit.scoring.compat import dataset_tokens, document_tokens, token_index

        if self._index is None:
            folder, tokens = self.gold.folder, None
            if folder:
                tokens = dataset_tokens(folder, self.gold.split, self.gold.position)
            elif extra_installed("spacy"):  # a gold JSONL: tokenized as the build would
                tokens = document_tokens(self.gold)
            self._index = (None if tokens is None else token_index(tokens, self.gold.text_lengths()),)
        return self._index[0]

    def _no_tokens(self) -> str:
        """Why the dataset's tokens (and sentences) are not at hand."""
        if self.gold.folder is None:
            return (
                "score against a folder built by `toolkit build` (its ner config), or install spaCy (the dataset or "
                "spacy extra) to tokenize a gold JSONL's documents"
            )
        return f"{self.gold.folder} has no ner config (expected a folder built by `toolkit build`)"

    def _newsclaims_figures(self, claims: ClaimColumns) -> dict[str, Any]:
        from toolkit.scoring import newsclaims

        if self._newsclaims is None:
            self._newsclaims = self._newsclaims_gold()
        index, gold = self._newsclaims
        if index is None:
            return {"newsclaims": None, "newsclaims_reason": "needs the dataset's sentences: " + self._no_tokens()}
        predicted = newsclaims.predicted_entries(
            claims, index, self.gold.text_lengths(), self._all_text, self.gold.mention_texts
        )
        return {
            "newsclaims": newsclaims.column_figures(gold, predicted, self.newsclaims_normalisation),
            "newsclaims_reason": None,
        }

    def _newsclaims_gold(self) -> tuple:
        """The dataset's tokens and sentences (a `TokenIndex`) and NewsClaims' gold `Entries`: compiled at build
        time, else from the built folder's parquet files or the gold JSONL's records; ``(None, None)`` without
        tokens."""
        from toolkit.scoring import newsclaims

        compiled = self.gold.newsclaims() if self.gold.newsclaims else None
        if compiled is not None:
            return compiled
        index, lengths = self._token_index(), self.gold.text_lengths()
        if index is None or not (self.gold.folder or self.gold.mentions):  # no claimer mentions: a hand-made Gold
            return None, None
        if self.gold.folder:
            gold = newsclaims.folder_entries(self.gold.folder, self.gold.split, self.gold.position, index, lengths)
        else:
            mentions = self.gold.mentions()
            documents = ((d, *mentions[doc_id]) for d, doc_id in enumerate(self.gold.ids))
            gold = newsclaims.gold_entries(documents, newsclaims.DocumentSegments(index, lengths))
        return index, gold

    def _figure_tokens(self):
        """The `toolkit.scoring.compat.TokenIndex` `compat.token` counts over (compiled at build time, else
        `_token_index`), read once; ``None`` without tokens."""
        if self._tokens is None:
            tokens = self.gold.tokens() if self.gold.tokens else None
            self._tokens = (tokens if tokens is not None else self._token_index(),)
        return self._tokens[0]

    def _token_figures(self, predicted: EntityColumns) -> dict[str, Any]:
        from toolkit.scoring.compat import TOKEN_CONFIG, token_figures

        tokens = self._figure_tokens()
        if tokens is None:
            return {"token": None, "token_reason": "needs the dataset's tokens: " + self._no_tokens()}
        tokenization = (
            f"the {TOKEN_CONFIG} config of {self.gold.name}"
            if self.gold.folder
            else f"the documents of {self.gold.name} tokenized as `toolkit build` writes its {TOKEN_CONFIG} config"
        )
        figures = token_figures(tokens, self.gold.text_lengths(), predicted, self.token_label_map, tokenization)
        return {"token": figures, "token_reason": None}


def _defined(value) -> float | None:
    """A headline figure as the result gives it: ``None`` where it is undefined (NaN)."""
    return float(value) if np.isfinite(value) else None


def incomplete(name: str, missing: list[str], n_gold: int) -> str:
    """The one line of ``--require-complete`` refusing predictions that miss gold documents."""
    shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
    empty = " (no prediction at all)" if len(missing) == n_gold else ""
    return (
        f"{name}: {len(missing)} of {n_gold} gold document(s) have no prediction{empty}: {shown} "
        f"(expected one record per gold document, as {mention('require_complete')} asks)"
    )


@dataclass
class Scored:
    """One system's per-document statistics (rows in gold order), ready for figures, intervals and paired tests."""

    scorer: Scorer
    name: str
    stats: np.ndarray  # documents × `toolkit.scoring.statistics` columns
    label_totals: np.ndarray  # labels × entity counts
    layers: list[str]
    missing_documents: list[str]
    extra_documents: list[str]
    notes: list[str] = field(default_factory=list)  # how the gold and the predictions were read and counted
    predicted_labels: np.ndarray | None = None  # predicted spans per label (seqeval's convention needs them)
    predicted_entities: EntityColumns | None = None  # kept when the scorer computes `compat` figures
    predicted_claims: ClaimColumns | None = None  # likewise
    breakdown: dict[str, Any] | None = None  # `toolkit.scoring.breakdown` figures (the scorer's ``breakdown``)

    def _headline_stats(self) -> np.ndarray:
        return self.stats[:, [layout().index(name) for name in HEADLINE_COUNTS]]

    def _intervals(
        self, stats: np.ndarray, overall: float | None, bootstrap: int, seed: int
    ) -> tuple[dict[str, dict], str | None]:
        """95% intervals of the headline figures over these documents' statistics rows, and the warning when they
        are too few to mean anything."""
        from toolkit.scoring.bootstrap import FEW_DOCUMENTS, intervals, unresampled

        n = len(stats)
        if n < 2:
            ci = unresampled(HEADLINE_FIGURES, bootstrap, seed, f"{n} document(s): resampling gives no interval")
        else:
            ci = intervals(stats, headline, bootstrap, seed)
        if overall is None:
            ci["overall"].update({"low": None, "high": None})
        warning = None
        if n < FEW_DOCUMENTS:
            warning = (
                f"bootstrap over {n} document(s): intervals over fewer than {FEW_DOCUMENTS} documents are not "
                "meaningful"
            )
        return ci, warning

    def by(self, fields: Sequence[str], bootstrap: int = 0, seed: int = DEFAULT_SEED) -> dict[str, Any]:
        """``by`` of a result: per document field and value, the documents and the headline figures (with their
        intervals when ``bootstrap``) over those documents alone."""
        values = {name: self.scorer.field_values(name) for name in fields}  # every field checked first
        stats = self._headline_stats()
        result: dict[str, Any] = {}
        for name, per_document in values.items():
            groups: dict[str, list[int]] = {}
            for index, value in enumerate(per_document):
                groups.setdefault(value, []).append(index)
            result[name] = {}
            for value in sorted(groups):
                rows = stats[groups[value]]
                figures = {name: _defined(figure[0]) for name, figure in headline(rows.sum(axis=0)[None]).items()}
                overall, reason = overall_figure(figures, self.layers)
                ci, warning = self._intervals(rows, overall, bootstrap, seed) if bootstrap else (None, None)
                result[name][value] = {
                    "n_documents": len(rows),
                    **{name: figures[name] for name in HEADLINE_FIGURES[:3]},
                    "overall": overall,
                    "overall_reason": reason,
                    "ci": ci,
                    "ci_warning": warning,
                }
        return result

    def result(self, bootstrap: int = 0, seed: int = DEFAULT_SEED, by: Sequence[str] = ()) -> EvalResult:
        """Every figure; with ``bootstrap`` resamples, 95% intervals of the headline figures (seeded); ``by``:
        the headline figures per value of each of these document fields (`by`)."""
        bootstrap, seed = parameters.resamples(bootstrap), parameters.seed(seed)
        by_fields = self.by(by, bootstrap, seed) if by else None
        inventory = load_inventory()
        totals = layout().named(self.stats.sum(axis=0))
        entities = entity_figures(totals, self.label_totals.tolist(), inventory.entity_names)
        if self.scorer.per_label_convention == "seqeval":
            entities["per_label"], entities["macro"], entities["weighted"] = seqeval_entities(
                self.label_totals.tolist(), self.predicted_labels.tolist(), inventory.entity_names
            )
        claim_layers = claim_figures(totals, self.scorer.iou, inventory.stance_names, inventory.polar_stances)
        figures = {
            "entities.strict.f1": entities["strict"]["f1"],
            "claims.overlap.f1": claim_layers["claims"]["overlap"]["f1"],
            "end_to_end.f1": claim_layers["end_to_end"]["f1"],
        }
        overall, reason = overall_figure(figures, self.layers)
        ci, ci_warning = (None, None)
        if bootstrap:
            ci, ci_warning = self._intervals(self._headline_stats(), overall, bootstrap, seed)
        settings = self.scorer.settings(bootstrap, seed)
        return EvalResult(
            signature=make_signature(settings, len(self.stats)),
            settings=settings,
            n_documents=len(self.stats),
            missing_documents=self.missing_documents,
            extra_documents=self.extra_documents,
            entities=entities,
            overall=overall,
            overall_reason=reason,
            ci=ci,
            ci_warning=ci_warning,
            compat=(
                self.scorer.compat_figures(self.predicted_entities, self.predicted_claims)
                if self.scorer.compat
                else None
            ),
            breakdown=self.breakdown,
            by=by_fields,
            layers=self.layers,
            **claim_layers,
        )

    def per_document(self) -> list[dict[str, Any]]:
        """One row per gold document (gold order): its id, whether it had a prediction, and its own counts and
        figures (entity schemes, claims, claimer, stance, end to end), as `result` computes them over the corpus
        (what ``toolkit eval --per-document FILE`` writes, one JSON line each)."""
        inventory = load_inventory()
        missing = set(self.missing_documents)
        rows = []
        for doc_id, row in zip(self.scorer.gold.ids, self.stats, strict=True):
            counts = layout().named(row)
            rows.append(
                {
                    "id": doc_id,
                    "predicted": doc_id not in missing,
                    "entities": {scheme: scheme_figures(scheme, counts) for scheme in SCHEMES},
                    **claim_figures(counts, self.scorer.iou, inventory.stance_names, inventory.polar_stances),
                }
            )
        return rows

    def paired(self, other: Scored, resamples: int = 1000, seed: int = DEFAULT_SEED) -> dict[str, Any]:
        """Paired bootstrap of ``other`` (B) against this system (A) on the same resampled documents.

        Returns ``{"signature", "a", "b", "figures": {figure: {a, b, difference, p_value, resamples, seed}}}``
        (what ``toolkit compare --json`` prints); ``difference`` is B − A.
        """
        from toolkit.scoring.bootstrap import paired_test

        if other.scorer is not self.scorer:
            raise InputError("compare: both systems must be scored by the same Scorer (the same gold and settings)")
        resamples, seed = parameters.resamples(resamples, "resamples", minimum=1), parameters.seed(seed)
        figures = paired_test(self._headline_stats(), other._headline_stats(), headline, resamples, seed)
        for name, system in (("a", self), ("b", other)):
            if overall_figure({key: figures[key][name] for key in HEADLINE_FIGURES[:3]}, system.layers)[0] is None:
                figures["overall"].update({name: None, "difference": None, "p_value": None})
        signature = make_signature(self.scorer.settings(resamples, seed), len(self.stats))
        return {"signature": signature, "a": self.name, "b": other.name, "figures": figures}
