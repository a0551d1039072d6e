"""Administrators keep criteria in Django admin: amend, edit a threshold, publish; old versions stay unchanged."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from amendments.services import impact_preview_run
from conftest import PASSWORD
from trials.models import CriteriaVersion, Criterion


def criterion_form_data(criterion, **changes):
    data = {
        "version": criterion.version_id,
        "order": criterion.order,
        "code": criterion.code,
        "kind": criterion.kind,
        "category": criterion.category,
        "text": criterion.text,
        "summary": criterion.summary,
        "cohorts": criterion.cohorts,
        "applies_to": criterion.applies_to,
        "rule": json.dumps(criterion.rule),
    }
    data.update(changes)
    return data


def run_action(client, action, version):
    return client.post(
        reverse("admin:trials_criteriaversion_changelist"),
        {"action": action, "_selected_action": [version.pk]},
        follow=True,
    )


def test_administrator_amends_edits_a_threshold_and_publishes(client_for, administrator, active_version):
    """The whole path in the admin and on the review page: amend, edit rule and summary, preview, sign, publish."""
    client = client_for(administrator)
    response = run_action(client, "create_amendment", active_version)
    assert "Amendment 1 created as a draft" in response.content.decode()
    draft = CriteriaVersion.objects.get(label="Amendment 1")

    anc = draft.criteria.get(code="IN16")
    new_rule = {**anc.rule, "value": 1000}
    response = client.post(
        reverse("admin:trials_criterion_change", args=[anc.pk]),
        criterion_form_data(anc, rule=json.dumps(new_rule), summary="Absolute neutrophil count at least 1,000/mm3"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]

    version_page = client.get(reverse("admin:trials_criteriaversion_change", args=[draft.pk])).content.decode()
    review = reverse("amendments:review", args=[draft.pk])
    assert f'href="{review}"' in version_page
    client.post(reverse("amendments:impact_start", args=[draft.pk]))
    impact_preview_run(preview_id=draft.impact_previews.get().pk)
    page = client.get(review).content.decode()
    reviewed = page.split('name="reviewed" value="')[1].split('"')[0]
    today = timezone.localdate().isoformat()
    response = client.post(
        review,
        {"reviewed": reviewed, "irb_approved_on": today, "effective_date": today, "password": PASSWORD},
        follow=True,
    )
    assert "Amendment 1 is published and in effect" in response.content.decode()

    active_version.refresh_from_db()
    draft.refresh_from_db()
    assert (active_version.status, draft.status) == ("retired", "active")
    assert active_version.criteria.get(code="IN16").rule["value"] == 1500
    assert draft.criteria.get(code="IN16").rule["value"] == 1000
    history = draft.criteria.get(code="IN16").history.first()
    assert history.history_user == administrator


def test_a_rule_that_cannot_be_evaluated_is_refused_with_a_clear_message(client_for, administrator, active_version):
    client = client_for(administrator)
    run_action(client, "create_amendment", active_version)
    anc = CriteriaVersion.objects.get(label="Amendment 1").criteria.get(code="IN16")
    broken = {**anc.rule, "unit": "furlongs"}
    response = client.post(
        reverse("admin:trials_criterion_change", args=[anc.pk]), criterion_form_data(anc, rule=json.dumps(broken))
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "This rule cannot be evaluated: unit: &#x27;furlongs&#x27; is not a unit of Absolute neutrophil count" in page
    )
    anc.refresh_from_db()
    assert anc.rule["unit"] == "/mm3"


def test_invalid_json_is_refused(client_for, administrator, active_version):
    client = client_for(administrator)
    run_action(client, "create_amendment", active_version)
    anc = CriteriaVersion.objects.get(label="Amendment 1").criteria.get(code="IN16")
    response = client.post(
        reverse("admin:trials_criterion_change", args=[anc.pk]), criterion_form_data(anc, rule="{oops")
    )
    assert response.status_code == 200
    assert "Enter a valid JSON" in response.content.decode()


def test_criteria_of_the_active_version_are_read_only(client_for, administrator, active_version):
    client = client_for(administrator)
    anc = active_version.criteria.get(code="IN16")
    page = client.get(reverse("admin:trials_criterion_change", args=[anc.pk]))
    assert page.status_code == 200
    assert 'name="rule"' not in page.content.decode()
    response = client.post(
        reverse("admin:trials_criterion_change", args=[anc.pk]),
        criterion_form_data(anc, rule=json.dumps({**anc.rule, "value": 1})),
    )
    assert response.status_code == 403
    anc.refresh_from_db()
    assert anc.rule["value"] == 1500


def test_criterion_page_shows_the_verbatim_text_and_the_rule_in_words(client_for, administrator, active_version):
    anc = active_version.criteria.get(code="IN16")
    page = client_for(administrator).get(reverse("admin:trials_criterion_change", args=[anc.pk])).content.decode()
    assert "Absolute neutrophil count &gt;= 1,500/mm³" in page
    assert "ANC ≥ 1,500/mm3" in page


@pytest.mark.parametrize(
    "query", ["", "?kind__exact=exclusion", "?category__exact=labs", "?cohorts__exact=phase2", "?q=neutrophil"]
)
def test_criteria_list_by_code_with_filters(client_for, administrator, active_version, query):
    response = client_for(administrator).get(reverse("admin:trials_criterion_changelist") + query)
    assert response.status_code == 200
    page = response.content.decode()
    expected = {"": "IN00", "?kind__exact=exclusion": "EX19", "?category__exact=labs": "IN16"}
    expected |= {"?cohorts__exact=phase2": "EX09", "?q=neutrophil": "IN16"}
    assert expected[query] in page


def test_vocabularies_are_editable_in_admin(client_for, administrator, active_version):
    client = client_for(administrator)
    assert client.get(reverse("admin:trials_drug_changelist") + "?q=Coumadin").status_code == 200
    assert "warfarin" in client.get(reverse("admin:trials_drug_changelist") + "?q=Coumadin").content.decode()
    analyte = active_version.criteria.model._meta.apps.get_model("trials", "Analyte").objects.get(code="anc")
    page = client.get(reverse("admin:trials_analyte_change", args=[analyte.pk]))
    assert page.status_code == 200
    assert "10*3/uL" in page.content.decode()  # the spellings of each unit
    regimens = client.get(reverse("admin:trials_regimen_changelist") + "?q=FOLFOX")
    assert regimens.status_code == 200
    assert "oxaliplatin" in regimens.content.decode()
    classes = client.get(reverse("admin:trials_drugclass_changelist") + "?therapy_kind__exact=chemotherapy")
    assert "Nitrosoureas" in classes.content.decode()


@pytest.mark.parametrize("persona", ["coordinator", "investigator"])
def test_only_administrators_edit_criteria(request, client_for, active_version, persona):
    client = client_for(request.getfixturevalue(persona))
    criterion = Criterion.objects.first()
    response = client.get(reverse("admin:trials_criterion_change", args=[criterion.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_the_criterion_page_says_whether_the_summary_agrees_with_the_rule(client_for, administrator, active_version):
    client = client_for(administrator)
    run_action(client, "create_amendment", active_version)
    platelets = CriteriaVersion.objects.get(label="Amendment 1").criteria.get(code="IN17")
    url = reverse("admin:trials_criterion_change", args=[platelets.pk])
    assert "The summary agrees with the rule." in client.get(url).content.decode()
    Criterion.objects.filter(pk=platelets.pk).update(rule={**platelets.rule, "value": 75, "unit": "10^9/L"})
    page = client.get(url).content.decode()
    assert "The summary says 100,000/mm3 but the rule&#x27;s platelets limit is 75 10^9/L" in page
