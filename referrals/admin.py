from django.contrib import admin

from config.admin import ReadOnlyHistoryAdmin
from referrals.models import Referral


@admin.register(Referral)
class ReferralAdmin(ReadOnlyHistoryAdmin):
    list_display = ["candidate", "referred_on", "source", "status"]
    list_filter = ["status", "source"]
    readonly_fields = ["candidate", "trial", "referred_by", "screening", "closed_by", "closed_on"]
