"""Writes to criteria versions. Published versions never change: an amendment is a new draft copied from one.

Publishing is a reviewed, signed act: the draft must compile, every summary must agree with its rule, an impact
preview of the draft's current content must be done, and the publisher re-enters the password (a Part 11 signature
with the meaning "approved for use") with the IRB approval and effective dates. It pins the vocabularies as they are
then, so that nothing edited later changes an evaluation under the version.
"""

import hmac

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from screening.signing import keyed_mac
from trials.models import CriteriaVersion, Criterion, VocabularySnapshot
from trials.ruleset import version_problems
from trials.vocabulary import content_hash, live_vocabulary_data

# Everything of a criterion that decides or shows its outcome.
CRITERION_CONTENT = ("order", "code", "kind", "category", "text", "summary", "cohorts", "applies_to", "rule")


@transaction.atomic
def criteria_version_create_amendment(*, source, label=None, note=""):
    """A draft copy of `source` and all its criteria, ready to edit."""
    if label is None:
        existing = set(source.trial.criteria_versions.values_list("label", flat=True))
        number = 1
        while f"Amendment {number}" in existing:
            number += 1
        label = f"Amendment {number}"
    draft = CriteriaVersion.objects.create(
        trial=source.trial, label=label, note=note, derived_from=source, status=CriteriaVersion.Status.DRAFT
    )
    bulk_create_with_history(
        [
            Criterion(version=draft, **{name: getattr(c, name) for name in CRITERION_CONTENT})
            for c in source.criteria.all()
        ],
        Criterion,
    )
    return draft


def criteria_content_hash(version, vocabulary_hash):
    """What decides every verdict under a version, as one SHA-256: its criteria and the vocabulary it uses."""
    criteria = [[getattr(c, name) for name in CRITERION_CONTENT] for c in version.criteria.order_by("order")]
    return content_hash({"criteria": criteria, "vocabulary": vocabulary_hash})


def draft_content_hash(version):
    """A draft's content hash as it would be published now (with the vocabulary tables as they are)."""
    return criteria_content_hash(version, content_hash(live_vocabulary_data()))


def vocabulary_snapshot_take():
    """The vocabulary tables frozen as they are now; the same content is stored once."""
    data = live_vocabulary_data()
    snapshot, _ = VocabularySnapshot.objects.get_or_create(content_hash=content_hash(data), defaults={"data": data})
    return snapshot


def _pin(version):
    version.vocabulary = vocabulary_snapshot_take()
    version.content_hash = criteria_content_hash(version, version.vocabulary.content_hash)


@transaction.atomic
def criteria_version_activate_shipped(*, version):
    """The version shipped with the trial record (loaded as a draft) becomes active with the vocabularies shipped
    with it; its dates are the record's. No person signs it: the record is ClinicalTrials.gov's."""
    _pin(version)
    version.status = CriteriaVersion.Status.ACTIVE
    version.irb_approved_on = version.irb_approved_on or version.effective_date
    version.publisher_name = "Loaded with the ClinicalTrials.gov record"
    version.save()
    return version


@transaction.atomic
def criteria_version_publish(*, version, publisher, password, reviewed_hash, irb_approved_on, effective_date):
    """Make a reviewed draft the trial's active version, signed by `publisher`; the one it replaces is retired,
    unchanged. Every problem is raised at once, by field where it has one."""
    if not publisher.check_password(password):
        raise ValidationError({"password": "The password is not correct."})
    version = CriteriaVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != CriteriaVersion.Status.DRAFT:
        raise ValidationError(
            f"{version.label} is {version.get_status_display().lower()}; only a draft can be published."
        )
    errors = {}
    problems = version_problems(version)
    if problems:
        errors["__all__"] = [f"{code}: {problem}" if code else problem for code, problem in problems]
    current_hash = draft_content_hash(version)
    if not hmac.compare_digest(reviewed_hash, current_hash):
        errors.setdefault("__all__", []).append(
            "The draft or the vocabularies changed after you opened this review: review it again before publishing."
        )
    preview = version.impact_previews.filter(draft_hash=current_hash, status="done").first()
    if preview is None:
        errors.setdefault("__all__", []).append(
            "Run the impact preview of this draft as it is now, and read it, before publishing."
        )
    today = timezone.localdate()
    if irb_approved_on > today:
        errors["irb_approved_on"] = ["The IRB approval date cannot be in the future."]
    if effective_date < irb_approved_on:
        errors["effective_date"] = ["The effective date cannot be before the IRB approval date."]
    elif effective_date > today:
        errors["effective_date"] = ["Publish on the day the amendment takes effect, not before: this is in the future."]
    if errors:
        raise ValidationError(errors)
    for active in CriteriaVersion.objects.select_for_update().filter(
        trial=version.trial, status=CriteriaVersion.Status.ACTIVE
    ):
        active.status = CriteriaVersion.Status.RETIRED
        active.save(update_fields=["status"])
    _pin(version)
    version.status = CriteriaVersion.Status.ACTIVE
    version.irb_approved_on = irb_approved_on
    version.effective_date = effective_date
    version.published_at = timezone.now()
    version.published_by = publisher
    version.publisher_name = publisher.get_full_name() or publisher.get_username()
    version.publish_meaning = CriteriaVersion.Meaning.APPROVED_FOR_USE
    version.publish_key_id = settings.SIGNATURE_KEY_ID
    version.impact_preview = preview
    version.publish_signature = keyed_mac(version.publish_key_id, publication_record(version))
    version.save()
    return version


def publication_record(version):
    """What the publisher's signature covers: the version's content and the signature's own meaning and time."""
    return {
        "version": version.pk,
        "trial": version.trial.nct_id,
        "label": version.label,
        "content_hash": version.content_hash,
        "irb_approved_on": version.irb_approved_on,
        "effective_date": version.effective_date,
        "published_at": version.published_at,
        "publisher": version.published_by_id,
        "publisher_name": version.publisher_name,
        "meaning": version.publish_meaning,
    }


def publication_verified(version):
    """Whether the publisher's signature still covers the version (False for a version no person signed)."""
    key = version.publish_key_id
    if not version.publish_signature or key not in settings.SIGNATURE_KEYS:
        return False
    return hmac.compare_digest(keyed_mac(key, publication_record(version)), version.publish_signature)
