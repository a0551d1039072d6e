import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html_join

from config.admin import ReadOnlyHistoryAdmin
from screening.rules import RuleError
from screening.rules.specs import RULE_TYPES
from trials import services
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
from trials.ruleset import rule_check


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


class PrettyJSONField(forms.JSONField):
    """Shows JSON indented, so an administrator can read and edit a rule."""

    def prepare_value(self, value):
        if isinstance(value, str):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False)


class CriterionForm(forms.ModelForm):
    rule = PrettyJSONField(
        widget=forms.Textarea(attrs={"rows": 18, "cols": 90, "class": "rule-json"}),
        help_text="A structured rule (see the rule types below). It is checked when you save: a rule that cannot be "
        "evaluated is refused with the place and reason.",
    )

    class Meta:
        model = Criterion
        fields = ["version", "order", "code", "kind", "category", "text", "summary", "cohorts", "applies_to", "rule"]

    class Media:
        css = {"all": ["css/admin_rules.css"]}

    def clean_rule(self):
        rule = self.cleaned_data["rule"]
        try:
            rule_check(rule)
        except RuleError as error:
            raise forms.ValidationError(f"This rule cannot be evaluated: {error}") from error
        return rule

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
    list_display = ["label", "trial", "status", "effective_date", "published_at", "derived_from"]
    list_filter = ["trial", "status"]
    readonly_fields = ["status", "effective_date", "published_at", "derived_from", "created_at"]
    fields = ["trial", "label", "note", *readonly_fields]
    inlines = [CriterionInline]
    actions = ["create_amendment", "publish"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_editable)

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "trial"] if obj else self.readonly_fields

    @admin.action(description="Create an amendment draft from the selected version", permissions=["add"])
    def create_amendment(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to amend.", messages.ERROR)
            return None
        draft = services.criteria_version_create_amendment(source=queryset.get())
        self.message_user(request, f"{draft.label} created as a draft. Edit its criteria, then publish it.")
        return redirect(reverse("admin:trials_criteriaversion_change", args=[draft.pk]))

    @admin.action(description="Publish the selected draft (retires the active version)", permissions=["add"])
    def publish(self, request, queryset):
        for version in queryset:
            try:
                services.criteria_version_publish(version=version)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, f"{version.label} is now the active version.")


@admin.register(Criterion)
class CriterionAdmin(ReadOnlyHistoryAdmin):
    form = CriterionForm
    list_display = ["code", "summary", "kind", "category", "cohorts", "applies_to", "version"]
    list_display_links = ["code", "summary"]
    list_filter = ["version", "kind", "category", "cohorts", "applies_to"]
    search_fields = ["code", "summary", "text"]
    ordering = ["version", "order"]
    readonly_fields = ["text_in_record", "rule_in_words", "rule_types"]
    fieldsets = [
        (None, {"fields": ["version", "order", "code", "kind", "category", "cohorts", "applies_to"]}),
        ("What the record says", {"fields": ["text", "summary"]}),
        ("Rule", {"fields": ["text_in_record", "rule_in_words", "rule", "rule_types"]}),
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

    @admin.display(description="the record says")
    def text_in_record(self, criterion):
        return criterion.text

    @admin.display(description="rule in words")
    def rule_in_words(self, criterion):
        return _rule_in_words(criterion.rule) if criterion.rule else "-"

    @admin.display(description="rule types")
    def rule_types(self, criterion):
        return format_html_join(
            "",
            "<div><code>{}</code>: {}</div>",
            ((name, ", ".join(fields) or "-") for name, (fields, _) in RULE_TYPES.items()),
        )


class AnalyteUnitInline(admin.TabularInline):
    model = AnalyteUnit
    extra = 1


@admin.register(Analyte)
class AnalyteAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "code", "abbreviation", "loinc", "canonical_unit", "possible_min", "possible_max"]
    search_fields = ["name", "code", "loinc"]
    inlines = [AnalyteUnitInline]


@admin.register(DrugClass)
class DrugClassAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "code", "therapy_kind", "systemic_use_only", "word_list"]
    list_filter = ["therapy_kind", "systemic_use_only"]
    search_fields = ["name", "code", "synonyms"]

    @admin.display(description="class words")
    def word_list(self, drug_class):
        return ", ".join(drug_class.synonyms)


@admin.register(Regimen)
class RegimenAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "description", "drug_list"]
    search_fields = ["name", "synonyms", "description"]
    filter_horizontal = ["drugs"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("drugs")

    @admin.display(description="drugs")
    def drug_list(self, regimen):
        return ", ".join(d.generic_name for d in regimen.drugs.all())


@admin.register(Drug)
class DrugAdmin(ReadOnlyHistoryAdmin):
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
