from django.contrib import admin

from prescreen.models import PrescreenAccess, RetentionPolicy


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    """One policy: it can be changed, never added twice or deleted."""

    fields = ["retention_days", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not RetentionPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        RetentionPolicy.current()  # the row always exists, with the default, for the administrator to change
        return super().changelist_view(request, extra_context)


@admin.register(PrescreenAccess)
class PrescreenAccessAdmin(admin.ModelAdmin):
    """Who looked at which run: read only, as the database keeps it."""

    list_display = ["at", "run_number", "action", "user"]
    list_filter = ["action"]
    search_fields = ["run_number"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
