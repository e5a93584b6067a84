"""The voci benchmark on Codabench: a competition bundle whose scoring program is the toolkit's scorer.

`toolkit.benchmark.bundle` writes the bundle from a blind build (the public
folder and the private folder of withheld gold); `toolkit.benchmark.program`
is what the bundle's scoring program runs for each submission.
"""
