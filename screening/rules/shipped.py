"""The shipped NCT00349206 criteria and vocabularies, read straight from the JSON fixtures.

For the engine's tests and benchmarks, which run without a database; the app itself reads the same data from the
database through trials/ruleset.py.
"""

import json
from pathlib import Path

from screening.rules.engine import CriterionSpec
from screening.rules.vocabulary import AnalyteDef, DrugDef, RegimenDef, Vocabulary

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _rows(name, model):
    return [o for o in json.loads((FIXTURES / name).read_text(encoding="utf-8")) if o["model"] == model]


def load_vocabulary():
    factors, aliases = {}, {}
    for unit in _rows("labs.json", "trials.analyteunit"):
        fields = unit["fields"]
        factors.setdefault(fields["analyte"], {})[fields["unit"]] = float(fields["factor"])
        for alias in fields.get("aliases", []):
            aliases.setdefault(fields["analyte"], {})[alias] = fields["unit"]
    analytes = {}
    for analyte in _rows("labs.json", "trials.analyte"):
        f = analyte["fields"]
        analytes[f["code"]] = AnalyteDef(
            f["code"],
            f["name"],
            f["abbreviation"],
            f["canonical_unit"],
            factors.get(analyte["pk"], {}),
            aliases.get(analyte["pk"], {}),
            (f.get("plausible_min"), f.get("plausible_max")),
            (f.get("possible_min"), f.get("possible_max")),
        )
    classes = {c["pk"]: c["fields"] for c in _rows("drugs.json", "trials.drugclass")}
    drug_rows = _rows("drugs.json", "trials.drug")
    drugs = tuple(
        DrugDef(
            d["fields"]["generic_name"],
            (*d["fields"]["synonyms"], *d["fields"]["brand_names"]),
            frozenset(classes[pk]["code"] for pk in d["fields"]["classes"]),
            brand=next(iter(d["fields"]["brand_names"]), None),
        )
        for d in drug_rows
    )
    generic = {d["pk"]: d["fields"]["generic_name"] for d in drug_rows}
    regimens = tuple(
        RegimenDef(
            r["fields"]["name"], tuple(r["fields"]["synonyms"]), tuple(generic[pk] for pk in r["fields"]["drugs"])
        )
        for r in _rows("drugs.json", "trials.regimen")
    )
    return Vocabulary(
        analytes,
        drugs,
        {c["code"]: c["name"] for c in classes.values()},
        {c["code"]: c["therapy_kind"] for c in classes.values() if c.get("therapy_kind")},
        {c["code"]: tuple(c["synonyms"]) for c in classes.values() if c.get("synonyms")},
        regimens,
        frozenset(c["code"] for c in classes.values() if c.get("systemic_use_only")),
    )


def load_criteria():
    rows = sorted(
        (c["fields"] for c in _rows("nct00349206_criteria.json", "trials.criterion")), key=lambda f: f["order"]
    )
    return [
        CriterionSpec(
            f["code"], f["kind"], f["category"], f["text"], f["summary"], f["cohorts"], f["applies_to"], f["rule"]
        )
        for f in rows
    ]
