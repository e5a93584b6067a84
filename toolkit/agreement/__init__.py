"""Agreement between annotators, the disagreement report, and adjudication into gold.

`records` loads per-annotator annotation records, `matching` pairs and groups
their items, `figures` computes the agreement figures, `report` writes the
Markdown disagreement report, and `adjudicate` turns the records into gold.
"""
