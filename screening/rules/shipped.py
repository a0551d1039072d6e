"""The shipped NCT00349206 criteria and vocabularies, read straight from the JSON fixtures.

For the engine's tests and benchmarks, which run without a database; the app itself reads the same data from the
database through trials/ruleset.py.
"""

import json
from pathlib import Path

from screening.rules.engine import CriterionSpec
from screening.rules.vocabulary import AnalyteDef, DrugDef, Vocabulary

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _rows(name, model):
    return [o for o in json.loads((FIXTURES / name).read_text(encoding="utf-8")) if o["model"] == model]


def load_vocabulary():
    factors = {}
    for unit in _rows("labs.json", "trials.analyteunit"):
        fields = unit["fields"]
        factors.setdefault(fields["analyte"], {})[fields["unit"]] = float(fields["factor"])
    analytes = {}
    for analyte in _rows("labs.json", "trials.analyte"):
        f = analyte["fields"]
        analytes[f["code"]] = AnalyteDef(
            f["code"], f["name"], f["abbreviation"], f["canonical_unit"], factors.get(analyte["pk"], {})
        )
    classes = {c["pk"]: c["fields"] for c in _rows("drugs.json", "trials.drugclass")}
    drugs = tuple(
        DrugDef(
            d["fields"]["generic_name"],
            (*d["fields"]["synonyms"], *d["fields"]["brand_names"]),
            frozenset(classes[pk]["code"] for pk in d["fields"]["classes"]),
        )
        for d in _rows("drugs.json", "trials.drug")
    )
    return Vocabulary(analytes, drugs, {c["code"]: c["name"] for c in classes.values()})


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
