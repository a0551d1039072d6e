from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from patients.models import Candidate


@admin.register(Candidate)
class CandidateAdmin(SimpleHistoryAdmin):
    list_display = ["screening_number", "initials", "sex", "created_at", "created_by"]
    search_fields = ["screening_number", "initials", "mrn"]
    readonly_fields = ["screening_number", "created_by", "created_at"]
