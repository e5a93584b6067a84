"""The scorer: entities, claims, claimers and stance of predictions against gold.

`toolkit.scoring.evaluate.evaluate_files` is the entry point; everything below
it works on plain spans and per-document sufficient statistics so that
confidence intervals and paired tests are cheap.
"""
