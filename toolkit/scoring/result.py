"""The plain result object the library returns; the CLI only formats it."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass
class EvalResult:
    """Every figure of one evaluation; ``None`` wherever a figure is undefined."""

    signature: str
    settings: dict[str, Any]
    n_documents: int
    missing_documents: list[str]
    extra_documents: list[str]
    entities: dict[str, Any]
    claims: dict[str, Any]
    claimer: dict[str, Any]
    stance: dict[str, Any]
    end_to_end: dict[str, Any]
    overall: float | None
    overall_reason: str | None
    ci: dict[str, dict] | None = None
    ci_warning: str | None = None  # a bootstrap over fewer than `bootstrap.FEW_DOCUMENTS` documents
    compat: dict[str, Any] | None = None  # figures comparable with published benchmarks (`toolkit.scoring.compat`)
    layers: list[str] = field(default_factory=list)
    breakdown: dict[str, Any] | None = None  # claim figures by claimer kind, position, form (`scoring.breakdown`)
    by: dict[str, Any] | None = None  # headline figures per value of a document field (``--by``)
    per_document: list[dict[str, Any]] | None = None  # with the per_document option: ``--per-document``'s rows

    def figure(self, dotted: str) -> float | None:
        """A figure by its dotted name, e.g. ``entities.strict.f1``."""
        value: Any = self.to_dict()
        for part in dotted.split("."):
            value = value[part]
        return value

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``toolkit eval --format json`` (a contract: keys never change meaning); the per-document rows
        are not in it (``--per-document FILE`` writes them apart)."""
        return copy.deepcopy(
            {
                "signature": self.signature,
                "settings": self.settings,
                "n_documents": self.n_documents,
                "missing_documents": self.missing_documents,
                "extra_documents": self.extra_documents,
                "layers": self.layers,
                "entities": self.entities,
                "claims": self.claims,
                "claimer": self.claimer,
                "stance": self.stance,
                "end_to_end": self.end_to_end,
                "overall": self.overall,
                "overall_reason": self.overall_reason,
                "ci": self.ci,
                "ci_warning": self.ci_warning,
                "compat": self.compat,
                "breakdown": self.breakdown,
                "by": self.by,
            }
        )
