import pgtrigger
from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class Trial(models.Model):
    """A study as published on ClinicalTrials.gov; the record the eligibility criteria come from."""

    class DatePrecision(models.TextChoices):
        DAY = "day", "Day"
        MONTH = "month", "Month"

    nct_id = models.CharField("NCT ID", max_length=11, unique=True)
    brief_title = models.CharField(max_length=300)
    official_title = models.CharField(max_length=600)
    acronym = models.CharField(max_length=50, blank=True)
    brief_summary = models.TextField()
    detailed_description = models.TextField(blank=True)

    sponsor = models.CharField(max_length=200)
    collaborators = models.JSONField(default=list, blank=True)
    responsible_party = models.CharField(max_length=200, blank=True)
    information_provided_by = models.CharField(max_length=200, blank=True)

    study_type = models.CharField(max_length=100)
    phases = models.JSONField(default=list, help_text='As published, e.g. ["Phase 1"].')
    conditions = models.JSONField(default=list)
    intervention_model = models.CharField(max_length=100, blank=True)
    allocation = models.CharField(max_length=100, blank=True)
    masking = models.CharField(max_length=100, blank=True)
    primary_purpose = models.CharField(max_length=100, blank=True)
    enrollment_count = models.PositiveIntegerField(null=True, blank=True)
    enrollment_type = models.CharField(max_length=20, blank=True, help_text="Actual or Anticipated.")

    overall_status = models.CharField("recruitment status", max_length=50)
    first_posted = models.DateField(null=True, blank=True)
    last_update_posted = models.DateField(null=True, blank=True)
    last_verified = models.DateField(null=True, blank=True, help_text="Month precision: stored as the 1st.")
    study_start = models.DateField(null=True, blank=True, help_text="Month precision: stored as the 1st.")
    primary_completion = models.DateField(null=True, blank=True, help_text="Month precision: stored as the 1st.")
    study_completion = models.DateField(null=True, blank=True, help_text="Month precision: stored as the 1st.")

    minimum_age = models.CharField(max_length=30, blank=True, help_text='As published, e.g. "18 Years".')
    maximum_age = models.CharField(max_length=30, blank=True, help_text="Empty when the record sets none.")
    age_groups = models.JSONField(default=list, blank=True)
    sexes = models.CharField(max_length=20)
    accepts_healthy_volunteers = models.BooleanField()
    eligibility_criteria = models.TextField(help_text="The record's criteria text, verbatim, one bullet per line.")

    mesh_terms = models.JSONField("additional relevant MeSH terms", default=list, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["nct_id"]

    def __str__(self):
        return f"{self.nct_id}: {self.brief_title}"

    @property
    def criteria_bullets(self):
        return [line.strip() for line in self.eligibility_criteria.splitlines() if line.strip()]


class TrialIdentifier(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="identifiers")
    identifier = models.CharField(max_length=60)
    kind = models.CharField(max_length=60, help_text="E.g. Registry Identifier, Other Identifier, NIH Grant.")
    domain = models.CharField(max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["trial", "order"]
        constraints = [models.UniqueConstraint(fields=["trial", "identifier"], name="unique_trial_identifier")]

    def __str__(self):
        return self.identifier


class Intervention(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="interventions")
    kind = models.CharField(max_length=40, help_text="E.g. Drug, Procedure.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    other_names = models.JSONField(default=list, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["trial", "order"]

    def __str__(self):
        return f"{self.kind}: {self.name}"


class Arm(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="arms")
    kind = models.CharField(max_length=40, help_text="E.g. Experimental, Active Comparator.")
    label = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    interventions = models.ManyToManyField(Intervention, related_name="arms", blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["trial", "order"]

    def __str__(self):
        return f"{self.kind}: {self.label}"


class OutcomeMeasure(models.Model):
    class Kind(models.TextChoices):
        PRIMARY = "primary", "Primary"
        SECONDARY = "secondary", "Secondary"

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="outcome_measures")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.TextField()
    time_frame = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["trial", "kind", "order"]

    def __str__(self):
        return self.title


class Location(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="locations")
    facility = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=100, blank=True)
    zip_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100)

    class Meta:
        ordering = ["trial", "country", "state", "city", "facility"]

    def __str__(self):
        return f"{self.facility}, {self.city}"


class Investigator(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="investigators")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=100, help_text="E.g. Principal Investigator.")
    affiliation = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["trial", "name"]

    def __str__(self):
        return f"{self.name} ({self.role})"


class Analyte(models.Model):
    """A laboratory test the criteria use, with the units labs report it in and the values it can take.

    Two ranges, both in the canonical unit: outside the physiological limits (possible_min..possible_max) a value is
    refused, with the unit it was probably meant in; outside the usual range (plausible_min..plausible_max) the
    coordinator must confirm value and unit, and until then the criteria that read it are unknown.
    """

    code = models.SlugField(max_length=30, unique=True, help_text="Used by rules, e.g. anc, ast, creatinine.")
    name = models.CharField(max_length=100)
    abbreviation = models.CharField(max_length=20, help_text="Shown in reasons, e.g. ANC.")
    loinc = models.CharField("LOINC code", max_length=10, blank=True)
    canonical_unit = models.CharField(max_length=20, help_text="The unit thresholds are compared in.")
    plausible_min = models.FloatField(
        null=True, blank=True, help_text="In the canonical unit; below this the coordinator must confirm the value."
    )
    plausible_max = models.FloatField(
        null=True, blank=True, help_text="In the canonical unit; above this the coordinator must confirm the value."
    )
    possible_min = models.FloatField(
        null=True, blank=True, help_text="In the canonical unit; below this the value is refused as impossible."
    )
    possible_max = models.FloatField(
        null=True, blank=True, help_text="In the canonical unit; above this the value is refused as impossible."
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.canonical_unit})"


class AnalyteUnit(models.Model):
    """A unit a lab may report an analyte in; value x factor gives the value in the canonical unit."""

    analyte = models.ForeignKey(Analyte, on_delete=models.CASCADE, related_name="units")
    unit = models.CharField(max_length=20, help_text="As the form offers it.")
    aliases = models.JSONField(
        default=list,
        blank=True,
        help_text="Other spellings of this same unit, as lab reports and UCUM write it (e.g. 10*3/uL, K/cumm).",
    )
    factor = models.DecimalField(
        max_digits=20, decimal_places=10, help_text="Multiply a value in this unit by this to get the canonical unit."
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["analyte", "unit"]
        constraints = [models.UniqueConstraint(fields=["analyte", "unit"], name="unique_analyte_unit")]

    def __str__(self):
        return f"{self.unit} (x {self.factor} = {self.analyte.canonical_unit})"


class DrugClass(models.Model):
    class TherapyKind(models.TextChoices):
        CHEMOTHERAPY = "chemotherapy", "Chemotherapy"
        TARGETED_THERAPY = "targeted_therapy", "Targeted therapy"
        IMMUNOTHERAPY = "immunotherapy", "Biologic or immunotherapy"

    code = models.SlugField(max_length=40, unique=True, help_text="Used by rules, e.g. enzyme_inducing_aed.")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    therapy_kind = models.CharField(
        max_length=20,
        choices=TherapyKind.choices,
        blank=True,
        help_text="What a prior regimen containing a member counts as, whatever regimen type was chosen for it.",
    )
    synonyms = models.JSONField(
        default=list,
        blank=True,
        help_text="Words charts use for the class itself, in place of a drug (e.g. DOAC, LMWH, G-CSF).",
    )
    systemic_use_only = models.BooleanField(
        default=False,
        help_text="Only systemic use counts: a medication line that says its drug is used locally (a cream, eye "
        "drops, an inhaler, a catheter flush...) is not in this class.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "drug classes"

    def __str__(self):
        return self.name


class Drug(models.Model):
    """A drug as charts name it: generic name, synonyms and brand names all match it."""

    generic_name = models.CharField(max_length=100, unique=True)
    synonyms = models.JSONField(default=list, blank=True, help_text="Other names and codes, e.g. BAY 43-9006.")
    brand_names = models.JSONField(default=list, blank=True)
    classes = models.ManyToManyField(DrugClass, related_name="drugs", blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[classes])

    class Meta:
        ordering = ["generic_name"]

    def __str__(self):
        return self.generic_name


class Regimen(models.Model):
    """A named combination as charts write it (FOLFOX, R-CHOP, carbo/paclitaxel): it stands for its drugs."""

    name = models.CharField(max_length=60, unique=True, help_text="As charts write it, e.g. FOLFOX.")
    synonyms = models.JSONField(default=list, blank=True, help_text="Other spellings, e.g. FOLFOX-6, mFOLFOX6.")
    description = models.CharField(max_length=300, blank=True)
    drugs = models.ManyToManyField(Drug, related_name="regimens")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[drugs])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class VocabularySnapshot(models.Model):
    """The lab and drug vocabularies frozen as a published criteria version evaluates with them (trials/vocabulary.py).
    The database refuses any change or deletion; the same content is stored once."""

    content_hash = models.CharField(max_length=64, unique=True)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        triggers = [
            pgtrigger.Protect(name="vocabulary_snapshot_is_permanent", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self):
        return f"Vocabulary {self.content_hash[:12]} ({self.created_at:%Y-%m-%d})"


# Once a version is published, what decides its verdicts and its publication record never change; only its status
# moves on (active -> retired).
PUBLISHED_VERSION_FIELDS = (
    "trial_id",
    "label",
    "vocabulary_id",
    "content_hash",
    "irb_approved_on",
    "effective_date",
    "published_at",
    "published_by_id",
    "publisher_name",
    "publish_meaning",
    "publish_key_id",
    "publish_signature",
    "impact_preview_id",
)
PUBLISHED_VERSION_IS_FIXED = pgtrigger.Trigger(
    name="published_version_is_fixed",
    when=pgtrigger.Before,
    operation=pgtrigger.Update | pgtrigger.Delete,
    func=f"""
        IF OLD.status <> 'draft' AND (TG_OP = 'DELETE' OR NEW.status = 'draft' OR {
        " OR ".join(f"NEW.{field} IS DISTINCT FROM OLD.{field}" for field in PUBLISHED_VERSION_FIELDS)
    }) THEN
            RAISE EXCEPTION 'Criteria version % is published and cannot change', OLD.label
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    """,
)
CRITERIA_OF_PUBLISHED_VERSION_ARE_FIXED = pgtrigger.Trigger(
    name="criteria_of_published_version_are_fixed",
    when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
    func="""
        IF (TG_OP <> 'INSERT' AND EXISTS (
                SELECT 1 FROM trials_criteriaversion v WHERE v.id = OLD.version_id AND v.status <> 'draft'))
            OR (TG_OP <> 'DELETE' AND EXISTS (
                SELECT 1 FROM trials_criteriaversion v WHERE v.id = NEW.version_id AND v.status <> 'draft'))
        THEN
            RAISE EXCEPTION 'The criteria of a published version cannot change'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    """,
)


class CriteriaVersion(models.Model):
    """One edition of a trial's eligibility criteria. Only drafts can change; screenings keep the version they used.

    Publishing pins the vocabularies (a VocabularySnapshot) and records the content hash over criteria and
    vocabulary that every screening signature covers, the IRB approval and effective dates, and the publisher's
    electronic signature with its meaning.
    """

    class Meaning(models.TextChoices):
        APPROVED_FOR_USE = "approved_for_use", "Approved for use"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="criteria_versions")
    label = models.CharField(max_length=100, help_text='E.g. "Original protocol", "Amendment 1".')
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    effective_date = models.DateField(null=True, blank=True, help_text="Set when the version is published.")
    note = models.TextField(blank=True, help_text="What changed and why.")
    derived_from = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="amendments")
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    vocabulary = models.ForeignKey(
        VocabularySnapshot, on_delete=models.PROTECT, null=True, blank=True, related_name="criteria_versions"
    )
    content_hash = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 over the criteria and the pinned vocabulary; set on publishing."
    )
    irb_approved_on = models.DateField("IRB approval date", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    publisher_name = models.CharField(max_length=150, blank=True)
    publish_meaning = models.CharField(max_length=20, choices=Meaning.choices, blank=True)
    publish_key_id = models.CharField(max_length=40, blank=True)
    publish_signature = models.CharField(max_length=64, blank=True)
    impact_preview = models.OneToOneField(
        "amendments.ImpactPreview", on_delete=models.PROTECT, null=True, blank=True, related_name="published_version"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["trial", "-created_at"]
        permissions = [("publish_criteriaversion", "Can review and publish a criteria version")]
        triggers = [PUBLISHED_VERSION_IS_FIXED]
        constraints = [
            models.UniqueConstraint(
                fields=["trial"], condition=models.Q(status="active"), name="one_active_criteria_version_per_trial"
            ),
            models.UniqueConstraint(fields=["trial", "label"], name="unique_criteria_version_label"),
        ]

    def __str__(self):
        return f"{self.trial.nct_id} · {self.label} ({self.get_status_display()})"

    @property
    def is_editable(self):
        return self.status == self.Status.DRAFT


class Criterion(models.Model):
    """One bullet of the trial record, with the structured rule that decides it."""

    class Kind(models.TextChoices):
        INCLUSION = "inclusion", "Inclusion"
        EXCLUSION = "exclusion", "Exclusion"

    class Category(models.TextChoices):
        DISEASE = "disease", "Disease"
        LABS = "labs", "Labs"
        PRIOR_THERAPY = "prior_therapy", "Prior therapy"
        CONCOMITANT_MEDS = "concomitant_meds", "Concomitant medications"
        OTHER = "other", "Other"

    class Cohorts(models.TextChoices):
        BOTH = "both", "Phase I and phase II"
        PHASE_1 = "phase1", "Phase I only"
        PHASE_2 = "phase2", "Phase II only"

    class AppliesTo(models.TextChoices):
        EVERYONE = "everyone", "Everyone"
        FEMALE = "female", "Women"
        CHILDBEARING_POTENTIAL = "childbearing_potential", "People of childbearing potential"
        REPRODUCTIVE_POTENTIAL = "reproductive_potential", "People of reproductive potential (any sex)"
        HIV_POSITIVE = "hiv_positive", "HIV-positive people"

    version = models.ForeignKey(CriteriaVersion, on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveSmallIntegerField(help_text="Position in the record.")
    code = models.CharField(max_length=8, help_text="Short test code, e.g. IN03 or EX12 (as CDISC IETESTCD).")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    category = models.CharField(max_length=20, choices=Category.choices)
    text = models.TextField("text in the record", help_text="The record's sentence, verbatim.")
    summary = models.CharField("plain-language summary", max_length=300)
    cohorts = models.CharField(max_length=10, choices=Cohorts.choices, default=Cohorts.BOTH)
    applies_to = models.CharField(max_length=30, choices=AppliesTo.choices, default=AppliesTo.EVERYONE)
    rule = models.JSONField(help_text="The structured rule; validated when saved.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["version", "order"]
        verbose_name_plural = "criteria"
        triggers = [CRITERIA_OF_PUBLISHED_VERSION_ARE_FIXED]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_criterion_code_per_version"),
            models.UniqueConstraint(fields=["version", "order"], name="unique_criterion_order_per_version"),
        ]

    def __str__(self):
        return f"{self.code}: {self.summary}"
