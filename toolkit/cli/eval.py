"""``toolkit eval``: score predictions against gold and print every figure with its signature."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from toolkit.cli._app import UsageError, app, echo_err, input_path
from toolkit.cli._options import (
    ByOption,
    CompatOption,
    EngineOption,
    GoldDocumentsOption,
    GoldOption,
    IgnoreExtraOption,
    IouOption,
    NewsclaimsNormalisation,
    NewsclaimsNormalisationOption,
    NoBreakdownOption,
    NoCompatOption,
    OutOption,
    PerDocumentOption,
    PerLabelConvention,
    PerLabelConventionOption,
    RequireCompleteOption,
    SeedOption,
    SplitOption,
    TableFormat,
    TokenLabelMapOption,
    VerboseOption,
    format_option,
    resamples_option,
)
from toolkit.scoring.parameters import DEFAULT_IOU

EVAL_HELP = """Score PREDICTIONS (JSONL) against gold; exit 2 on invalid predictions.

\b
Figures (undefined = null in JSON, – in tables):
  entities.<scheme>   strict: same span and label; exact: same span; partial: overlap, half credit unless same span;
                      ent_type: overlap and same label
  correct/incorrect/partial/missed/spurious   categories of a one-to-one optimal pairing; possible = gold count,
                      actual = predicted count
  precision, recall   credit/actual, credit/possible (credit = correct, + 0.5·partial for partial/ent_type);
                      f1 = 2·credit/(possible+actual)
  entities.per_label  the same per label; a pair counts under its GOLD label, a spurious span under its own, so labels
                      add up to the totals
  entities.macro      unweighted mean over labels of precision, recall and F1 (over the labels where each is defined)
                      --per-label-convention seqeval: per_label, macro and weighted as seqeval's
                      classification_report (strict): a confused pair counts against the predicted label's
                      precision and the gold label's recall; 0/0 = 0; averages over labels in gold or predictions
  claims.strict       claims with exactly the gold boundaries
  claims.overlap      one-to-one claims with character IoU >= --iou
  claimer.accuracy    on overlap-matched claims: kind right, or the span overlaps a gold claimer mention (or another
                      mention of the same source)
  stance.accuracy     on overlap-matched claims: share with the gold stance
  stance.macro_f1     mean F1 over the stance labels present in gold or predictions (scikit-learn's macro average)
  stance.f_avg        mean F1 of SUPPORT and REFUTE (SemEval-2016 Task 6)
  stance.confusion    gold stance (rows) × predicted stance (columns) on matched claims
  end_to_end          a predicted claim counts only when overlap-matched with the right claimer and stance
  overall             mean of entities.strict.f1, claims.overlap.f1 and end_to_end.f1; null (with the reason) when a
                      layer is absent
  ci                  with --bootstrap: 95% percentile interval of each headline figure over resampled documents;
                      null (with its reason) over one document
  ci_warning          with --bootstrap over fewer than 30 documents: the intervals are not meaningful
  compat.token        (built folder or Hub gold; --no-compat: null) token-level P/R/F1 per label, micro and macro
                      as NERMuD (EVALITA 2023) scores them (IOB2 prefixes stripped, scikit-learn, zero_division=0),
                      over the tokens of the gold folder's ner config; a token takes the label of the predicted
                      entity it begins in; --token-label-map GPE=LOC renames first (NAME=O drops a label); null
                      with token_reason for a gold JSONL unless --compat (spaCy then tokenizes its documents as
                      the build does)
  compat.newsclaims   (as compat.token) NewsClaims' figures (blender-nlp/NewsClaims eval_claim_detection.py) with a
                      segment = a sentence of the ner config, a claim's segment that of its start: claim_detection
                      P/R/F1 over segments; claimer answer_f1 (SQuAD token F1 of the claimer string, normalised by
                      --newsclaims-normalisation), no_claimer P/R/F1 (author claims), final_f1, in_sentence_f1 and
                      out_of_sentence_f1; stance accuracy and per_label; claim_span P/R/F1 (token overlap); a gold
                      segment the predictions miss earns nothing; null with newsclaims_reason where compat.token
                      has a token_reason
  breakdown           claimer accuracy and end_to_end by claimer_kind (entity/author/unnamed), claimer_position
                      (entity claimers: a mention in the claim's sentence, or elsewhere) and claim_form (quoted:
                      inside quotation marks; reported); a predicted claim counts under its own value, a matched
                      pair under its gold claim's (--no-breakdown: null)
  by.<field>.<value>  with --by FIELD: documents and headline figures (ci with --bootstrap) of the documents whose
                      FIELD has that value (published: its year; (none): documents without the field)
  signature           every setting that changes a number; compare results only when signatures match
                      (apart from boot, seed and engine); the gold is named by its content hash (gold:<hash12>),
                      plus hub:ORG/NAME@<commit12> when read from the Hub
"""


@app.command("eval", help=EVAL_HELP)
def eval_command(
    predictions: Annotated[Path, input_path(help="Prediction records (JSONL), one per document.")],
    gold: GoldOption,
    documents: GoldDocumentsOption = None,
    split: SplitOption = None,
    output_format: Annotated[TableFormat, format_option("table, json or markdown.")] = TableFormat.table,
    out: OutOption = None,
    per_document: PerDocumentOption = None,
    bootstrap: Annotated[
        int, resamples_option("--bootstrap", help="Resamples for 95% confidence intervals (0 = none; 1000 is usual).")
    ] = 0,
    seed: SeedOption = None,
    iou: IouOption = DEFAULT_IOU,
    ignore_extra: IgnoreExtraOption = False,
    require_complete: RequireCompleteOption = False,
    per_label_convention: PerLabelConventionOption = PerLabelConvention.voci,
    compat: CompatOption = False,
    no_compat: NoCompatOption = False,
    token_label_map: TokenLabelMapOption = None,
    newsclaims_normalisation: NewsclaimsNormalisationOption = NewsclaimsNormalisation.english,
    no_breakdown: NoBreakdownOption = False,
    by: ByOption = None,
    engine: EngineOption = None,
    verbose: VerboseOption = False,
) -> None:
    from toolkit.cli._outputs import emit, to_stdout
    from toolkit.scoring.formatting import FORMATTERS
    from toolkit.scoring.options import ScoringOptions
    from toolkit.scoring.scorer import DEFAULT_SEED

    if compat and no_compat:
        raise UsageError("--compat and --no-compat: give one or neither")
    options = ScoringOptions(
        iou=iou,
        ignore_extra=ignore_extra,
        engine=engine and engine.value,
        require_complete=require_complete,
        per_label_convention=per_label_convention.value,
        compat=False if no_compat else compat or None,  # None: on where the dataset's tokens are at hand
        token_label_map=token_label_map or [],
        newsclaims_normalisation=newsclaims_normalisation.value,
        breakdown=not no_breakdown,
        bootstrap=bootstrap,
        seed=DEFAULT_SEED if seed is None else seed,
        by=by or (),
        per_document=per_document is not None,
    )
    scored, result = options.score(options.scorer(gold, documents, split), predictions)
    for note in scored.notes if verbose else ():
        echo_err(note)
    emit(FORMATTERS[output_format.value](result), out)
    if per_document is not None:
        from toolkit.files import write_jsonl

        write_jsonl(per_document, result.per_document)
    if not (output_format != TableFormat.json and to_stdout(out)):  # a table or Markdown on screen says these
        for warning in _warnings(result):
            echo_err(f"warning: {warning}")
        undefined = result.compat and (result.compat["token_reason"] or result.compat["newsclaims_reason"])
        if compat and undefined:  # asked for, and not at hand (a gold JSONL without spaCy)
            echo_err(f"warning: compat: {undefined}")
    if not to_stdout(out):
        overall = "–" if result.overall is None else f"{result.overall:.4f}"
        echo_err(f"wrote {out}: overall {overall} ({result.signature})")


def _warnings(result) -> list[str]:
    """What a JSON result or a written file would otherwise say silently: gold documents the predictions miss
    (scored as predicting nothing), and intervals over too few documents."""
    warnings = []
    if result.missing_documents:
        missing = result.missing_documents
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        warnings.append(
            f"{len(missing)} of {result.n_documents} gold document(s) have no prediction, scored as predicting "
            f"nothing: {shown} (--require-complete refuses them)"
        )
    return [*warnings, *([result.ci_warning] if result.ci_warning else [])]
