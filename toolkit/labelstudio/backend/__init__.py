"""voci's Label Studio ML backend: live pre-annotations from any system, and a baseline that learns from annotators.

``service`` speaks the protocol, ``sources`` produce predictions (baseline, prediction file, external command),
``lexicon`` keeps what annotators taught, ``http`` serves it, ``register`` connects it to a project, ``launch``
puts the pieces together for `toolkit backend` and `toolkit studio --ml-backend`.
"""

from enum import Enum


class System(str, Enum):
    """The systems built into the toolkit that the backend can run in process."""

    baseline = "baseline"
