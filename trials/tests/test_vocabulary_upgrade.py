"""A database loaded before the entry checks existed gets what they need from its vocabularies, once."""

import importlib
from datetime import timedelta

from django.apps import apps
from django.utils import timezone

from screening.rules import PriorTherapy
from screening.tests.conftest import eligible_facts
from trials.models import Analyte, AnalyteUnit, DrugClass
from trials.ruleset import ruleset_for_version
from trials.services import criteria_version_create_amendment

upgrade = importlib.import_module("trials.migrations.0009_vocabulary_upgrade").upgrade


def as_before_the_upgrade():
    """The shipped vocabularies without what this version added to their records."""
    DrugClass.objects.filter(code__in=["chemotherapy", "doac"]).delete()
    DrugClass.objects.update(therapy_kind="", systemic_use_only=False, synonyms=[])
    Analyte.objects.update(possible_min=None)
    AnalyteUnit.objects.update(aliases=[])
    Analyte.objects.filter(code="neutrophils_pct").delete()


def test_an_existing_database_gets_what_the_entry_checks_need(active_version):
    # Published versions keep the vocabulary they pinned; a draft is evaluated with the tables as they are.
    draft = criteria_version_create_amendment(source=active_version)
    as_before_the_upgrade()
    today = timezone.localdate()
    temozolomide = PriorTherapy("other", "metastatic", ("temozolomide",), today - timedelta(80), today - timedelta(20))
    facts = eligible_facts(prior_therapies=(temozolomide,))
    assert ruleset_for_version(draft).evaluate(facts, today, "phase1").by_code("IN09").status == "met"

    upgrade(apps, None)

    assert DrugClass.objects.get(code="nitrosourea").therapy_kind == "chemotherapy"
    assert DrugClass.objects.get(code="corticosteroid").systemic_use_only
    assert DrugClass.objects.get(code="chemotherapy").drugs.filter(generic_name="temozolomide").exists()
    assert Analyte.objects.get(code="platelets").possible_min == 1000
    assert "10*3/uL" in AnalyteUnit.objects.get(analyte__code="platelets", unit="10^3/uL").aliases
    assert Analyte.objects.filter(code="neutrophils_pct").exists()
    # The chemotherapy filed as "other anticancer therapy" 20 days ago now meets its 4-week washout rule.
    assert ruleset_for_version(draft).evaluate(facts, today, "phase1").by_code("IN09").status == "not_met"


def test_what_an_administrator_set_is_kept(active_version):
    DrugClass.objects.filter(code="immunotherapy").update(therapy_kind="targeted_therapy")
    Analyte.objects.filter(code="wbc").update(possible_min=10)
    upgrade(apps, None)
    assert DrugClass.objects.get(code="immunotherapy").therapy_kind == "targeted_therapy"
    assert Analyte.objects.get(code="wbc").possible_min == 10
