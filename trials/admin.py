from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from config.admin import ReadOnlyHistoryAdmin
from screening.rules import RuleError
from screening.rules.specs import RULE_TYPES
from screening.rules.wording import summary_disagreements
from trials import rule_editor, services
from trials.models import (
    Analyte,
    AnalyteUnit,
    Arm,
    CriteriaVersion,
    Criterion,
    Drug,
    DrugClass,
    Intervention,
    Investigator,
    Location,
    OutcomeMeasure,
    Regimen,
    Trial,
    TrialIdentifier,
)
from trials.rule_editor import RuleEditorField
from trials.ruleset import rule_check, vocabulary_load


class TrialIdentifierInline(admin.TabularInline):
    model = TrialIdentifier
    extra = 0


class InterventionInline(admin.StackedInline):
    model = Intervention
    extra = 0


class ArmInline(admin.StackedInline):
    model = Arm
    extra = 0
    filter_horizontal = ["interventions"]


class OutcomeMeasureInline(admin.StackedInline):
    model = OutcomeMeasure
    extra = 0


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0


class InvestigatorInline(admin.TabularInline):
    model = Investigator
    extra = 0


@admin.register(Trial)
class TrialAdmin(ReadOnlyHistoryAdmin):
    list_display = ["nct_id", "brief_title", "overall_status", "last_update_posted"]
    search_fields = ["nct_id", "brief_title", "official_title"]
    inlines = [
        TrialIdentifierInline,
        InterventionInline,
        ArmInline,
        OutcomeMeasureInline,
        LocationInline,
        InvestigatorInline,
    ]
    fieldsets = [
        (None, {"fields": ["nct_id", "brief_title", "official_title", "acronym", "overall_status"]}),
        ("Description", {"fields": ["brief_summary", "detailed_description", "conditions", "mesh_terms"]}),
        ("Sponsor", {"fields": ["sponsor", "collaborators", "responsible_party", "information_provided_by"]}),
        (
            "Design",
            {
                "fields": [
                    "study_type",
                    "phases",
                    "intervention_model",
                    "allocation",
                    "masking",
                    "primary_purpose",
                    "enrollment_count",
                    "enrollment_type",
                ]
            },
        ),
        (
            "Dates",
            {
                "fields": [
                    "first_posted",
                    "last_update_posted",
                    "last_verified",
                    "study_start",
                    "primary_completion",
                    "study_completion",
                ]
            },
        ),
        (
            "Eligibility",
            {
                "fields": [
                    "minimum_age",
                    "maximum_age",
                    "age_groups",
                    "sexes",
                    "accepts_healthy_volunteers",
                    "eligibility_criteria",
                ]
            },
        ),
    ]


class CriterionForm(forms.ModelForm):
    # The rule editor (trials/rule_editor.py): a form per rule type, or the JSON. It does all the checking.
    rule = RuleEditorField(
        help_text="Choose the rule's type and fill in its fields; groups (all of, any of, not) hold other rules. It is "
        "checked when you save: every problem is shown at its field, and nothing is saved until the rule can be "
        "evaluated.",
    )

    class Meta:
        model = Criterion
        fields = ["version", "order", "code", "kind", "category", "text", "summary", "cohorts", "applies_to", "rule"]

    class Media:
        css = {"all": ["css/admin_rules.css"]}

    def clean_version(self):
        version = self.cleaned_data["version"]
        if not version.is_editable:
            raise forms.ValidationError(
                f"{version.label} is {version.get_status_display().lower()} and cannot change. "
                "Create an amendment draft from it and edit that."
            )
        return version


def _rule_in_words(rule):
    try:
        return rule_check(rule).describe()
    except RuleError as error:
        return f"Invalid rule: {error}"


class CriterionInline(admin.TabularInline):
    """The version's criteria at a glance; each opens on its own page, with its rule in words."""

    model = Criterion
    fields = ["order", "code", "kind", "category", "cohorts", "applies_to", "summary"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CriteriaVersion)
class CriteriaVersionAdmin(ReadOnlyHistoryAdmin):
    """Drafts are edited here and published from their review page; a published version shows what it pins and who
    signed it."""

    list_display = ["label", "trial", "status", "effective_date", "published_at", "derived_from"]
    list_filter = ["trial", "status"]
    readonly_fields = [
        "status",
        "review",
        "effective_date",
        "irb_approved_on",
        "published_at",
        "publication",
        "content_hash",
        "vocabulary",
        "impact",
        "derived_from",
        "created_at",
    ]
    fields = ["trial", "label", "note", *readonly_fields]
    inlines = [CriterionInline]
    actions = ["create_amendment"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_editable)

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "trial"] if obj else self.readonly_fields

    @admin.display(description="review and publish")
    def review(self, version):
        if not version.pk or not version.is_editable:
            return "-"
        return format_html(
            '<a class="button" href="{}">Review the changes, preview their impact, and publish</a>',
            reverse("amendments:review", args=[version.pk]),
        )

    @admin.display(description="published by")
    def publication(self, version):
        if not version.publisher_name:
            return "-"
        if not version.published_by_id:
            return version.publisher_name
        verified = "signature verified" if services.publication_verified(version) else "SIGNATURE NOT VALID"
        return f"{version.publisher_name}, {version.get_publish_meaning_display()} ({verified})"

    @admin.display(description="impact preview")
    def impact(self, version):
        preview = version.impact_preview
        if preview is None:
            return "-"
        results = preview.results
        return (
            f"{results.get('screenings', 0)} screenings re-evaluated, {results.get('verdicts_changed', 0)} verdicts "
            f"would change (asked by {preview.requested_by}, {preview.finished_at:%Y-%m-%d %H:%M})"
        )

    @admin.action(description="Create an amendment draft from the selected version", permissions=["add"])
    def create_amendment(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to amend.", messages.ERROR)
            return None
        draft = services.criteria_version_create_amendment(source=queryset.get())
        self.message_user(
            request, f"{draft.label} created as a draft. Edit its criteria, then review and publish it from its page."
        )
        return redirect(reverse("admin:trials_criteriaversion_change", args=[draft.pk]))


@admin.register(Criterion)
class CriterionAdmin(ReadOnlyHistoryAdmin):
    form = CriterionForm
    list_display = ["code", "summary", "kind", "category", "cohorts", "applies_to", "version"]
    list_display_links = ["code", "summary"]
    list_filter = ["version", "kind", "category", "cohorts", "applies_to"]
    search_fields = ["code", "summary", "text"]
    ordering = ["version", "order"]
    readonly_fields = ["text_in_record", "rule_in_words", "summary_check", "rule_types"]
    fieldsets = [
        (None, {"fields": ["version", "order", "code", "kind", "category", "cohorts", "applies_to"]}),
        ("What the record says", {"fields": ["text", "summary"]}),
        ("Rule", {"fields": ["text_in_record", "rule_in_words", "summary_check", "rule", "rule_types"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("version__trial")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.version.is_editable)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.version.is_editable)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "version":
            kwargs["queryset"] = CriteriaVersion.objects.filter(status=CriteriaVersion.Status.DRAFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_urls(self):
        return [*rule_editor.admin_urls(self), *super().get_urls()]  # switching the editor's views; saves nothing

    @admin.display(description="the record says")
    def text_in_record(self, criterion):
        return criterion.text

    @admin.display(description="rule in words")
    def rule_in_words(self, criterion):
        return _rule_in_words(criterion.rule) if criterion.rule else "-"

    @admin.display(description="summary against rule")
    def summary_check(self, criterion):
        """Publishing is refused while the summary says another number, unit or comparison than the rule."""
        if not criterion.rule:
            return "-"
        problems = summary_disagreements(criterion.summary, criterion.rule, vocabulary_load(), text=criterion.text)
        return " ".join(problems) or "The summary agrees with the rule."

    @admin.display(description="rule types")
    def rule_types(self, criterion):
        return format_html_join(
            "",
            "<div><code>{}</code>: {}</div>",
            ((name, ", ".join(fields) or "-") for name, (fields, _) in RULE_TYPES.items()),
        )


class DraftVocabularyAdmin(ReadOnlyHistoryAdmin):
    """The vocabulary tables are the draft vocabulary: what an administrator changes here is used by draft criteria
    versions at once, and by screenings only once a version is published with it (it pins them then)."""

    DRAFT_NOTE = (
        "Changes here apply to draft criteria versions now, and to screenings only once a version is published with "
        "them: each published version keeps the vocabulary it was published with."
    )

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"subtitle": self.DRAFT_NOTE, **(extra_context or {})})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "GET":
            self.message_user(request, self.DRAFT_NOTE, messages.INFO)
        return super().changeform_view(request, object_id, form_url, extra_context)


class AnalyteUnitInline(admin.TabularInline):
    model = AnalyteUnit
    extra = 1


@admin.register(Analyte)
class AnalyteAdmin(DraftVocabularyAdmin):
    list_display = ["name", "code", "abbreviation", "loinc", "canonical_unit", "possible_min", "possible_max"]
    search_fields = ["name", "code", "loinc"]
    inlines = [AnalyteUnitInline]


@admin.register(DrugClass)
class DrugClassAdmin(DraftVocabularyAdmin):
    list_display = ["name", "code", "therapy_kind", "systemic_use_only", "word_list"]
    list_filter = ["therapy_kind", "systemic_use_only"]
    search_fields = ["name", "code", "synonyms"]

    @admin.display(description="class words")
    def word_list(self, drug_class):
        return ", ".join(drug_class.synonyms)


@admin.register(Regimen)
class RegimenAdmin(DraftVocabularyAdmin):
    list_display = ["name", "description", "drug_list"]
    search_fields = ["name", "synonyms", "description"]
    filter_horizontal = ["drugs"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("drugs")

    @admin.display(description="drugs")
    def drug_list(self, regimen):
        return ", ".join(d.generic_name for d in regimen.drugs.all())


@admin.register(Drug)
class DrugAdmin(DraftVocabularyAdmin):
    list_display = ["generic_name", "brand_list", "class_list"]
    list_filter = ["classes"]
    search_fields = ["generic_name", "synonyms", "brand_names"]
    filter_horizontal = ["classes"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("classes")

    @admin.display(description="brand names")
    def brand_list(self, drug):
        return ", ".join(drug.brand_names)

    @admin.display(description="classes")
    def class_list(self, drug):
        return ", ".join(c.name for c in drug.classes.all())
