from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group

from trials import roles

admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class SiteUserAdmin(UserAdmin):
    """Administrators run the accounts: create them and give each its role. Only a superuser makes a superuser or
    grants a permission outside the roles."""

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "user_permissions"]
        return fields

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=roles.ALL_ROLES)
        return super().formfield_for_manytomany(db_field, request, **kwargs)
