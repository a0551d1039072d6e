"""Lab units and drug names: the data that turns a chart's wording into something rules can compare."""

import re
from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz, process

_UNIT_SPELLINGS = str.maketrans({"µ": "u", "μ": "u", "³": "^3", "⁹": "^9", "\u00d7": "x", " ": ""})


def normalize_unit(unit):
    """Case and typographic variants of one unit compare equal: 'x10³/µL' and '10^3/uL' are the same unit."""
    text = unit.strip().translate(_UNIT_SPELLINGS).lower()
    return text[1:] if text.startswith("x10") else text


class UnitError(ValueError):
    pass


USUAL, UNUSUAL, IMPOSSIBLE = "usual", "unusual", "impossible"
TYPICAL_MARGIN = 2  # a value counts as typical between twice the usual minimum and half the usual maximum


@dataclass(frozen=True, slots=True)
class AnalyteDef:
    """A lab test: the units it is accepted in (each with its other spellings), and the values it can take.

    `plausible` is the usual range and `possible` the physiological limits, both in the canonical unit; either end
    may be None (no limit).
    """

    code: str
    name: str
    abbreviation: str
    canonical_unit: str
    factors: dict[str, float]  # unit as the form offers it -> multiply by this to get canonical_unit
    aliases: dict[str, str] = field(default_factory=dict)  # another spelling -> the unit (a key of factors) it means
    plausible: tuple = (None, None)
    possible: tuple = (None, None)
    _units: dict[str, str] = field(init=False, repr=False, compare=False)  # normalized spelling -> unit
    _as_written: dict[str, float] = field(init=False, repr=False, compare=False)  # spellings already seen

    def __post_init__(self):
        units = {normalize_unit(u): u for u in self.factors}
        for alias, unit in self.aliases.items():
            units.setdefault(normalize_unit(alias), unit)
        object.__setattr__(self, "_units", units)
        object.__setattr__(self, "_as_written", dict(self.factors))

    @property
    def in_sentence(self):
        """The name inside a sentence: 'platelet count'; 'prothrombin time INR' keeps its INR."""
        return self.name[:1].lower() + self.name[1:]

    def unit_of(self, written):
        """The accepted unit a spelling means ('K/cumm' -> '10^3/uL'), or None: never a guess from another analyte."""
        return self._units.get(normalize_unit(written))

    def accepts(self, unit):
        return self.unit_of(unit) is not None

    def to_canonical(self, value, unit):
        factor = self._as_written.get(unit)
        if factor is None:
            accepted = self.unit_of(unit)
            if accepted is None:
                units = ", ".join(self.factors)
                raise UnitError(f"{self.abbreviation} in '{unit}' is not an accepted unit (accepted: {units})")
            factor = self._as_written[unit] = self.factors[accepted]
        return value * factor

    def convert(self, value, from_unit, to_unit):
        return self.to_canonical(value, from_unit) / self.factors[self.unit_of(to_unit)]

    def judge(self, canonical):
        """USUAL, UNUSUAL (outside the usual range) or IMPOSSIBLE (outside the physiological limits)."""
        low, high = self.possible
        if (low is not None and canonical < low) or (high is not None and canonical > high):
            return IMPOSSIBLE
        low, high = self.plausible
        if (low is not None and canonical < low) or (high is not None and canonical > high):
            return UNUSUAL
        return USUAL

    def likely_units(self, value, unit):
        """Accepted units, other than `unit`, in which `value` would be a typical result (well inside the usual range,
        not at its edge): what was probably meant."""
        low, high = self.plausible
        if low is None or high is None:
            return []
        own = self.factors.get(self.unit_of(unit))
        seen, found = set(), []
        for candidate, factor in self.factors.items():
            if factor != own and factor not in seen and low * TYPICAL_MARGIN <= value * factor <= high / TYPICAL_MARGIN:
                seen.add(factor)
                found.append(candidate)
        return found


@dataclass(frozen=True, slots=True)
class DrugDef:
    """A drug, or a class word ("DOAC", "G-CSF") that names some drug of a class without saying which.

    `classes` are certain; `possible_classes` are those the drug may also be in (for a class word, those of any of
    its members). For a named drug they are the same.
    """

    generic_name: str
    names: tuple[str, ...]  # synonyms and brand names
    classes: frozenset[str]
    possible_classes: frozenset[str] | None = None
    is_class_word: bool = False
    brand: str | None = None  # the first brand name, to show beside the generic

    def __post_init__(self):
        if self.possible_classes is None:
            object.__setattr__(self, "possible_classes", self.classes)

    @property
    def shown(self):
        """'phenytoin (Dilantin)': the generic with its first brand, as a suggestion names it."""
        return f"{self.generic_name} ({self.brand})" if self.brand else self.generic_name


@dataclass(frozen=True, slots=True)
class RegimenDef:
    """A named combination (FOLFOX, R-CHOP): it stands for its drugs, by generic name."""

    name: str
    names: tuple[str, ...]
    drugs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DrugMatch:
    drug: DrugDef
    matched_name: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A name a misspelt word may have meant. Offered to the coordinator, never applied on its own."""

    typed: str
    name: str
    drug: DrugDef

    def __str__(self):
        meant = self.drug.shown if self.name.lower() == self.drug.generic_name.lower() else self._with_generic()
        return f"did you mean {meant}?"

    def _with_generic(self):
        return f"{self.name} ({self.drug.generic_name})" if not self.drug.is_class_word else self.name


_NON_WORD = re.compile(r"[^0-9a-z]+")

# Words of a medication line that are never drug names: a misspelling is not looked for among them.
_SIG_WORDS = frozenset(
    {
        "tab",
        "tabs",
        "tablet",
        "tablets",
        "cap",
        "caps",
        "capsule",
        "capsules",
        "daily",
        "twice",
        "once",
        "three",
        "times",
        "weekly",
        "monthly",
        "every",
        "hour",
        "hours",
        "night",
        "morning",
        "evening",
        "bedtime",
        "before",
        "after",
        "with",
        "meals",
        "food",
        "oral",
        "orally",
        "inject",
        "injection",
        "injections",
        "infusion",
        "units",
        "unit",
        "dose",
        "doses",
        "drops",
        "cream",
        "patch",
        "solution",
        "suspension",
        "spray",
        "inhaler",
        "puff",
        "puffs",
        "needed",
        "pain",
        "nausea",
        "sleep",
        "take",
        "takes",
        "taking",
        "stopped",
        "started",
        "since",
        "until",
        "held",
        "hold",
        "given",
        "start",
        "stop",
        "last",
        "days",
        "week",
        "weeks",
        "month",
        "months",
    }
)
# Words that say a medication is used locally (on the skin, in the eye or ear, inhaled, a catheter flush): its drug
# is then in none of the classes where only systemic use counts (systemic corticosteroids, anticoagulation).
LOCAL_USE_WORDS = frozenset(
    {
        "cream",
        "ointment",
        "gel",
        "lotion",
        "foam",
        "shampoo",
        "topical",
        "topically",
        "drops",
        "eyedrops",
        "eye",
        "eyes",
        "ophthalmic",
        "otic",
        "ear",
        "nasal",
        "intranasal",
        "inhaled",
        "inhaler",
        "inhalation",
        "nebulized",
        "nebulised",
        "flush",
        "lock",
        "mouthwash",
        "rinse",
        "articular",
    }
)
SUGGESTION_CUTOFF = 80  # rapidfuzz ratio: "phenytion" -> "phenytoin" 89, "tegretal" -> "tegretol" 88


def name_tokens(text):
    """Words of a drug name, ignoring case, punctuation and apostrophes: St John's wort = St Johns wort."""
    return tuple(_NON_WORD.sub(" ", text.lower().replace("'", "").replace("\u2019", "")).split())


class DrugMatcher:
    """Finds the drugs a medication line names, by generic, synonym, brand or class word, ignoring case, dose and
    punctuation; a prior-therapy agent may also be a regimen name, which stands for its drugs.

    'Coumadin 5 mg PO daily' finds warfarin; "st. john's wort" finds St John's wort. The longest name wins, so a
    combination product is not read as its first ingredient. Regimen acronyms are read in prior therapy only: on a
    medication line "AC" is "before meals".
    """

    def __init__(self, drugs, class_words=(), regimens=(), systemic_only=frozenset()):
        self._systemic_only = frozenset(systemic_only)
        self._local = {}  # drug -> the same drug used locally, out of the systemic-only classes
        index = {}
        for drug in (*drugs, *class_words):
            for name in (drug.generic_name, *drug.names):
                tokens = name_tokens(name)
                if tokens:
                    index.setdefault(tokens, (DrugMatch(drug, name),))
        self._index = index
        by_generic = {drug.generic_name: drug for drug in drugs}
        self._agent_index = dict(index)
        for regimen in regimens:
            matches = tuple(DrugMatch(by_generic[generic], regimen.name) for generic in regimen.drugs)
            for name in (regimen.name, *regimen.names):
                tokens = name_tokens(name)
                if tokens:
                    self._agent_index.setdefault(tokens, matches)
        self._longest = max((len(tokens) for tokens in self._agent_index), default=0)
        self._cache = {}
        self._agent_cache = {}
        fuzzy = {" ".join(tokens): matches[0] for tokens, matches in index.items() if len(tokens) <= 2}
        self._fuzzy_names, self._fuzzy_matches = list(fuzzy), list(fuzzy.values())

    def match(self, text):
        """Every drug a medication line names, left to right; empty when nothing is recognised. On a line that says
        the drug is used locally ("hydrocortisone cream", "heparin lock flush"), it is in none of the classes where
        only systemic use counts."""
        found = self._cache.get(text)
        if found is None:
            tokens = name_tokens(text)
            found = self._scan(tokens, self._index)[0]
            if self._systemic_only and LOCAL_USE_WORDS.intersection(tokens):
                found = tuple(DrugMatch(self._used_locally(m.drug), m.matched_name) for m in found)
            self._cache[text] = found
        return found

    def _used_locally(self, drug):
        if not (drug.possible_classes & self._systemic_only):
            return drug
        local = self._local.get(drug)
        if local is None:
            local = self._local[drug] = replace(
                drug,
                generic_name=f"{drug.generic_name}, used locally",
                classes=drug.classes - self._systemic_only,
                possible_classes=drug.possible_classes - self._systemic_only,
            )
        return local

    def match_agent(self, text):
        """Every drug a prior-therapy agent names, a regimen name standing for its drugs."""
        found = self._agent_cache.get(text)
        if found is None:
            found = self._agent_cache[text] = self._scan(name_tokens(text), self._agent_index)[0]
        return found

    def _scan(self, tokens, index):
        """(matches, indexes of the tokens no name covered)."""
        matches, left, i = [], [], 0
        while i < len(tokens):
            for length in range(min(self._longest, len(tokens) - i), 0, -1):
                hit = index.get(tokens[i : i + length])
                if hit is not None:
                    matches.extend(hit)
                    i += length
                    break
            else:
                left.append(i)
                i += 1
        return tuple(matches), left

    def suggest(self, text):
        """Names that words of the text no name matched may be misspellings of, best first; never applied."""
        tokens = name_tokens(text)
        _, left = self._scan(tokens, self._agent_index)
        suggestions = {}
        for i in left:
            word = tokens[i]
            if len(word) < 4 or word in _SIG_WORDS or not word.isalpha():
                continue
            hit = process.extractOne(word, self._fuzzy_names, scorer=fuzz.ratio, score_cutoff=SUGGESTION_CUTOFF)
            if hit is not None:
                _, score, position = hit
                match = self._fuzzy_matches[position]
                suggestions.setdefault(match.drug.generic_name, (score, _typed(text, word), match))
        ranked = sorted(suggestions.values(), key=lambda item: -item[0])
        return [Suggestion(typed, match.matched_name, match.drug) for _, typed, match in ranked]


def _typed(text, word):
    """The word as the coordinator typed it (case and all), so that accepting a suggestion replaces just it."""
    found = re.search(re.escape(word), text, flags=re.IGNORECASE)
    return found.group(0) if found else word


@dataclass(frozen=True)
class Vocabulary:
    analytes: dict[str, AnalyteDef]
    drugs: tuple[DrugDef, ...]
    drug_classes: dict[str, str]  # code -> name
    class_kinds: dict[str, str] = field(default_factory=dict)  # code -> therapy kind its members count as
    class_words: dict[str, tuple[str, ...]] = field(default_factory=dict)  # code -> words charts use for the class
    regimens: tuple[RegimenDef, ...] = ()
    systemic_only: frozenset[str] = frozenset()  # classes a drug used locally is not in
    matcher: DrugMatcher = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        matcher = DrugMatcher(self.drugs, self._class_word_defs(), self.regimens, self.systemic_only)
        object.__setattr__(self, "matcher", matcher)

    def _class_word_defs(self):
        """One DrugDef per class that charts name by a word: certain of what all its members share."""
        words = []
        for code, names in self.class_words.items():
            if not names:
                continue
            members = [drug.classes for drug in self.drugs if code in drug.classes] or [frozenset({code})]
            words.append(
                DrugDef(
                    f"{self.drug_classes[code].lower()}, drug not named",
                    tuple(names),
                    frozenset.intersection(*members),
                    frozenset.union(*members),
                    is_class_word=True,
                )
            )
        return words

    def a_member_of(self, drug_class):
        """A drug of the class, the one in the fewest other classes (it stands for "some drug of this class")."""
        members = [drug for drug in self.drugs if drug_class in drug.classes]
        return min(members, key=lambda drug: (len(drug.classes), drug.generic_name), default=None)

    def kinds_of(self, drug):
        """The therapy kinds (chemotherapy, targeted_therapy, immunotherapy) a drug's classes say it is."""
        return {self.class_kinds[c] for c in drug.classes if c in self.class_kinds}


def vocabulary_from_data(data):
    """The engine's Vocabulary from its plain-data form (trials/vocabulary.py writes it): the same for the live
    tables of a draft and for the frozen snapshot a published criteria version pins."""
    analytes = {
        a["code"]: AnalyteDef(
            a["code"],
            a["name"],
            a["abbreviation"],
            a["canonical_unit"],
            {u["unit"]: float(u["factor"]) for u in a["units"]},
            {alias: u["unit"] for u in a["units"] for alias in u["aliases"]},
            tuple(a["plausible"]),
            tuple(a["possible"]),
        )
        for a in data["analytes"]
    }
    classes = data["drug_classes"]
    return Vocabulary(
        analytes,
        tuple(
            DrugDef(
                d["generic_name"],
                (*d["synonyms"], *d["brand_names"]),
                frozenset(d["classes"]),
                brand=next(iter(d["brand_names"]), None),
            )
            for d in data["drugs"]
        ),
        {c["code"]: c["name"] for c in classes},
        {c["code"]: c["therapy_kind"] for c in classes if c["therapy_kind"]},
        {c["code"]: tuple(c["synonyms"]) for c in classes if c["synonyms"]},
        tuple(RegimenDef(r["name"], tuple(r["synonyms"]), tuple(r["drugs"])) for r in data["regimens"]),
        frozenset(c["code"] for c in classes if c["systemic_use_only"]),
    )
