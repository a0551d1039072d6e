"""What the mappers give back: plain, JSON-ready records (re-exported by `ehr.mapping`)."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Found:
    """One value a screening field could take, with the resource it came from."""

    field: str  # what it fills on a screening: "birth_date", "lab:platelets", "answer:hiv_positive", ...
    value: dict  # JSON-serialisable: decimals as strings, dates as ISO strings
    on: str | None  # ISO date (YYYY-MM-DD) the fact is from, None if undated
    source: dict  # resource_type, id, date, code ("system|code"), text, unit, value (as written); "also": other ids


def _not_anticancer(generic_name):
    return None


@dataclass(frozen=True)
class MappingContext:
    """What the mappers need from the vocabulary, as plain data and callables (no Django)."""

    loinc: dict[str, str]  # LOINC code -> analyte code, from the vocabulary (merged with ALTERNATE_LOINC)
    units: Callable[[str, str], str | None]  # (analyte code, unit as written) -> the unit the form accepts, or None
    match_drug: Callable[[str], list[str]]  # text -> generic names of the matched drugs ([] if none)
    # generic name -> the modality of a prior therapy it makes ("systemic_chemotherapy", "targeted_therapy",
    # "immunotherapy"), or None for a drug that is not an anticancer agent
    is_anticancer: Callable[[str], str | None] = _not_anticancer


@dataclass
class Mapped:
    found: list[Found] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)  # {"resource_type", "id", "problem"}
    not_used: Counter = field(default_factory=Counter)  # resourceType (or "<type> (<why>)") -> count
