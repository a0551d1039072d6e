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


class Outcome:
    """A status, and the words for it. Reason and evidence may be given as functions, formatted only when read:
    deciding a verdict costs no string formatting, explaining it does."""

    __slots__ = ("_evidence", "_reason", "missing", "status")

    def __init__(self, status, reason="", evidence=(), missing=()):
        self.status = status
        self._reason = reason
        self._evidence = evidence
        self.missing = missing

    @property
    def reason(self):
        if callable(self._reason):
            self._reason = self._reason()
        return self._reason

    @property
    def evidence(self):
        if callable(self._evidence):
            self._evidence = tuple(self._evidence())
        return self._evidence

    def __eq__(self, other):
        if not isinstance(other, Outcome):
            return NotImplemented
        return (self.status, self.reason, self.evidence, self.missing) == (
            other.status,
            other.reason,
            other.evidence,
            other.missing,
        )

    __hash__ = None

    def __repr__(self):
        return f"Outcome({self.status!r}, {self.reason!r})"


def met(reason, evidence=()):
    return Outcome(MET, reason, evidence)


def not_met(reason, evidence=()):
    return Outcome(NOT_MET, reason, evidence)


def unknown(reason, *missing, evidence=()):
    return Outcome(UNKNOWN, reason, evidence, missing)


def verdict_of(statuses):
    """Ineligible if anything failed; incomplete if nothing failed but something is unknown; else eligible."""
    statuses = statuses if isinstance(statuses, set) else set(statuses)
    if NOT_MET in statuses:
        return Verdict.INELIGIBLE
    if UNKNOWN in statuses:
        return Verdict.INCOMPLETE
    return Verdict.ELIGIBLE
