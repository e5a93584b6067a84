"""voci: an annotated Italian news dataset of who claims what, and the toolkit that makes and scores it."""

__version__ = "0.1.0"
