from django import template

from ehr.anchors import anchor_of
from ehr.forms import EhrImportForm
from ehr.selectors import screening_ehr_values, screening_imports

register = template.Library()


@register.inclusion_tag("ehr/_panel.html", takes_context=True)
def ehr_panel(context, screening):
    """The import form, what each import found by section (chosen values and the other candidates, with their
    sources), the sections left to confirm; the source notes are placed beside their fields by ehr_sources.js."""
    sections = screening_ehr_values(screening=screening)
    for section in sections:
        for value in section["values"]:
            value.anchor = anchor_of(value.field)
    return {
        "screening": screening,
        "form": EhrImportForm(),
        "imports": screening_imports(screening=screening),
        "sections": sections,
        "csrf_token": context.get("csrf_token"),
        "perms": context["perms"],
    }


@register.filter
def ehr_shown(value):
    """An imported value in words, as the field shows it."""
    data = value.value
    kind = value.field.split(":")[0]
    if kind == "lab":
        uln = f" (ULN {data['uln']})" if data.get("uln") else ""
        return f"{data['value']} {data['unit']}{uln}"
    if kind == "blood_pressure":
        return f"{data['systolic']}/{data['diastolic']} mm Hg on {data['taken_on']}"
    if kind == "medication":
        state = "" if data.get("active") else " (stopped)"
        return f"{data['name']} {data.get('dose', '')}".strip() + state
    if kind == "therapy":
        what = data.get("agents") or data.get("modality")
        return f"{what}: {data.get('started_on') or '?'} to {data.get('ended_on') or '?'}"
    if kind == "history":
        return f"yes, {data.get('date')}"
    if kind == "weight_kg":
        return f"{data['value']} kg"
    shown = data.get("value")
    return {True: "Yes", False: "No"}.get(shown, shown)
