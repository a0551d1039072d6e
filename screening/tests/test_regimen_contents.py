"""What a prior regimen contains decides which criteria see it, whatever regimen type the coordinator picked; what the
chart leaves open (an agent no name explains, no agent named, a setting not documented) is unknown, never met."""

import pytest
from django.urls import reverse

from screening.models import PriorTherapy as TherapyRow
from screening.rules import MET, NOT_MET, UNKNOWN, PriorTherapy
from screening.tests.conftest import SCREENING_DATE, days_ago, eligible_facts
from screening.tests.forms_data import eligible_payload, set_rows


def outcome(ruleset, code, facts, cohort="phase1"):
    return ruleset.evaluate(facts, SCREENING_DATE, cohort).by_code(code)


def regimen(*agents, modality="other", setting="metastatic", ended=60):
    """A prior regimen whose last dose was `ended` days before screening (None: not entered)."""
    if ended is None:
        return PriorTherapy(modality, setting, agents)
    return PriorTherapy(modality, setting, agents, days_ago(ended + 60), days_ago(ended))


def with_regimens(*therapies):
    return eligible_facts(prior_therapies=therapies)


@pytest.mark.parametrize("modality", ["other", "immunotherapy", "targeted_therapy"])
@pytest.mark.parametrize("agent", ["temozolomide", "Temodar", "dacarbazine", "DTIC", "FOLFOX", "carbo/paclitaxel"])
def test_chemotherapy_filed_under_another_type_keeps_the_4_week_washout(ruleset, modality, agent):
    def washout(days):
        return outcome(ruleset, "IN09", with_regimens(regimen(agent, modality=modality, ended=days))).status

    assert (washout(27), washout(28), washout(29)) == (NOT_MET, MET, MET)


@pytest.mark.parametrize("modality", ["other", "immunotherapy"])
@pytest.mark.parametrize("agent", ["carmustine", "BiCNU", "Gliadel wafer", "lomustine", "mitomycin C", "Dartmouth"])
def test_a_nitrosourea_or_mitomycin_filed_under_another_type_keeps_the_6_week_washout(ruleset, modality, agent):
    def washout(days):
        return outcome(ruleset, "IN09", with_regimens(regimen(agent, modality=modality, ended=days)))

    too_soon = washout(41)
    assert too_soon.status == NOT_MET
    assert "6 weeks" in too_soon.reason
    assert (washout(42).status, washout(43).status) == (MET, MET)


def test_an_immunotherapy_regimen_is_not_a_chemotherapy(ruleset):
    assert (
        outcome(ruleset, "IN09", with_regimens(regimen("ipilimumab", modality="immunotherapy", ended=5))).status == MET
    )


@pytest.mark.parametrize(
    ("agents", "modality"),
    [(("Zorbatrex",), "immunotherapy"), (("ipilimumab", "Zorbatrex"), "immunotherapy"), ((), "other")],
)
def test_an_agent_no_name_explains_needs_review_while_any_washout_could_apply(ruleset, agents, modality):
    within = outcome(ruleset, "IN09", with_regimens(regimen(*agents, modality=modality, ended=41)))
    assert within.status == UNKNOWN
    assert "needs review" in within.reason
    assert within.missing[0].field == "therapies"
    assert outcome(ruleset, "IN09", with_regimens(regimen(*agents, modality=modality, ended=42))).status == MET


def test_a_regimen_with_no_end_date_that_may_be_chemotherapy_is_unknown(ruleset):
    assert outcome(ruleset, "IN09", with_regimens(regimen("Zorbatrex", ended=None))).status == UNKNOWN


def test_a_class_word_for_chemotherapy_needs_the_drug_when_the_longer_washout_could_apply(ruleset):
    assert outcome(ruleset, "IN09", with_regimens(regimen("chemo", ended=27))).status == NOT_MET
    between = outcome(ruleset, "IN09", with_regimens(regimen("chemo", ended=35)))
    assert between.status == UNKNOWN
    assert "'chemo' does not say which drug" in between.reason
    assert outcome(ruleset, "IN09", with_regimens(regimen("chemo", ended=42))).status == MET


def test_setting_not_documented_counts_for_whichever_setting_could_apply(ruleset):
    """Chemotherapy of an undocumented setting, 300 days ago: past the melanoma washout, but within the 5 years that
    chemotherapy for another cancer needs."""
    facts = with_regimens(regimen("dacarbazine", modality="systemic_chemotherapy", setting="not_documented", ended=300))
    assert outcome(ruleset, "IN09", facts).status == MET
    other_cancer = outcome(ruleset, "IN21", facts)
    assert other_cancer.status == UNKNOWN
    assert "its setting is not documented" in other_cancer.reason
    long_ago = regimen("dacarbazine", modality="systemic_chemotherapy", setting="not_documented", ended=1827)
    assert outcome(ruleset, "IN21", with_regimens(long_ago)).status == MET
    recent = regimen("dacarbazine", modality="systemic_chemotherapy", setting="not_documented", ended=20)
    assert outcome(ruleset, "IN09", with_regimens(recent)).status == UNKNOWN


def test_chemotherapy_for_another_cancer_filed_under_another_type_keeps_the_5_year_rule(ruleset):
    facts = with_regimens(regimen("CHOP", modality="other", setting="other_cancer", ended=1000))
    assert outcome(ruleset, "IN21", facts).status == NOT_MET


# Phase II: at most 1 prior systemic chemotherapy regimen for metastatic melanoma; no prior raf/VEGF/mTOR agent


def test_chemotherapy_regimens_are_counted_by_their_agents(ruleset):
    """A regimen typed as targeted therapy that holds dacarbazine is a chemotherapy regimen too; its route is not
    documented, so it may count against the one allowed, and the coordinator is asked."""
    two = with_regimens(
        regimen("dacarbazine", modality="systemic_chemotherapy"),
        regimen("carboplatin", "paclitaxel", "bevacizumab", modality="systemic_chemotherapy"),
    )
    assert outcome(ruleset, "EX08", two, "phase2").status == NOT_MET
    one = with_regimens(
        regimen("dacarbazine", modality="systemic_chemotherapy"), regimen("nivolumab", modality="immunotherapy")
    )
    assert outcome(ruleset, "EX08", one, "phase2").status == MET
    open_route = with_regimens(
        regimen("dacarbazine", modality="systemic_chemotherapy"),
        regimen("sorafenib", "dacarbazine", modality="targeted_therapy"),
    )
    result = outcome(ruleset, "EX08", open_route, "phase2")
    assert result.status == UNKNOWN
    assert "its type does not say whether its chemotherapy was systemic or regional" in result.reason


def test_a_limb_perfusion_filed_as_other_is_not_counted_as_systemic_chemotherapy(ruleset):
    """Melphalan under "other" may have been a limb perfusion: not a second systemic regimen, but a question."""
    facts = with_regimens(regimen("dacarbazine", modality="systemic_chemotherapy"), regimen("melphalan"))
    assert outcome(ruleset, "EX08", facts, "phase2").status == UNKNOWN
    assert outcome(ruleset, "IN09", facts).status == MET  # a washout for either route


def test_a_regimen_that_may_be_chemotherapy_may_count(ruleset):
    facts = with_regimens(
        regimen("dacarbazine", modality="systemic_chemotherapy"), regimen("Zorbatrex", modality="immunotherapy")
    )
    result = outcome(ruleset, "EX08", facts, "phase2")
    assert result.status == UNKNOWN
    assert "1 more may count" in result.reason
    undocumented = with_regimens(
        regimen("dacarbazine", modality="systemic_chemotherapy"),
        regimen("temozolomide", modality="systemic_chemotherapy", setting="not_documented"),
    )
    assert outcome(ruleset, "EX08", undocumented, "phase2").status == UNKNOWN


def test_regional_chemotherapy_is_not_counted_as_systemic(ruleset):
    facts = with_regimens(regimen("dacarbazine"), regimen("melphalan", modality="regional_chemotherapy"))
    assert outcome(ruleset, "EX08", facts, "phase2").status == MET
    assert outcome(ruleset, "IN09", facts).status == MET


@pytest.mark.parametrize("agent", ["dab/tram", "dabrafenib/trametinib", "BRAF inhibitor", "Nexavar", "Afinitor"])
def test_a_prior_raf_vegf_or_mtor_agent_is_found_in_regimens_and_class_words(ruleset, agent):
    result = outcome(ruleset, "EX09", with_regimens(regimen(agent, modality="other")), "phase2")
    assert result.status == NOT_MET


def test_a_prior_agent_nothing_explains_needs_review_for_the_phase_2_agent_rule(ruleset):
    facts = with_regimens(regimen("Zorbatrex", modality="targeted_therapy"))
    assert outcome(ruleset, "EX09", facts, "phase2").status == UNKNOWN
    assert outcome(ruleset, "EX09", with_regimens(regimen("ipi/nivo")), "phase2").status == MET


@pytest.mark.parametrize(
    ("acronym", "agents"),
    [
        ("FOLFOX", {"leucovorin", "fluorouracil", "oxaliplatin"}),
        ("FOLFIRI", {"leucovorin", "fluorouracil", "irinotecan"}),
        ("R-CHOP", {"rituximab", "cyclophosphamide", "doxorubicin", "vincristine", "prednisone"}),
        ("CHOP", {"cyclophosphamide", "doxorubicin", "vincristine", "prednisone"}),
        ("ABVD", {"doxorubicin", "bleomycin", "vinblastine", "dacarbazine"}),
        ("AC-T", {"doxorubicin", "cyclophosphamide", "paclitaxel"}),
        ("CMF", {"cyclophosphamide", "methotrexate", "fluorouracil"}),
        ("carbo/paclitaxel", {"carboplatin", "paclitaxel"}),
        ("CVD", {"cisplatin", "vinblastine", "dacarbazine"}),
    ],
)
def test_regimen_acronyms_stand_for_their_agents(vocabulary, acronym, agents):
    assert {m.drug.generic_name for m in vocabulary.matcher.match_agent(acronym)} == agents


def test_regimen_acronyms_are_not_read_on_a_medication_line(vocabulary):
    """On a medication line "ac" is "before meals", not doxorubicin and cyclophosphamide."""
    assert [m.drug.generic_name for m in vocabulary.matcher.match("metformin 500 mg PO BID ac")] == ["metformin"]


# The form


@pytest.fixture
def coordinator_client(client_for, coordinator):
    return client_for(coordinator)


def post_regimen(client, screening, **row):
    data = eligible_payload(screening) | {"prior_therapy": "yes", "action": "evaluate"}
    therapy = {"modality": "other", "setting": "metastatic", "agents": "", "started_on": "", "ended_on": ""} | row
    set_rows(data, "therapy", [therapy])
    return client.post(reverse("screening:edit", args=[screening.pk]), data)


def test_the_form_takes_a_setting_the_chart_does_not_document(coordinator_client, screening_for):
    screening = screening_for()
    response = post_regimen(coordinator_client, screening, setting="not_documented", agents="temozolomide")
    assert response.status_code == 302
    assert TherapyRow.objects.get(screening=screening).setting == "not_documented"


def test_the_form_refuses_a_type_that_none_of_the_agents_is(coordinator_client, screening_for):
    screening = screening_for()
    response = post_regimen(coordinator_client, screening, modality="systemic_chemotherapy", agents="ipilimumab")
    assert response.status_code == 200
    assert "ipilimumab is biologic or immunotherapy in the drug list" in response.content.decode()
    assert not TherapyRow.objects.filter(screening=screening).exists()


def test_the_form_takes_a_mixed_regimen_under_the_type_of_one_of_its_agents(coordinator_client, screening_for):
    screening = screening_for()
    agents = "carboplatin, paclitaxel, bevacizumab"
    response = post_regimen(coordinator_client, screening, modality="systemic_chemotherapy", agents=agents)
    assert response.status_code == 302
