import datetime

from django import template
from django.utils import timezone

from screening.rules.rules import fmt

register = template.Library()


@register.filter
def get_field(form, name):
    """A form's bound field by a name held in a variable."""
    return form[name]


@register.filter
def get_item(mapping, key):
    """A dict's value by a key held in a variable; None when absent."""
    return mapping.get(key)


@register.filter
def clinical(number):
    """A number as the criteria's reasons write it: 2,870 / 1.2 / 0.85."""
    return fmt(number)


@register.filter
def site_and_utc(moment):
    """A moment in the site's time zone with UTC beside it: 2026-03-04 09:15 CST (15:15 UTC); the UTC date too when
    it is another day. The one way reports write times."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    utc = moment.astimezone(datetime.UTC)
    utc_shown = f"{utc:%H:%M}" if utc.date() == local.date() else f"{utc:%Y-%m-%d %H:%M}"
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({utc_shown} UTC)"
