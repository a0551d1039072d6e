"""Reads for the amendment review: the screenings an impact preview re-evaluates, and the diff of a draft."""

from collections import namedtuple
from dataclasses import dataclass

from amendments.diff import CRITERION_FIELDS, criteria_diff, vocabulary_diff
from amendments.impact import Evaluated
from screening.facts import candidate_facts
from screening.models import (
    BloodPressureReading,
    CriterionOutcome,
    LabValue,
    Lesion,
    Medication,
    PriorTherapy,
    Screening,
)
from screening.rules.facts import EVENTS
from screening.rules.vocabulary import vocabulary_from_data
from trials.models import CriteriaVersion
from trials.ruleset import version_problems, version_vocabulary
from trials.services import criteria_content_hash
from trials.vocabulary import content_hash, live_vocabulary_data

BATCH = 500


def evaluated_screenings(*, trial):
    """Every evaluated screening of the trial (signed or not), whatever its criteria version."""
    return Screening.objects.filter(criteria_version__trial=trial, status=Screening.Status.EVALUATED)


def _plain_rows(name, fields, **properties):
    """A light row type for `candidate_facts`: the model's fields, and its properties that the facts read."""
    return type(name, (namedtuple(name, ["screening_id", *fields]),), {"__slots__": (), **properties})


# What candidate_facts reads of each row set, read with values_list in the models' own order (as stored_facts reads
# them): building model instances for a few hundred
# thousand rows would cost ten times the evaluation itself.
ROW_SETS = {
    "labs": (
        LabValue,
        _plain_rows("Lab", ["analyte_code", "value", "unit", "uln", "collected_on", "confirmed"]),
        ["analyte__code", "value", "unit", "uln", "collected_on", "confirmed"],
    ),
    "blood_pressures": (
        BloodPressureReading,
        _plain_rows("Reading", ["taken_on", "systolic", "diastolic"]),
        ["taken_on", "systolic", "diastolic"],
    ),
    "therapies": (
        PriorTherapy,
        _plain_rows(
            "Therapy", ["modality", "setting", "agents", "started_on", "ended_on"], agent_list=PriorTherapy.agent_list
        ),
        ["modality", "setting", "agents", "started_on", "ended_on"],
    ),
    "medications": (
        Medication,
        _plain_rows("Drug", ["name", "dose", "purpose", "active"], chart_text=Medication.chart_text),
        ["name", "dose", "purpose", "active"],
    ),
    "lesions": (Lesion, _plain_rows("Lesion", ["size_mm", "method"]), ["size_mm", "method"]),
}


# What candidate_facts and the tally read of the screening itself.
SCREENING_FIELDS = (
    "number",
    "screening_date",
    "cohort",
    "verdict",
    "weight_kg",
    "ecog",
    "peripheral_neuropathy",
    "answers",
    "prior_therapy",
    "medications_taken",
    *EVENTS,
    *(f"{event}_date" for event in EVENTS),
    "candidate",
)


def evaluated_in_batches(*, trial):
    """The evaluated screenings as the engine and the tally need them, BATCH at a time, in seven queries per batch."""
    pks = list(evaluated_screenings(trial=trial).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        batch = pks[start : start + BATCH]
        screenings = (
            Screening.objects.filter(pk__in=batch)
            .select_related("candidate")
            .only(*SCREENING_FIELDS, "candidate__birth_date", "candidate__sex")
            .order_by("pk")
        )
        rows = {pk: {name: [] for name in ROW_SETS} for pk in batch}
        for name, (model, row, fields) in ROW_SETS.items():
            for values in model.objects.filter(screening_id__in=batch).values_list("screening_id", *fields):
                rows[values[0]][name].append(row._make(values))
        statuses = {pk: {} for pk in batch}
        for screening_id, code, status in CriterionOutcome.objects.filter(screening_id__in=batch).values_list(
            "screening_id", "code", "status"
        ):
            statuses[screening_id][code] = status
        yield [
            Evaluated(
                pk=s.pk,
                number=s.number,
                facts=candidate_facts(s, rows[s.pk]),
                screening_date=s.screening_date,
                cohort=s.cohort,
                verdict=s.verdict,
                statuses=statuses[s.pk],
            )
            for s in screenings
        ]


def active_version_of(trial):
    return CriteriaVersion.objects.filter(trial=trial, status=CriteriaVersion.Status.ACTIVE).first()


@dataclass
class Review:
    active: CriteriaVersion | None
    draft_hash: str
    problems: list
    criteria_changes: list
    vocabulary_changes: list
    preview: object
    preview_is_current: bool

    @property
    def publishable(self):
        return not self.problems and self.preview_is_current and self.preview.status == "done"


def _criteria(version):
    return [{"code": c.code, **{name: getattr(c, name) for name in CRITERION_FIELDS}} for c in version.criteria.all()]


def amendment_review(*, version):
    """Everything the review page shows of a draft: what blocks publishing, the changes against the active
    version (criteria, then vocabulary), and the latest impact preview, current or not."""
    active = active_version_of(version.trial)
    live = live_vocabulary_data()
    draft_hash = criteria_content_hash(version, content_hash(live))
    draft_vocabulary = vocabulary_from_data(live)  # a draft's vocabulary is the tables as they are
    if active is None:
        criteria_changes = criteria_diff([], _criteria(version), old_vocabulary=None, new_vocabulary=draft_vocabulary)
        vocabulary_changes = []
    else:
        criteria_changes = criteria_diff(
            _criteria(active),
            _criteria(version),
            old_vocabulary=version_vocabulary(active),
            new_vocabulary=draft_vocabulary,
        )
        vocabulary_changes = vocabulary_diff(active.vocabulary.data, live)
    preview = version.impact_previews.select_related("requested_by").first()
    return Review(
        active=active,
        draft_hash=draft_hash,
        problems=version_problems(version, draft_vocabulary),
        criteria_changes=criteria_changes,
        vocabulary_changes=vocabulary_changes,
        preview=preview,
        preview_is_current=preview is not None and preview.draft_hash == draft_hash,
    )
