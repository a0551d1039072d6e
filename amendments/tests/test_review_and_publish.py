"""The review before publishing: the diff criterion by criterion and of the vocabularies, what blocks publishing,
and the signed publication with its dates; after it, the banner and the move on open screenings."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from amendments.services import impact_preview_request, impact_preview_run
from amendments.tests.conftest import lower_platelet_limit
from conftest import PASSWORD
from screening.models import Screening
from screening.tests.forms_data import sign_as
from trials import services
from trials.models import AnalyteUnit, CriteriaVersion, Criterion, DrugClass


def review_url(version):
    return reverse("amendments:review", args=[version.pk])


def previewed(draft, user):
    preview = impact_preview_request(version=draft, user=user)
    impact_preview_run(preview_id=preview.pk)
    return preview


def publish_post(client, draft, **changes):
    page = client.get(review_url(draft)).content.decode()
    reviewed = page.split('name="reviewed" value="')[1].split('"')[0]
    today = timezone.localdate()
    data = {
        "reviewed": reviewed,
        "irb_approved_on": (today - timedelta(days=7)).isoformat(),
        "effective_date": today.isoformat(),
        "password": PASSWORD,
    }
    return client.post(review_url(draft), data | changes)


@pytest.fixture
def amendment(active_version):
    """Amendment 1 changes IN17, adds IN22 and removes EX16."""
    draft = services.criteria_version_create_amendment(source=active_version)
    lower_platelet_limit(draft)
    Criterion.objects.create(
        version=draft,
        order=90,
        code="IN22",
        kind="inclusion",
        category="other",
        text="Age 21 or older",
        summary="Age 21 or older on the screening date",
        rule={"type": "age", "minimum_years": 21},
    )
    draft.criteria.filter(code="EX16").delete()
    return draft


def test_the_diff_shows_changed_added_and_removed_criteria_with_old_and_new_rule_in_words(
    client_for, administrator, amendment
):
    page = client_for(administrator).get(review_url(amendment)).content.decode()
    assert "Criteria: 3 changes" in page
    changed = page.split('id="change-IN17"')[1].split('id="change-')[0]
    assert "changed" in changed
    assert "summary, rule" in changed
    assert "Platelets at least 100,000/mm3" in changed
    assert "Platelets at least 75,000/mm3" in changed
    assert "Rule: Platelets ≥ 100,000/mm3" in changed  # the old rule in words
    assert "Rule: Platelets ≥ 75 10^9/L" in changed  # the new rule in words
    added = page.split('id="change-IN22"')[1].split("</div>\n  </div>")[0]
    assert "added" in added
    assert "Age 21 or older on the screening date" in added
    removed = page.split('id="change-EX16"')[1]
    assert "removed" in removed.split("</div>\n  </div>")[0]


def test_vocabulary_edits_since_publishing_are_listed(client_for, administrator, amendment):
    AnalyteUnit.objects.filter(analyte__code="platelets", unit="K/uL").update(factor="100")
    DrugClass.objects.filter(code="anticoagulant").update(synonyms=["DOAC", "blood thinner"])
    page = client_for(administrator).get(review_url(amendment)).content.decode()
    assert "Vocabularies: 2 changes" in page
    table = page.split('id="vocabulary-changes"')[1].split("</section>")[0]
    assert "K/uL x 1000" in table
    assert "K/uL x 100" in table
    assert "blood thinner" in table


def test_a_summary_that_disagrees_with_its_rule_blocks_publishing(client_for, administrator, active_version):
    draft = services.criteria_version_create_amendment(source=active_version)
    lower_platelet_limit(draft, summary="Platelets at least 100,000/mm3")  # the rule moved, the words did not
    previewed(draft, administrator)
    client = client_for(administrator)
    page = client.get(review_url(draft)).content.decode()
    problems = page.split('id="problems"')[1].split("</section>")[0]
    assert "This draft cannot be published yet" in problems
    assert "IN17" in problems
    assert "Sign and publish" not in page
    response = publish_post(client, draft) if 'name="reviewed"' in page else None
    assert response is None  # no form to post
    with pytest.raises(Exception, match="IN17"):
        services.criteria_version_publish(
            version=draft,
            publisher=administrator,
            password=PASSWORD,
            reviewed_hash=services.draft_content_hash(draft),
            irb_approved_on=timezone.localdate(),
            effective_date=timezone.localdate(),
        )
    assert CriteriaVersion.objects.get(pk=draft.pk).status == "draft"


def test_publishing_needs_a_current_impact_preview(client_for, administrator, amendment):
    client = client_for(administrator)
    page = client.get(review_url(amendment)).content.decode()
    assert "Run the impact preview" in page
    assert "Sign and publish" not in page
    previewed(amendment, administrator)
    assert "Sign and publish" in client.get(review_url(amendment)).content.decode()
    lower_platelet_limit(amendment, value=50, summary="Platelets at least 50,000/mm3")  # edited after the preview
    page = client.get(review_url(amendment)).content.decode()
    assert "This preview was made for an earlier state of the draft" in page
    assert "Sign and publish" not in page


def test_an_administrator_signs_and_publishes_with_the_dates(client_for, administrator, amendment, active_version):
    client = client_for(administrator)
    preview = previewed(amendment, administrator)
    response = publish_post(client, amendment)
    assert response.status_code == 302
    amendment.refresh_from_db()
    active_version.refresh_from_db()
    today = timezone.localdate()
    assert (amendment.status, active_version.status) == ("active", "retired")
    assert (amendment.irb_approved_on, amendment.effective_date) == (today - timedelta(days=7), today)
    assert (amendment.published_by, amendment.publish_meaning) == (administrator, "approved_for_use")
    assert amendment.impact_preview == preview
    assert amendment.vocabulary is not None
    assert amendment.content_hash == services.criteria_content_hash(amendment, amendment.vocabulary.content_hash)
    assert services.publication_verified(amendment)
    admin_page = client.get(reverse("admin:trials_criteriaversion_change", args=[amendment.pk])).content.decode()
    assert "Administrator Tester, Approved for use (signature verified)" in admin_page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password": "wrong"}, "password", "The password is not correct."),
        ({"irb_approved_on": "2999-01-01"}, "irb_approved_on", "cannot be in the future"),
        ({"effective_date": "2000-01-01"}, "effective_date", "cannot be before the IRB approval date"),
        ({"irb_approved_on": "not a date"}, "irb_approved_on", "Enter a valid date."),
        ({"password": ""}, "password", "This field is required."),
    ],
)
def test_publishing_refuses_bad_input_at_the_field_and_publishes_nothing(
    client_for, administrator, amendment, changes, field, message
):
    client = client_for(administrator)
    previewed(amendment, administrator)
    response = publish_post(client, amendment, **changes)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    assert CriteriaVersion.objects.get(pk=amendment.pk).status == "draft"


def test_an_effective_date_after_today_is_refused(client_for, administrator, amendment):
    client = client_for(administrator)
    previewed(amendment, administrator)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = publish_post(client, amendment, effective_date=tomorrow)
    assert response.status_code == 400
    assert "in the future" in response.context["form"].errors["effective_date"][0]
    today = publish_post(client, amendment, effective_date=timezone.localdate().isoformat())
    assert today.status_code == 302


def test_a_draft_changed_after_the_review_page_was_opened_is_not_published(client_for, administrator, amendment):
    client = client_for(administrator)
    previewed(amendment, administrator)
    page = client.get(review_url(amendment)).content.decode()
    reviewed = page.split('name="reviewed" value="')[1].split('"')[0]
    AnalyteUnit.objects.filter(analyte__code="platelets", unit="K/uL").update(aliases=["K/cumm"])
    today = timezone.localdate().isoformat()
    response = client.post(
        review_url(amendment),
        {"reviewed": reviewed, "irb_approved_on": today, "effective_date": today, "password": PASSWORD},
    )
    assert response.status_code == 400
    assert "changed after you opened this review" in response.content.decode()
    assert CriteriaVersion.objects.get(pk=amendment.pk).status == "draft"


def test_a_published_version_has_no_review_page(client_for, administrator, active_version):
    response = client_for(administrator).get(review_url(active_version))
    assert response.status_code == 302


def test_open_screenings_on_the_retired_version_show_a_banner_and_move(
    client_for, administrator, coordinator, investigator, amendment, evaluate_entered, publish
):
    open_one = evaluate_entered({"platelets": ("80", "10^3/uL", "")})
    draft_one = evaluate_entered()
    Screening.objects.filter(pk=draft_one.pk).update(status="draft", verdict="")
    signed = evaluate_entered({"platelets": ("80", "10^3/uL", "")}, initials="SG")
    sign_as(investigator, signed)
    publish(amendment)

    client = client_for(coordinator)
    page = client.get(reverse("screening:detail", args=[open_one.pk])).content.decode()
    assert 'id="retired-version"' in page
    assert "Amendment 1</strong> is in effect since" in page
    assert 'id="retired-version"' in client.get(reverse("screening:edit", args=[draft_one.pk])).content.decode()
    assert 'id="retired-version"' not in client.get(reverse("screening:detail", args=[signed.pk])).content.decode()

    response = client.post(reverse("screening:move_version", args=[open_one.pk]), follow=True)
    assert "is now on Amendment 1 and evaluated again" in response.content.decode()
    open_one.refresh_from_db()
    assert (open_one.criteria_version, open_one.verdict) == (amendment, "eligible")
    assert open_one.outcomes.get(code="IN17").status == "met"
    moved = open_one.history.filter(history_change_reason__startswith="Moved from Original protocol").first()
    assert moved.history_user == coordinator
    assert "by Coordinator Tester" in moved.history_change_reason
    assert 'id="retired-version"' not in client.get(reverse("screening:detail", args=[open_one.pk])).content.decode()

    client.post(reverse("screening:move_version", args=[draft_one.pk]))
    draft_one.refresh_from_db()
    assert (draft_one.criteria_version, draft_one.status) == (amendment, "draft")

    response = client.post(reverse("screening:move_version", args=[signed.pk]), follow=True)
    assert "signed and locked" in response.content.decode()
    signed.refresh_from_db()
    assert signed.criteria_version != amendment


def test_the_log_filters_by_criteria_version(client_for, investigator, amendment, evaluate_entered, publish):
    old = evaluate_entered(initials="OL")
    publish(amendment)
    new = evaluate_entered(initials="NW")
    client = client_for(investigator)
    page = client.get(reverse("review:log"), {"version": amendment.pk}).content.decode()
    assert new.number in page
    assert old.number not in page
    page = client.get(reverse("review:log"), {"version": old.criteria_version_id}).content.decode()
    assert old.number in page
    assert new.number not in page
