import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

# The public ClinicalTrials.gov record as it was given to the project, kept in the repository so that a plain clone
# tests against it.
SOURCE_RECORD = Path(settings.BASE_DIR) / "fixtures" / "source" / "NCT00349206.txt"


def seed_text():
    return SOURCE_RECORD.read_text(encoding="utf-8").replace("\xa0", " ")


def seed_criteria_bullets():
    block = seed_text().split("Accepts Healthy Volunteers:", 1)[1].split("Information from the National Library", 1)[0]
    return [line.strip().removeprefix("•").strip() for line in block.splitlines() if line.strip().startswith("•")]


def test_fixture_loads_the_whole_record(trial):
    assert trial.brief_title.startswith("Sorafenib and Temsirolimus in Treating Patients")
    assert trial.official_title.startswith("Phase 1 Study of the Combination of BAY 43-9006 (Sorafenib)")
    assert trial.phases == ["Phase 1"]
    assert trial.minimum_age == "18 Years"
    assert trial.sexes == "All"
    assert trial.accepts_healthy_volunteers is False
    assert trial.enrollment_count == 69
    assert [i.identifier for i in trial.identifiers.all()] == [
        "NCI-2009-00131",
        "2005-0215",
        "7149",
        "P30CA016672",
        "N01CM62202",
    ]
    sorafenib = trial.interventions.get(name="sorafenib tosylate")
    assert "BAY 43-9006" in sorafenib.other_names
    assert "Nexavar" in sorafenib.other_names
    assert "CCI-779" in trial.interventions.get(name="temsirolimus").other_names
    assert trial.outcome_measures.filter(kind="primary").count() == 2
    assert trial.outcome_measures.filter(kind="secondary").count() == 3
    assert trial.investigators.get().name == "Kevin Kim"
    assert trial.locations.get().city == "Houston"
    assert set(trial.arms.get().interventions.all()) == set(trial.interventions.all())


def test_eligibility_text_is_the_seed_verbatim_in_order(trial):
    assert trial.criteria_bullets == seed_criteria_bullets()
    assert len(trial.criteria_bullets) == 40


def test_every_text_field_of_the_fixture_comes_from_the_seed(trial):
    seed = re.sub(r"\s+", " ", seed_text())
    texts = [trial.brief_title, trial.official_title, trial.brief_summary, trial.sponsor, *trial.conditions]
    texts += [line for line in trial.detailed_description.splitlines() if line.strip()]
    texts += [outcome.title for outcome in trial.outcome_measures.all()]
    texts += [outcome.time_frame for outcome in trial.outcome_measures.all()]
    texts += [arm.description for arm in trial.arms.all()]
    texts += trial.mesh_terms
    for text in texts:
        assert re.sub(r"\s+", " ", text) in seed, text


@pytest.mark.parametrize(
    "expected",
    [
        "NCT00349206",
        "Sorafenib and Temsirolimus in Treating Patients With Metastatic, Recurrent, or Unresectable Melanoma",
        "Phase 1 Study of the Combination of BAY 43-9006 (Sorafenib) and CCI-779 (Temsirolimus)",
        "Phase 1",
        "18 Years and older",
        "Sexes eligible",
        "Absolute neutrophil count &gt;= 1,500/mm³",
        "At least 5 years since prior chemotherapy for other types of cancer.",
        "NCI-2009-00131",
        "BAY 54-9085",
        "Torisel",
        "Maximum tolerated dose of CCI-779",
        "Kevin Kim",
        "M D Anderson Cancer Center",
        "Completed",
        "April 2006",
        "July 6, 2006",
        "National Cancer Institute (NCI)",
    ],
)
def test_trial_page_shows_the_record(client_for, coordinator, trial, expected):
    response = client_for(coordinator).get(reverse("trials:detail", args=[trial.nct_id]))
    assert response.status_code == 200
    assert expected in response.content.decode()


def test_trial_page_lists_every_criterion(client_for, investigator, trial):
    page = client_for(investigator).get(reverse("trials:detail", args=[trial.nct_id])).content.decode()
    assert page.count("<li>") >= len(trial.criteria_bullets)


def test_home_page_links_to_the_trial(client_for, coordinator, trial):
    response = client_for(coordinator).get(reverse("home"))
    assert reverse("trials:detail", args=[trial.nct_id]) in response.content.decode()


def test_unknown_trial_is_a_readable_404(client_for, coordinator, trial):
    response = client_for(coordinator).get(reverse("trials:detail", args=["NCT99999999"]))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_trial_page_query_count_does_not_grow(client_for, coordinator, trial, django_assert_max_num_queries):
    client = client_for(coordinator)
    with django_assert_max_num_queries(15):
        client.get(reverse("trials:detail", args=[trial.nct_id]))
