"""What every model admin of the site shares."""

from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """History is there to read: a past version is never saved back (it would undo a signed record, a screening
    number or a published criterion). SIMPLE_HISTORY_REVERT_DISABLED hides the button; this refuses the request."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("A past version is never saved back; change the record itself.")
        return super().history_form_view(request, object_id, version_id, extra_context)
