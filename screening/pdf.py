"""The PDF eligibility report and the audit trail PDF: Django templates rendered by WeasyPrint. Plain functions,
testable without Celery. WeasyPrint fetches nothing but the app's own static files."""

import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.template.loader import render_to_string
from django.utils.text import capfirst
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from ehr.selectors import screening_ehr_values_used
from review.selectors import screening_queries
from screening.facts import derived_labs
from screening.rules import facts as F
from screening.signing import verify
from trials.ruleset import ruleset_for_version

CONTENT_TYPE = "application/pdf"
STATIC_DIR = (Path(__file__).resolve().parents[1] / "static").resolve()
STYLESHEET = CSS(filename=STATIC_DIR / "css" / "report.css")
logger = logging.getLogger(__name__)


class StaticFilesOnly(URLFetcher):
    """Lets WeasyPrint read the app's own static files and nothing else: no web address, no other file, so that text
    which reached a report can never make the server fetch anything. A refusal is logged; the PDF is made without."""

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            # As the fetcher will read it: percent-escapes decoded, "..", and links followed.
            path = Path(unquote(parts.path)).resolve()
            if path.is_relative_to(STATIC_DIR) and path.is_file():
                return super().fetch(path.as_uri(), headers)
        logger.warning("PDF rendering refused to fetch %s: only the app's static files may be read", url)
        raise ValueError(f"{url} is not one of the app's static files")


def html_to_pdf(html):
    return HTML(string=html, url_fetcher=StaticFilesOnly(), base_url=STATIC_DIR.as_uri() + "/").write_pdf(
        stylesheets=[STYLESHEET]
    )


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
        "failed": [outcome for outcome in outcomes if outcome.status == "not_met"],
        "undecided": [
            (outcome, list(dict.fromkeys(item["label"] for item in outcome.missing)))
            for outcome in outcomes
            if outcome.status == "unknown"
        ],
        "medications": medications,
        "missing": missing,
        "history": history_shown(screening),
        "answers": answers_shown(screening, ruleset),
        "confirmed_labs": [lab for lab in screening.labs.all() if lab.confirmed],
        "queries": screening_queries(screening=screening),
        "ehr_values": screening_ehr_values_used(screening=screening),
        "derived": derived_labs(screening, ruleset),
        "signature": getattr(screening, "signature", None),
        "verification": verify(screening) if screening.is_signed else None,
        "generated_by": generated_by.get_full_name() or generated_by.get_username(),
        "generated_at": generated_at,
    }


def history_shown(screening):
    """(event, answer) for each dated history question on the screening, as the form asks it."""
    shown = []
    for event, label in F.EVENTS.items():
        state, day = getattr(screening, event), getattr(screening, f"{event}_date")
        if state == "none":
            answer = "None"
        elif state == "yes":
            answer = f"Yes, most recent {day:%Y-%m-%d}" if day else "Yes, date not entered"
        else:
            answer = "Not answered"
        shown.append((label, answer))
    return shown


def answers_shown(screening, ruleset):
    """(question, answer) for every question the criteria ask and every recorded answer: the recorded facts in the
    form's order, then the attestation questions in record order, then any other recorded code (a confirmation the
    entry form asked for); a question not answered says so."""
    questions = {code: text for code, (text, _) in ruleset.attestations().items()}
    answers = screening.answers or {}
    asked = ruleset.inputs()
    facts = [code for code in F.FACTS if f"answer:{code}" in asked or code in answers]
    order = [*facts, *questions, *sorted(set(answers) - set(F.FACTS) - set(questions))]
    shown = []
    for code in order:
        value = answers.get(code)
        if code in F.FACTS:
            label = F.FACTS[code].label
            text = "Not answered" if value is None else capfirst(F.FACTS[code].show(value))
        else:
            label = questions.get(code) or capfirst(code.replace("_", " "))
            text = (
                "Yes" if value is True else "No" if value is False else "Not answered" if value is None else str(value)
            )
        shown.append((label, text))
    return shown


def render_report(screening, *, generated_by, generated_at):
    """(filename, content type, PDF bytes) for the screening as it is now."""
    html = render_to_string(
        "screening/report.html", report_context(screening, generated_by=generated_by, generated_at=generated_at)
    )
    filename = f"eligibility-{screening.number}-{generated_at:%Y%m%d-%H%M%S}.pdf"
    return filename, CONTENT_TYPE, html_to_pdf(html)


def render_audit_trail(screening, entries, *, verification, generated_by, generated_at):
    """The audit trail of a screening as a PDF for the monitor's file."""
    html = render_to_string(
        "screening/audit_report.html",
        {
            "screening": screening,
            "entries": entries,
            "verification": verification,
            "generated_by": generated_by.get_full_name() or generated_by.get_username(),
            "generated_at": generated_at,
        },
    )
    return html_to_pdf(html)
