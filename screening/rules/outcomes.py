"""Three-valued outcomes (met, not met, unknown) and how they combine."""

from dataclasses import dataclass
from enum import StrEnum

MET = "met"
NOT_MET = "not_met"
UNKNOWN = "unknown"
NOT_APPLICABLE = "not_applicable"

STATUS_LABELS = {MET: "Met", NOT_MET: "Not met", UNKNOWN: "Unknown", NOT_APPLICABLE: "Not applicable"}


class Verdict(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True, slots=True)
class Missing:
    """A piece of data the engine needed and did not get; `field` lets a form link back to where it is entered."""

    field: str
    label: str


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    reason: str
    evidence: tuple[str, ...] = ()
    missing: tuple[Missing, ...] = ()


def met(reason, evidence=()):
    return Outcome(MET, reason, tuple(evidence))


def not_met(reason, evidence=()):
    return Outcome(NOT_MET, reason, tuple(evidence))


def unknown(reason, *missing, evidence=()):
    return Outcome(UNKNOWN, reason, tuple(evidence), tuple(missing))


def verdict_of(statuses):
    """Ineligible if anything failed; incomplete if nothing failed but something is unknown; else eligible."""
    statuses = set(statuses)
    if NOT_MET in statuses:
        return Verdict.INELIGIBLE
    if UNKNOWN in statuses:
        return Verdict.INCOMPLETE
    return Verdict.ELIGIBLE
