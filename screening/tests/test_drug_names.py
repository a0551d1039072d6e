"""Drug names as charts write them: brands from outside the US, chart abbreviations, class words typed in place of a
drug, and misspellings, for which a suggestion is offered and never applied on its own."""

import pytest
from django.urls import reverse

from screening.rules import MET, NOT_MET, UNKNOWN, Medication
from screening.rules.vocabulary import name_tokens
from screening.tests.conftest import SCREENING_DATE, eligible_facts


def outcome(ruleset, code, facts):
    return ruleset.evaluate(facts, SCREENING_DATE, "phase1").by_code(code)


def taking(text, purpose=None):
    return eligible_facts(medications=(Medication("Lisinopril 10 mg daily"), Medication(text, purpose)))


@pytest.mark.parametrize(
    ("text", "generic"),
    [
        ("Phenhydan 100 mg", "phenytoin"),
        ("Epanutin 100 mg BID", "phenytoin"),
        ("PHT 300 mg nightly", "phenytoin"),
        ("Timonil retard 300", "carbamazepine"),
        ("CBZ 200 mg", "carbamazepine"),
        ("Rimactane 600 mg", "rifampin"),
    ],
)
def test_enzyme_inducers_by_brands_worldwide_and_chart_abbreviations(ruleset, text, generic):
    result = outcome(ruleset, "EX11", taking(text))
    assert result.status == NOT_MET
    assert generic in result.reason


@pytest.mark.parametrize(
    ("text", "generic"),
    [
        ("Innohep 14000 IU SC daily", "tinzaparin"),
        ("Marevan 5 mg", "warfarin"),
        ("Sintrom 4 mg", "acenocoumarol"),
        ("Marcumar 3 mg", "phenprocoumon"),
        ("UFH infusion", "heparin"),
    ],
)
def test_full_dose_anticoagulants_by_brands_worldwide(ruleset, text, generic):
    result = outcome(ruleset, "EX15", taking(text, "therapeutic"))
    assert result.status == NOT_MET
    assert generic in result.reason


@pytest.mark.parametrize(
    ("text", "code", "purpose"),
    [
        ("DOAC", "EX15", "therapeutic"),
        ("NOAC 20 mg daily", "EX15", "therapeutic"),
        ("LMWH 1 mg/kg BID", "EX15", "therapeutic"),
        ("G-CSF", "EX12", "prophylactic"),
        ("EIAED", "EX11", None),
    ],
)
def test_a_class_word_in_place_of_a_drug_matches_the_class(ruleset, text, code, purpose):
    result = outcome(ruleset, code, taking(text, purpose))
    assert result.status == NOT_MET
    assert "drug not named" in result.reason


def test_a_class_word_wider_than_the_criterion_needs_the_drug(ruleset):
    """An "AED" may or may not be enzyme-inducing: which one it is decides EX11."""
    result = outcome(ruleset, "EX11", taking("AED"))
    assert result.status == UNKNOWN
    assert "'AED' names a class, not the drug" in result.reason
    assert result.missing[0].label == "Name the drug of 'AED'"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("heparin lock flush 100 units/mL", MET),  # keeps a catheter open: not anticoagulation
        ("heparin 5000 units SC BID", UNKNOWN),  # systemic, dose not stated
        ("Xarelto 20 mg daily", UNKNOWN),
    ],
)
def test_a_drug_used_locally_is_not_systemic_anticoagulation(ruleset, text, expected):
    assert outcome(ruleset, "EX15", taking(text)).status == expected


def test_local_use_leaves_the_classes_where_any_use_counts(vocabulary):
    (match,) = vocabulary.matcher.match("fluorouracil 5% cream")
    assert "antineoplastic" in match.drug.classes  # EX14 still sees it, for the clinician to judge
    (match,) = vocabulary.matcher.match("hydrocortisone cream 1%")
    assert match.drug.generic_name == "hydrocortisone, used locally"
    assert "corticosteroid" not in match.drug.classes


@pytest.mark.parametrize(("purpose", "expected"), [("as_needed", UNKNOWN), ("supplement", UNKNOWN), (None, UNKNOWN)])
def test_a_purpose_that_does_not_say_the_dose_leaves_dose_rules_open(ruleset, purpose, expected):
    assert outcome(ruleset, "EX15", taking("Lovenox 40 mg SC", purpose)).status == expected
    assert outcome(ruleset, "IN13", taking("Lovenox 40 mg SC", purpose)).status == expected


def test_as_needed_and_supplement_are_recorded_purposes_for_anything_else(ruleset):
    facts = taking("fish oil 1 g", "supplement")
    assert outcome(ruleset, "EX15", facts).status == MET
    assert outcome(ruleset, "EX11", taking("acetaminophen 500 mg", "as_needed")).status == MET


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("phenytion 100 mg TID", "did you mean phenytoin (Dilantin)?"),
        ("tegretoll 200 mg BID", "did you mean Tegretol (carbamazepine)?"),
        ("carbamazapine 200 mg", "did you mean carbamazepine (Tegretol)?"),
        ("coumadn 5 mg", "did you mean Coumadin (warfarin)?"),
    ],
)
def test_a_misspelling_gets_a_suggestion_that_is_not_applied(ruleset, vocabulary, typed, suggested):
    assert vocabulary.matcher.match(typed) == ()
    assert [str(s) for s in vocabulary.matcher.suggest(typed)] == [suggested]
    result = outcome(ruleset, "EX11", taking(typed))
    assert result.status == UNKNOWN  # never matched silently: neither met nor not met
    assert f"'{typed}' matched no known drug and needs review ({suggested})" in result.reason


def test_no_suggestion_for_names_that_match_or_for_the_words_of_a_dose(vocabulary):
    assert vocabulary.matcher.suggest("Dilantin 100 mg PO three times daily") == []
    assert vocabulary.matcher.suggest("one tablet twice daily with meals") == []


def test_the_vocabulary_never_gives_one_name_to_two_drugs(vocabulary):
    owners = {}
    for drug in vocabulary.drugs:
        for name in (drug.generic_name, *drug.names):
            owners.setdefault(name_tokens(name), set()).add(drug.generic_name)
    shared = {" ".join(tokens): names for tokens, names in owners.items() if len(names) > 1}
    assert shared == {}


def test_each_class_is_consistent_with_the_classes_it_is_part_of(vocabulary):
    for drug in vocabulary.drugs:
        if drug.classes & {"chemotherapy", "nitrosourea", "mitomycin"}:
            assert "antineoplastic" in drug.classes, drug.generic_name
        if drug.classes & {"doac", "lmwh"}:
            assert "anticoagulant" in drug.classes, drug.generic_name


@pytest.mark.parametrize(
    "generic",
    ["acenocoumarol", "phenprocoumon", "lenograstim", "betamethasone", "methotrexate", "cytarabine", "bendamustine"],
)
def test_each_class_holds_its_members_from_the_atc_groups(vocabulary, generic):
    assert generic in {drug.generic_name for drug in vocabulary.drugs}


# While typing: the match, and a suggestion the coordinator accepts with one click


@pytest.fixture
def match_page(client_for, coordinator, screening_for):
    client, screening = client_for(coordinator), screening_for()

    def get(kind, field, text):
        url = reverse("screening:medication_match", args=[screening.pk])
        return client.get(url, {"kind": kind, f"medication-0-{field}": text}).content.decode()

    return get


def test_typing_a_misspelling_offers_the_suggestion_with_a_button(match_page):
    page = match_page("medication", "name", "phenytion 100 mg")
    assert "Not recognised: will need review" in page
    assert "Did you mean phenytoin (Dilantin)?" in page
    assert 'data-replace-word="phenytion" data-replace-with="phenytoin"' in page


def test_typing_regimen_agents_shows_what_each_stands_for(match_page):
    page = match_page("agents", "agents", "FOLFOX, temozolamide")
    assert "oxaliplatin" in page
    assert "temozolamide:" in page
    assert "Did you mean temozolomide (Temodar)?" in page


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Dilantin" + " zzzz" * 20_000, "phenytoin"),  # read only as far as the field is long
        ("Dilan\x00tin 100 mg", "a NUL byte"),  # refused before anything reads it
        ("\u202e\u200b", ""),
    ],
)
def test_hostile_text_while_typing_is_answered_not_a_500(client_for, coordinator, screening_for, text, shown):
    url = reverse("screening:medication_match", args=[screening_for().pk])
    client = client_for(coordinator)
    for kind, field in (("medication", "name"), ("agents", "agents")):
        response = client.get(url, {"kind": kind, f"medication-0-{field}": text})
        assert response.status_code == (400 if "\x00" in text else 200)
        assert shown in response.content.decode()
