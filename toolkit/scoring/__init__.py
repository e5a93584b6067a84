"""The scorer: entities, claims, claimers and stance of predictions against gold.

`toolkit.scoring.scorer.Scorer` is the entry point (the public names are in `toolkit`); everything below it
works on spans as columns (`toolkit.scoring.spans`) and per-document sufficient statistics
(`toolkit.scoring.statistics`), so that confidence intervals and paired tests are cheap.  The gold is read by
`toolkit.scoring.gold`; the engines are in `toolkit.scoring.engines` (`reference` is the definition, `fast` the
default engine, `thresholds` every switch between them).
"""
