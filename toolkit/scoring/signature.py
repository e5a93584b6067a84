"""The sacreBLEU-style signature: every setting that changes a number, in one line.

Two results can be compared only when their signatures are equal apart from
``boot``/``seed`` (which only change the intervals) and ``engine`` (the engines
give the same figures; a result of the reference engine says so, so that a
difference, should one ever appear, can be traced).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from toolkit import __version__

SCORER_NAME = "voci-eval"
SCORER_VERSION = "2.0"  # 2.0: stance macro-F1 over the labels present; ent_type pairing by most credit
MATCHING_RULE = "hungarian-v2"  # the pairing of docs/scoring.md, "Matching rule"
DEFAULT_ENGINE = "fast"


def content_hash(lines: Iterable[str]) -> str:
    """First 12 hex digits of the SHA-256 of some lines (the gold as scored: `toolkit.scoring.gold.gold.gold_hash`)."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8"))
    return digest.hexdigest()[:12]


def make_signature(settings: Mapping[str, Any], n_documents: int) -> str:
    """The signature of a result's ``settings`` (see `toolkit.scoring.scorer.Scored.settings`)."""
    fields = [
        f"{SCORER_NAME}:{SCORER_VERSION}",
        f"toolkit:{__version__}",
        f"gold:{settings['gold_hash']}",  # the content, never a local file or folder name: one gold, one text
    ]
    if settings.get("revision"):
        fields.append(f"hub:{settings['gold']}@{settings['revision'][:12]}")
    fields += [
        f"split:{settings['split'] or 'all'}",
        f"docs:{n_documents}",
        f"iou:{settings['iou']:g}",
        f"match:{settings['matching']}",
        f"boot:{settings['bootstrap']}",
    ]
    if settings["bootstrap"]:
        fields.append(f"seed:{settings['seed']}")
    if settings.get("per_label_convention", "voci") != "voci":  # per-label figures under another convention
        fields.append(f"labels:{settings['per_label_convention']}")
    if settings.get("token_label_map"):  # compat.token over renamed or dropped labels
        fields.append(
            "tokenmap:" + ",".join(f"{ours}={theirs}" for ours, theirs in sorted(settings["token_label_map"].items()))
        )
    if settings.get("newsclaims_normalisation", "english") != "english":  # compat.newsclaims' claimer strings
        fields.append(f"norm:{settings['newsclaims_normalisation']}")
    if settings["engine"] != DEFAULT_ENGINE:
        fields.append(f"engine:{settings['engine']}")
    return "|".join(fields)
