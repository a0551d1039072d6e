"""The shipped criteria version, amendments, and the rule that published versions never change."""

from dataclasses import replace
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from conftest import PASSWORD
from screening.rules import Verdict
from trials import services
from trials.models import Analyte, AnalyteUnit, CriteriaVersion, Criterion, Drug, VocabularySnapshot
from trials.ruleset import ruleset_for_version, screening_form_vocabulary
from trials.tests.test_trial_record import seed_criteria_bullets


def test_every_bullet_of_the_record_is_a_criterion_in_order(active_version):
    criteria = list(active_version.criteria.order_by("order"))
    assert [c.text for c in criteria[1:]] == seed_criteria_bullets()
    assert criteria[0].code == "IN00"
    assert criteria[0].rule == {"type": "age", "minimum_years": 18}


def test_codes_are_short_and_unique(active_version):
    codes = list(active_version.criteria.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 41
    assert all(len(code) <= 8 for code in codes)


def test_judgement_only_bullets_are_stated_as_attestations(active_version):
    for code in ("EX02", "EX04", "EX05", "EX06", "EX10", "EX13"):
        criterion = active_version.criteria.get(code=code)
        assert criterion.rule["type"] == "attestation"
        assert "attestation" in criterion.summary


def test_phase_2_only_bullets_are_marked(active_version):
    phase2 = set(active_version.criteria.filter(cohorts="phase2").values_list("code", flat=True))
    assert phase2 == {"EX08", "EX09"}
    assert all("(Phase II)" in c.text for c in active_version.criteria.filter(cohorts="phase2"))


def test_the_shipped_version_compiles(active_version):
    ruleset = ruleset_for_version(active_version)
    assert len(ruleset.criteria) == 41


def test_one_active_version_per_trial_is_enforced_by_the_database(active_version):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CriteriaVersion.objects.create(trial=active_version.trial, label="Rogue", status="active")


def test_an_amendment_is_a_draft_copy(active_version):
    draft = services.criteria_version_create_amendment(source=active_version)
    assert draft.status == "draft"
    assert draft.label == "Amendment 1"
    assert draft.derived_from == active_version
    original = list(active_version.criteria.values_list("code", "text", "rule"))
    assert list(draft.criteria.values_list("code", "text", "rule")) == original
    assert services.criteria_version_create_amendment(source=active_version).label == "Amendment 2"


def anc_limit(draft, value):
    """IN16's limit changed, rule and summary together."""
    Criterion.objects.filter(version=draft, code="IN16").update(
        rule={"type": "lab_absolute", "analyte": "anc", "op": ">=", "value": value, "unit": "/mm3"},
        summary=f"Absolute neutrophil count at least {value:,}/mm3",
    )


def test_publishing_retires_the_old_version_and_leaves_it_unchanged(active_version, publish):
    draft = services.criteria_version_create_amendment(source=active_version)
    anc_limit(draft, 1000)

    publish(draft)

    active_version.refresh_from_db()
    draft.refresh_from_db()
    assert active_version.status == "retired"
    assert draft.status == "active"
    assert draft.effective_date is not None
    assert active_version.criteria.get(code="IN16").rule["value"] == 1500
    assert draft.criteria.get(code="IN16").rule["value"] == 1000


def test_old_and_new_versions_evaluate_by_their_own_thresholds(active_version, publish):
    from screening.rules import LabResult
    from screening.tests.conftest import SCREENING_DATE, eligible_facts, with_lab

    draft = services.criteria_version_create_amendment(source=active_version)
    anc_limit(draft, 1000)
    publish(draft)
    active_version.refresh_from_db()
    facts = with_lab(eligible_facts(), "anc", LabResult(1.2, "10^3/uL"))
    old = ruleset_for_version(active_version).evaluate(facts, SCREENING_DATE, "phase1")
    new = ruleset_for_version(draft).evaluate(facts, SCREENING_DATE, "phase1")
    assert old.verdict == Verdict.INELIGIBLE
    assert new.verdict == Verdict.ELIGIBLE


@pytest.mark.parametrize("status", ["active", "retired"])
def test_only_drafts_can_be_published(active_version, administrator, status):
    CriteriaVersion.objects.filter(pk=active_version.pk).update(status=status)
    with pytest.raises(ValidationError, match="only a draft can be published"):
        services.criteria_version_publish(
            version=active_version,
            publisher=administrator,
            password=PASSWORD,
            reviewed_hash="",
            irb_approved_on=date(2026, 1, 1),
            effective_date=date(2026, 1, 2),
        )


def test_a_draft_with_a_broken_rule_cannot_be_published(active_version, publish):
    draft = services.criteria_version_create_amendment(source=active_version)
    Criterion.objects.filter(version=draft, code="IN16").update(rule={"type": "lab_absolute", "analyte": "anc"})
    with pytest.raises(ValidationError, match="IN16"):
        publish(draft)
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert CriteriaVersion.objects.get(pk=active_version.pk).status == "active"


def test_compiled_published_versions_are_cached(active_version, django_assert_max_num_queries):
    first = ruleset_for_version(active_version)
    with django_assert_max_num_queries(0):
        assert ruleset_for_version(active_version) is first


def test_a_vocabulary_edit_after_publishing_changes_no_evaluation_under_that_version(active_version):
    """Drug classes, unit factors and limits edited in the admin are the draft vocabulary: the published version
    keeps evaluating with the snapshot it pinned; a draft sees the edit at once."""
    from screening.rules import LabResult, Medication
    from screening.tests.conftest import SCREENING_DATE, eligible_facts, with_lab

    facts = with_lab(eligible_facts(), "platelets", LabResult(120, "10^3/uL"))
    facts = replace(facts, medications=(Medication("Marevan 3 mg daily", None, True),))
    before = ruleset_for_version(active_version).evaluate(facts, SCREENING_DATE, "phase1")

    warfarin = Drug.objects.get(generic_name="warfarin")
    warfarin.brand_names = [*warfarin.brand_names, "Marevan"]
    warfarin.save()
    warfarin.classes.clear()
    unit = AnalyteUnit.objects.get(analyte__code="platelets", unit="10^3/uL")
    unit.factor = "0.5"  # a wrong factor typed in the admin
    unit.save()
    Analyte.objects.filter(code="platelets").update(possible_max=10)

    after = ruleset_for_version(CriteriaVersion.objects.get(pk=active_version.pk)).evaluate(
        facts, SCREENING_DATE, "phase1"
    )
    assert [(c.code, c.status, c.reason) for c in after.criteria] == [
        (c.code, c.status, c.reason) for c in before.criteria
    ]
    draft = services.criteria_version_create_amendment(source=active_version)
    assert ruleset_for_version(draft).vocabulary.analytes["platelets"].factors["10^3/uL"] == 0.5
    assert ruleset_for_version(active_version).vocabulary.analytes["platelets"].factors["10^3/uL"] != 0.5


def test_a_published_version_and_its_snapshot_cannot_change_in_the_database(active_version):
    from django.db import IntegrityError, InternalError, transaction

    refused = (IntegrityError, InternalError)
    with pytest.raises(refused), transaction.atomic():
        CriteriaVersion.objects.filter(pk=active_version.pk).update(content_hash="0" * 64)
    with pytest.raises(refused), transaction.atomic():
        active_version.criteria.filter(code="IN17").update(summary="Platelets at least 75,000/mm3")
    with pytest.raises(refused), transaction.atomic():
        Criterion.objects.create(
            version=active_version,
            order=99,
            code="IN99",
            kind="inclusion",
            category="other",
            text="t",
            summary="s",
            rule={"type": "age", "minimum_years": 18},
        )
    with pytest.raises(refused), transaction.atomic():
        VocabularySnapshot.objects.filter(pk=active_version.vocabulary_id).update(data={})
    CriteriaVersion.objects.filter(pk=active_version.pk).update(status="retired")  # its status still moves on


def test_the_version_hash_covers_criteria_and_vocabulary(active_version):
    vocabulary_hash = active_version.vocabulary.content_hash
    assert active_version.content_hash == services.criteria_content_hash(active_version, vocabulary_hash)
    draft = services.criteria_version_create_amendment(source=active_version)
    assert services.draft_content_hash(draft) == active_version.content_hash  # same criteria, same vocabulary
    AnalyteUnit.objects.filter(analyte__code="anc", unit="/mm3").update(aliases=["cells/mm3"])
    assert services.draft_content_hash(draft) != active_version.content_hash


def test_the_form_s_analytes_are_read_again_when_a_unit_changes_but_the_version_s_units_are_pinned(
    active_version, django_assert_max_num_queries
):
    ruleset, analytes = screening_form_vocabulary(active_version)
    with django_assert_max_num_queries(1):
        assert screening_form_vocabulary(active_version) == (ruleset, analytes)
    AnalyteUnit.objects.create(analyte=Analyte.objects.get(code="anc"), unit="cells/mm3", factor="0.001")
    same_ruleset, analytes = screening_form_vocabulary(active_version)
    anc = next(analyte for analyte in analytes if analyte.code == "anc")
    assert "cells/mm3" in [unit.unit for unit in anc.units.all()]
    assert same_ruleset is ruleset
    assert "cells/mm3" not in same_ruleset.vocabulary.analytes["anc"].factors


def test_drafts_are_compiled_fresh(active_version):
    draft = services.criteria_version_create_amendment(source=active_version)
    assert ruleset_for_version(draft) is not ruleset_for_version(draft)


def test_loading_the_trial_data_twice_keeps_admin_edits(db, publish):
    from django.core.management import call_command

    call_command("load_trial_data", verbosity=0)
    version = CriteriaVersion.objects.get(status="active")
    draft = services.criteria_version_create_amendment(source=version)
    publish(draft)
    call_command("load_trial_data", verbosity=0)
    assert CriteriaVersion.objects.get(status="active") == draft
