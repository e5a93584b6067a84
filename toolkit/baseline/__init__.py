"""voci's rule-based Italian baseline: entities, claims, claimers and stance without any model download.

Rules read general Italian news patterns (capitalisation, titles before names,
reporting verbs, ``secondo X``, quotations, negation); the words they use are a
small built-in lexicon (``lexicon.json``).  Nothing here was fitted to the gold
annotations; see ``docs/baseline.md``.
"""

from toolkit.baseline.system import predict_document, run_baseline

__all__ = ["predict_document", "run_baseline"]
