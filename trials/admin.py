from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from trials.models import Arm, Intervention, Investigator, Location, OutcomeMeasure, Trial, TrialIdentifier


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
class TrialAdmin(SimpleHistoryAdmin):
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
