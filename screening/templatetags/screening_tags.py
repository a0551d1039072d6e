from django import template

register = template.Library()


@register.filter
def get_field(form, name):
    """A form's bound field by a name held in a variable."""
    return form[name]
