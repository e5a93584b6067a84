"""The scorer: entities, claims, claimers and stance of predictions against gold.

`toolkit.scoring.scorer.Scorer` is the entry point (the public names are in `toolkit`); everything below it
works on spans as columns and per-document sufficient statistics (`toolkit.scoring.layout`), so that confidence
intervals and paired tests are cheap.  `toolkit.scoring.reference` is the definition, `toolkit.scoring.fast` the
default engine, `toolkit.scoring.thresholds` every switch between them.
"""
