"""An existing database takes what the entry checks need from its vocabularies, once.

A new database gets the shipped vocabularies whole from `load_trial_data`, and this does nothing. A database loaded
before these fields existed gets, for the fields just added (still at their defaults): what each drug class makes a
regimen (therapy kind), the classes where only systemic use counts, the words charts use for a class, each analyte's
physiological limits and the spellings of its units, the cytotoxic chemotherapy class over the drugs it already has,
and the neutrophil % that the ANC is computed from. Without them a chemotherapy filed under another regimen type would
escape its washout. The values are frozen here as they shipped; later changes are made in the admin.
"""

from django.db import migrations

CLASSES = {
    "anticoagulant": {
        "synonyms": ["anticoagulant", "anticoagulants", "anticoagulation"],
        "systemic_use_only": True,
        "therapy_kind": "",
    },
    "antiepileptic": {
        "synonyms": [
            "AED",
            "AEDs",
            "antiepileptic",
            "antiepileptics",
            "anticonvulsant",
            "anticonvulsants",
            "antiseizure medication",
            "antiseizure medications",
        ],
        "systemic_use_only": False,
        "therapy_kind": "",
    },
    "antineoplastic": {"synonyms": [], "systemic_use_only": False, "therapy_kind": ""},
    "antiplatelet": {"synonyms": [], "systemic_use_only": False, "therapy_kind": ""},
    "antiretroviral": {
        "synonyms": ["ART", "cART", "HAART", "antiretroviral therapy", "antiretrovirals", "antiretroviral"],
        "systemic_use_only": False,
        "therapy_kind": "",
    },
    "colony_stimulating_factor": {
        "synonyms": [
            "G-CSF",
            "colony stimulating factor",
            "colony stimulating factors",
            "granulocyte colony-stimulating factor",
            "growth factor injection",
        ],
        "systemic_use_only": False,
        "therapy_kind": "",
    },
    "corticosteroid": {
        "synonyms": ["steroid", "steroids", "corticosteroid", "corticosteroids", "glucocorticoid", "glucocorticoids"],
        "systemic_use_only": True,
        "therapy_kind": "",
    },
    "cyp3a4_inducer": {"synonyms": [], "systemic_use_only": False, "therapy_kind": ""},
    "enzyme_inducing_aed": {
        "synonyms": ["EIAED", "EIAEDs", "enzyme-inducing antiepileptic", "enzyme-inducing antiepileptics"],
        "systemic_use_only": False,
        "therapy_kind": "",
    },
    "grapefruit": {"synonyms": [], "systemic_use_only": False, "therapy_kind": ""},
    "herbal_supplement": {"synonyms": [], "systemic_use_only": False, "therapy_kind": ""},
    "immunotherapy": {
        "synonyms": [
            "immunotherapy",
            "checkpoint inhibitor",
            "checkpoint inhibitors",
            "immune checkpoint inhibitor",
            "PD-1 inhibitor",
            "PD1 inhibitor",
            "anti-PD-1",
            "anti-PD1",
            "PD-L1 inhibitor",
            "anti-PD-L1",
            "anti-CTLA-4",
        ],
        "systemic_use_only": False,
        "therapy_kind": "immunotherapy",
    },
    "lmwh": {
        "synonyms": ["LMWH", "low molecular weight heparin", "low molecular weight heparins"],
        "systemic_use_only": True,
        "therapy_kind": "",
    },
    "mek_inhibitor": {"synonyms": ["MEK inhibitor"], "systemic_use_only": False, "therapy_kind": "targeted_therapy"},
    "mitomycin": {"synonyms": [], "systemic_use_only": False, "therapy_kind": "chemotherapy"},
    "mtor_inhibitor": {"synonyms": ["mTOR inhibitor"], "systemic_use_only": False, "therapy_kind": "targeted_therapy"},
    "nitrosourea": {"synonyms": [], "systemic_use_only": False, "therapy_kind": "chemotherapy"},
    "raf_inhibitor": {
        "synonyms": ["BRAF inhibitor", "RAF inhibitor"],
        "systemic_use_only": False,
        "therapy_kind": "targeted_therapy",
    },
    "vegf_inhibitor": {
        "synonyms": ["VEGF inhibitor", "anti-VEGF", "VEGFR inhibitor"],
        "systemic_use_only": False,
        "therapy_kind": "targeted_therapy",
    },
}

CHEMOTHERAPY = {
    "code": "chemotherapy",
    "description": "Cytotoxic anticancer drugs, after the WHO ATC groups L01A (alkylating agents, including the "
    "nitrosoureas), L01B (antimetabolites), L01C (plant alkaloids and other natural products), L01D "
    "(cytotoxic antibiotics and related substances, including mitomycin), L01XA (platinum compounds) "
    "and the other cytotoxics of L01X (e.g. procarbazine, hydroxyurea, asparaginases, eribulin, "
    "lurbinectedin, estramustine, omacetaxine). All are also antineoplastic. Hormonal agents, kinase "
    "inhibitors, antibodies and immunotherapy are not included.",
    "name": "Cytotoxic chemotherapy",
    "synonyms": ["chemo", "chemotherapy", "cytotoxic chemotherapy"],
    "therapy_kind": "chemotherapy",
}

CHEMOTHERAPY_MEMBERS = [
    "altretamine",
    "amrubicin",
    "asparaginase",
    "asparaginase Erwinia chrysanthemi",
    "azacitidine",
    "bendamustine",
    "bleomycin",
    "busulfan",
    "cabazitaxel",
    "calaspargase pegol",
    "capecitabine",
    "carboplatin",
    "carmustine",
    "chlorambucil",
    "cisplatin",
    "cladribine",
    "clofarabine",
    "cyclophosphamide",
    "cytarabine",
    "dacarbazine",
    "dactinomycin",
    "daunorubicin",
    "daunorubicin/cytarabine liposomal",
    "decitabine",
    "decitabine/cedazuridine",
    "docetaxel",
    "doxorubicin",
    "doxorubicin liposomal",
    "epirubicin",
    "eribulin",
    "estramustine",
    "etoposide",
    "floxuridine",
    "fludarabine",
    "fluorouracil",
    "fotemustine",
    "gemcitabine",
    "hydroxyurea",
    "idarubicin",
    "ifosfamide",
    "irinotecan",
    "irinotecan liposomal",
    "ixabepilone",
    "lobaplatin",
    "lomustine",
    "lurbinectedin",
    "mechlorethamine",
    "melphalan",
    "mercaptopurine",
    "methotrexate",
    "mitomycin",
    "mitoxantrone",
    "nedaplatin",
    "nelarabine",
    "nimustine",
    "omacetaxine",
    "oxaliplatin",
    "paclitaxel",
    "paclitaxel protein-bound",
    "pegaspargase",
    "pemetrexed",
    "pentostatin",
    "pirarubicin",
    "pixantrone",
    "pralatrexate",
    "procarbazine",
    "raltitrexed",
    "ranimustine",
    "semustine",
    "streptozocin",
    "tegafur/gimeracil/oteracil",
    "tegafur/uracil",
    "temozolomide",
    "teniposide",
    "thioguanine",
    "thiotepa",
    "topotecan",
    "trabectedin",
    "treosulfan",
    "trifluridine/tipiracil",
    "trofosfamide",
    "valrubicin",
    "vinblastine",
    "vincristine",
    "vindesine",
    "vinflunine",
    "vinorelbine",
]

POSSIBLE_LIMITS = {
    "alt": (1, 50000),
    "anc": (0, 300000),
    "ast": (1, 50000),
    "bilirubin": (0, 60),
    "cholesterol": (20, 3000),
    "creatinine": (0.05, 30),
    "creatinine_clearance": (0.5, 400),
    "inr": (0.5, 20),
    "platelets": (1000, 5000000),
    "triglycerides": (5, 20000),
    "wbc": (50, 500000),
}

UNIT_ALIASES = {
    "alt IU/L": ["IU/l", "international units/L"],
    "alt U/L": ["U/l", "units/L", "u/L"],
    "alt ukat/L": ["µkat/L", "μkat/L", "microkat/L"],
    "anc /mm3": ["/mm^3", "/cumm", "/cu mm", "/cmm", "cells/mm3", "cells/mm^3", "cells/cumm"],
    "anc /uL": ["#/uL", "per uL", "/microL"],
    "anc 10^3/mm3": ["10*3/mm3", "10E3/mm3", "K/mm3", "K/cumm", "thou/mm3", "thou/cumm", "10^3/cumm", "x10E3/mm3"],
    "anc 10^3/uL": ["10*3/uL", "10E3/uL", "x10E3/uL", "10^3 cells/uL", "thou/uL", "10³/µL", "x10^3/uL", "1000/uL"],
    "anc 10^9/L": ["10*9/L", "10E9/L", "x10E9/L", "10^9 cells/L", "G/L", "giga/L"],
    "anc K/uL": ["K/µL", "k/microL"],
    "anc cells/uL": ["cells/microL", "cells per uL"],
    "ast IU/L": ["IU/l", "international units/L"],
    "ast U/L": ["U/l", "units/L", "u/L"],
    "ast ukat/L": ["µkat/L", "μkat/L", "microkat/L"],
    "bilirubin mg/dL": ["mg/dl", "mg%"],
    "bilirubin umol/L": ["µmol/L", "μmol/L", "micromol/L", "umol/l"],
    "cholesterol mg/dL": ["mg/dl", "mg%", "mg/100mL"],
    "cholesterol mmol/L": ["mmol/l", "millimol/L"],
    "creatinine mg/dL": ["mg/dl", "mg%"],
    "creatinine umol/L": ["µmol/L", "μmol/L", "micromol/L", "umol/l"],
    "creatinine_clearance mL/min": ["ml/min", "mL/minute", "cc/min"],
    "creatinine_clearance mL/s": ["ml/s", "mL/sec", "ml/sec"],
    "inr ratio": ["{INR}", "INR", "1", "{ratio}", "(ratio)", ""],
    "platelets /mm3": ["/mm^3", "/cumm", "/cu mm", "/cmm", "cells/mm3", "cells/mm^3", "cells/cumm"],
    "platelets /uL": ["#/uL", "per uL", "/microL"],
    "platelets 10^3/mm3": [
        "10*3/mm3",
        "10E3/mm3",
        "K/mm3",
        "K/cumm",
        "thou/mm3",
        "thou/cumm",
        "10^3/cumm",
        "x10E3/mm3",
    ],
    "platelets 10^3/uL": [
        "10*3/uL",
        "10E3/uL",
        "x10E3/uL",
        "10^3 cells/uL",
        "thou/uL",
        "10³/µL",
        "x10^3/uL",
        "1000/uL",
    ],
    "platelets 10^9/L": ["10*9/L", "10E9/L", "x10E9/L", "10^9 cells/L", "G/L", "giga/L"],
    "platelets K/uL": ["K/µL", "k/microL"],
    "platelets cells/uL": ["cells/microL", "cells per uL"],
    "triglycerides mg/dL": ["mg/dl", "mg%", "mg/100mL"],
    "triglycerides mmol/L": ["mmol/l", "millimol/L"],
    "wbc /mm3": ["/mm^3", "/cumm", "/cu mm", "/cmm", "cells/mm3", "cells/mm^3", "cells/cumm"],
    "wbc /uL": ["#/uL", "per uL", "/microL"],
    "wbc 10^3/mm3": ["10*3/mm3", "10E3/mm3", "K/mm3", "K/cumm", "thou/mm3", "thou/cumm", "10^3/cumm", "x10E3/mm3"],
    "wbc 10^3/uL": ["10*3/uL", "10E3/uL", "x10E3/uL", "10^3 cells/uL", "thou/uL", "10³/µL", "x10^3/uL", "1000/uL"],
    "wbc 10^9/L": ["10*9/L", "10E9/L", "x10E9/L", "10^9 cells/L", "G/L", "giga/L"],
    "wbc K/uL": ["K/µL", "k/microL"],
    "wbc cells/uL": ["cells/microL", "cells per uL"],
}

NEUTROPHILS_PCT = {
    "abbreviation": "Neutrophils",
    "canonical_unit": "%",
    "code": "neutrophils_pct",
    "loinc": "770-8",
    "name": "Neutrophils, % of WBC (differential)",
    "plausible_max": 95,
    "plausible_min": 5,
    "possible_max": 100,
    "possible_min": 0,
}

NEUTROPHILS_PCT_UNIT = {"aliases": ["percent", "% of WBC", "%WBC"], "factor": "1", "unit": "%"}


def upgrade(apps, schema_editor):
    DrugClass = apps.get_model("trials", "DrugClass")
    Drug = apps.get_model("trials", "Drug")
    Analyte = apps.get_model("trials", "Analyte")
    AnalyteUnit = apps.get_model("trials", "AnalyteUnit")
    if not Drug.objects.exists():
        return  # a new database: load_trial_data loads the shipped vocabularies whole
    for drug_class in DrugClass.objects.filter(code__in=CLASSES):
        shipped = CLASSES[drug_class.code]
        drug_class.therapy_kind = drug_class.therapy_kind or shipped["therapy_kind"]
        drug_class.systemic_use_only = drug_class.systemic_use_only or shipped["systemic_use_only"]
        drug_class.synonyms = drug_class.synonyms or shipped["synonyms"]
        drug_class.save(update_fields=["therapy_kind", "systemic_use_only", "synonyms", "updated_at"])
    chemotherapy, _ = DrugClass.objects.get_or_create(code=CHEMOTHERAPY["code"], defaults=CHEMOTHERAPY)
    antineoplastic = DrugClass.objects.filter(code="antineoplastic").first()
    for drug in Drug.objects.filter(generic_name__in=CHEMOTHERAPY_MEMBERS):
        drug.classes.add(chemotherapy, *([antineoplastic] if antineoplastic else []))
    for analyte in Analyte.objects.filter(code__in=POSSIBLE_LIMITS, possible_min__isnull=True):
        analyte.possible_min = POSSIBLE_LIMITS[analyte.code][0]
        analyte.possible_max = (
            analyte.possible_max if analyte.possible_max is not None else POSSIBLE_LIMITS[analyte.code][1]
        )
        analyte.save(update_fields=["possible_min", "possible_max", "updated_at"])
    for unit in AnalyteUnit.objects.select_related("analyte").filter(aliases=[]):
        unit.aliases = UNIT_ALIASES.get(f"{unit.analyte.code} {unit.unit}", [])
        if unit.aliases:
            unit.save(update_fields=["aliases", "updated_at"])
    if not Analyte.objects.filter(code=NEUTROPHILS_PCT["code"]).exists():
        analyte = Analyte.objects.create(**NEUTROPHILS_PCT)
        AnalyteUnit.objects.create(analyte=analyte, **NEUTROPHILS_PCT_UNIT)


class Migration(migrations.Migration):
    dependencies = [("trials", "0008_drug_class_systemic_use")]

    operations = [migrations.RunPython(upgrade, migrations.RunPython.noop)]
