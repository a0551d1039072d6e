"""Lab units and drug names: the data that turns a chart's wording into something rules can compare."""

import re
from dataclasses import dataclass, field

_UNIT_SPELLINGS = str.maketrans({"µ": "u", "μ": "u", "³": "^3", "⁹": "^9", "\u00d7": "x", " ": ""})


def normalize_unit(unit):
    """Case and spelling variants of one unit compare equal: 'x10³/µL' and '10^3/uL' are the same unit."""
    text = unit.strip().translate(_UNIT_SPELLINGS).lower()
    return text[1:] if text.startswith("x10") else text


class UnitError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class AnalyteDef:
    code: str
    name: str
    abbreviation: str
    canonical_unit: str
    factors: dict[str, float]  # unit as written -> multiply by this to get canonical_unit
    _normalized: dict[str, float] = field(init=False, repr=False, compare=False)
    _as_written: dict[str, float] = field(init=False, repr=False, compare=False)  # spellings already seen

    def __post_init__(self):
        object.__setattr__(self, "_normalized", {normalize_unit(u): f for u, f in self.factors.items()})
        object.__setattr__(self, "_as_written", dict(self.factors))

    def accepts(self, unit):
        return normalize_unit(unit) in self._normalized

    def to_canonical(self, value, unit):
        factor = self._as_written.get(unit)
        if factor is not None:
            return value * factor
        try:
            factor = self._as_written[unit] = self._normalized[normalize_unit(unit)]
            return value * factor
        except KeyError:
            accepted = ", ".join(self.factors)
            raise UnitError(f"{self.abbreviation} in '{unit}' is not an accepted unit (accepted: {accepted})") from None

    def convert(self, value, from_unit, to_unit):
        return self.to_canonical(value, from_unit) / self._normalized[normalize_unit(to_unit)]


@dataclass(frozen=True, slots=True)
class DrugDef:
    generic_name: str
    names: tuple[str, ...]  # synonyms and brand names
    classes: frozenset[str]


@dataclass(frozen=True, slots=True)
class DrugMatch:
    drug: DrugDef
    matched_name: str


_NON_WORD = re.compile(r"[^0-9a-z]+")


def name_tokens(text):
    """Words of a drug name, ignoring case, punctuation and apostrophes: St John's wort = St Johns wort."""
    return tuple(_NON_WORD.sub(" ", text.lower().replace("'", "").replace("\u2019", "")).split())


class DrugMatcher:
    """Finds the drugs a medication line names, by generic, synonym or brand, ignoring case, dose and punctuation.

    'Coumadin 5 mg PO daily' finds warfarin; "st. john's wort" finds St John's wort. The longest name wins, so a
    combination product is not read as its first ingredient.
    """

    def __init__(self, drugs):
        self._index = {}
        for drug in drugs:
            for name in (drug.generic_name, *drug.names):
                tokens = name_tokens(name)
                if tokens:
                    self._index.setdefault(tokens, DrugMatch(drug, name))
        self._longest = max((len(tokens) for tokens in self._index), default=0)
        self._cache = {}

    def match(self, text):
        """Every drug named in the text, left to right; empty when nothing is recognised."""
        found = self._cache.get(text)
        if found is None:
            found = self._cache[text] = self._scan(name_tokens(text))
        return found

    def _scan(self, tokens):
        matches, i = [], 0
        while i < len(tokens):
            for length in range(min(self._longest, len(tokens) - i), 0, -1):
                hit = self._index.get(tokens[i : i + length])
                if hit is not None:
                    matches.append(hit)
                    i += length
                    break
            else:
                i += 1
        return tuple(matches)


@dataclass(frozen=True)
class Vocabulary:
    analytes: dict[str, AnalyteDef]
    drugs: tuple[DrugDef, ...]
    drug_classes: dict[str, str]  # code -> name
    matcher: DrugMatcher = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "matcher", DrugMatcher(self.drugs))
