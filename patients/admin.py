from django.contrib import admin

from config.admin import ReadOnlyHistoryAdmin
from patients.models import Candidate


@admin.register(Candidate)
class CandidateAdmin(ReadOnlyHistoryAdmin):
    list_display = ["screening_number", "initials", "sex", "created_at", "created_by"]
    search_fields = ["screening_number", "initials", "mrn"]
    readonly_fields = ["screening_number", "created_by", "created_at"]
    identity_fields = ["initials", "birth_date", "sex"]

    def get_readonly_fields(self, request, obj=None):
        """The identity a signature covers cannot change once a screening is signed: a correction changes it."""
        locked = obj is not None and obj.screenings.filter(signature__isnull=False).exists()
        return [*self.readonly_fields, *(self.identity_fields if locked else [])]
