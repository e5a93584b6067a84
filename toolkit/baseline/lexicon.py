"""The baseline's built-in lexicon (``lexicon.json``), loaded once and checked against the label inventory.

Words live in the JSON file so that what the baseline knows can be read, reviewed
and extended without touching the rules; label, stance and claimer names are
mapped there once and must exist in ``schemas/labels.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.resources import files
from pathlib import Path

from toolkit.errors import ConfigurationError
from toolkit.inventory import load_inventory

LEXICON = "lexicon.json"  # package data of `toolkit.baseline`, read with importlib.resources


def inflect_demonym(base: str) -> list[str]:
    """Regular Italian forms of an adjective: ``russo`` → russo, russa, russi, russe;
    ``francese`` → francese, francesi.
    """
    if base.endswith("ita"):
        return [base, base[:-1] + "i", base[:-1] + "e"]
    if base.endswith("e"):
        return [base, base[:-1] + "i"]
    if base.endswith("o"):
        stem = base[:-1]
        return [base, stem + "a", stem + "i", stem + "e"]
    return [base]


@dataclass(eq=False)
class Lexicon:
    raw: dict

    def label(self, role: str) -> str:
        return self.raw["labels"][role]

    def stance(self, role: str) -> str:
        return self.raw["stances"][role]

    def claimer(self, role: str) -> str:
        return self.raw["claimers"][role]

    def words(self, key: str) -> frozenset[str]:
        """A word list, lower-cased for case-insensitive lookups (computed once per key)."""
        if key not in self._words:
            self._words[key] = frozenset(word.lower() for word in self.raw[key])
        return self._words[key]

    @cached_property
    def _words(self) -> dict[str, frozenset[str]]:
        return {}

    @cached_property
    def demonym_forms(self) -> frozenset[str]:
        forms = {form for base in self.raw["demonyms"] for form in inflect_demonym(base)}
        forms.update(form for forms_of in self.raw["demonym_forms"].values() for form in forms_of)
        return frozenset(forms)

    @cached_property
    def names(self) -> dict[str, str]:
        """Exact surface form → entity label, for the organisations, places and locations lists."""
        table: dict[str, str] = {}
        for key, role in (("places", "place"), ("locations", "location"), ("organisations", "organisation")):
            for name in self.raw[key]:
                table[name] = self.label(role)
        return table


def _check(raw: dict, source: str) -> None:
    inventory = load_inventory()
    wanted = [
        ("labels", raw["labels"].values(), inventory.entity_names),
        ("claimer_labels", raw["claimer_labels"], inventory.entity_names),
        ("stances", raw["stances"].values(), inventory.stance_names),
        ("claimers", raw["claimers"].values(), list(inventory.prediction_claimer_keywords)),
    ]
    for key, names, allowed in wanted:
        unknown = sorted(set(names) - set(allowed))
        if unknown:
            raise ConfigurationError(
                f"{source}: {key}: {', '.join(unknown)} not in schemas/labels.json "
                f"(expected one of: {', '.join(allowed)})"
            )


def lexicon_text() -> str:
    """The built-in lexicon as shipped."""
    return files(__package__).joinpath(LEXICON).read_text(encoding="utf-8")


@cache
def load_lexicon(path: Path | None = None) -> Lexicon:
    """The built-in lexicon, or the one at ``path``, checked against the inventory."""
    if path is None:
        raw, source = json.loads(lexicon_text()), f"{__package__}/{LEXICON}"
    else:
        raw, source = json.loads(Path(path).read_text(encoding="utf-8")), str(path)
    _check(raw, source)
    return Lexicon(raw)
