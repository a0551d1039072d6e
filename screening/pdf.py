"""The PDF eligibility report: a Django template rendered by WeasyPrint. Plain function, testable without Celery."""

from pathlib import Path

from django.template.loader import render_to_string
from weasyprint import CSS, HTML

from screening.facts import derived_labs
from screening.signing import verify
from trials.ruleset import ruleset_for_version

CONTENT_TYPE = "application/pdf"
STYLESHEET = CSS(filename=Path(__file__).resolve().parents[1] / "static" / "css" / "report.css")


def report_context(screening, *, generated_by, generated_at):
    """What the report shows. Expects the screening with its outcomes and entries loaded."""
    ruleset = ruleset_for_version(screening.criteria_version)
    vocabulary = ruleset.vocabulary
    medications = []
    for medication in screening.medications.all():
        matches = vocabulary.matcher.match(medication.chart_text)
        medications.append(
            {
                "medication": medication,
                "matches": [
                    (m.drug.generic_name, ", ".join(vocabulary.drug_classes[c] for c in sorted(m.drug.classes)))
                    for m in matches
                ],
            }
        )
    outcomes = list(screening.outcomes.all())
    missing = list(dict.fromkeys(item["label"] for outcome in outcomes for item in outcome.missing))
    return {
        "screening": screening,
        "outcomes": outcomes,
        "medications": medications,
        "missing": missing,
        "derived": derived_labs(screening, ruleset),
        "signature": getattr(screening, "signature", None),
        "verification": verify(screening) if screening.is_signed else None,
        "generated_by": generated_by.get_full_name() or generated_by.get_username(),
        "generated_at": generated_at,
    }


def render_report(screening, *, generated_by, generated_at):
    """(filename, content type, PDF bytes) for the screening as it is now."""
    html = render_to_string(
        "screening/report.html", report_context(screening, generated_by=generated_by, generated_at=generated_at)
    )
    pdf = HTML(string=html).write_pdf(stylesheets=[STYLESHEET])
    filename = f"eligibility-{screening.number}-{generated_at:%Y%m%d-%H%M%S}.pdf"
    return filename, CONTENT_TYPE, pdf
