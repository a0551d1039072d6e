from django import template

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
