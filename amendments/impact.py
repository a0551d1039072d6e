"""What a draft's criteria would decide for screenings already evaluated, against what they show now. Plain Python
on plain data: the engine's results in, counts and sentences out. Nothing here reads or writes a screening."""

from collections import Counter, defaultdict
from dataclasses import dataclass

from screening.rules import NOT_MET
from screening.rules.outcomes import STATUS_LABELS

# The changed screenings listed one by one; past this the counts still cover them all.
LISTED_CHANGES = 1000


@dataclass(frozen=True, slots=True)
class Evaluated:
    """A screening as stored: its verdict and each criterion's status, with the facts to evaluate again."""

    pk: int
    number: str
    facts: object
    screening_date: object
    cohort: str
    verdict: str
    statuses: dict


class ImpactTally:
    """Adds up, screening by screening, how the draft's result differs from the stored one."""

    def __init__(self):
        self.screenings = 0
        self.verdicts = Counter()  # (stored, draft) -> screenings
        self.transitions = defaultdict(Counter)  # code -> (stored status, draft status) -> screenings
        self.deciding = defaultdict(Counter)  # the same, counting only screenings whose verdict changes
        self.alone = defaultdict(Counter)  # ... where the criterion is the only one not met, before or after
        self.changed = []  # the first LISTED_CHANGES of them
        self.changed_count = 0
        self.summaries = {}

    def add(self, evaluated, result):
        self.screenings += 1
        verdict = result.verdict.value
        self.verdicts[(evaluated.verdict, verdict)] += 1
        draft = {criterion.code: criterion.status for criterion in result.criteria}
        if draft == evaluated.statuses and verdict == evaluated.verdict:
            return  # the common case: nothing to count
        for criterion in result.criteria:
            self.summaries.setdefault(criterion.code, criterion.summary)
        failed_before = {code for code, status in evaluated.statuses.items() if status == NOT_MET}
        failed_after = {code for code, status in draft.items() if status == NOT_MET}
        moves = []
        for code in [*draft, *(code for code in evaluated.statuses if code not in draft)]:
            before, after = evaluated.statuses.get(code), draft.get(code)
            if before == after:
                continue
            moves.append({"code": code, "from": before, "to": after, "words": _move_words(before, after)})
            self.transitions[code][(before, after)] += 1
            if verdict != evaluated.verdict:
                self.deciding[code][(before, after)] += 1
            if (before == NOT_MET and failed_before == {code}) or (after == NOT_MET and failed_after == {code}):
                self.alone[code][(before, after)] += 1
        if verdict != evaluated.verdict or moves:
            self.changed_count += 1
            if len(self.changed) < LISTED_CHANGES:
                self.changed.append(
                    {
                        "screening": evaluated.pk,
                        "number": evaluated.number,
                        "from": evaluated.verdict,
                        "to": verdict,
                        "criteria": moves,
                    }
                )

    def as_data(self):
        """The stored form of the preview (JSON): counts, one sentence per criterion change, the changed screenings."""
        criteria = []
        for code, transitions in self.transitions.items():
            for (before, after), count in sorted(transitions.items(), key=lambda item: -item[1]):
                criteria.append(
                    {
                        "code": code,
                        "summary": self.summaries.get(code, ""),
                        "from": before,
                        "to": after,
                        "screenings": count,
                        "verdict_changes": self.deciding[code][(before, after)],
                        "alone": self.alone[code][(before, after)],
                        "sentence": criterion_sentence(
                            code,
                            before,
                            after,
                            count,
                            alone=self.alone[code][(before, after)],
                            deciding=self.deciding[code][(before, after)],
                        ),
                    }
                )
        changed_verdicts = sum(count for (before, after), count in self.verdicts.items() if before != after)
        return {
            "screenings": self.screenings,
            "verdicts_changed": changed_verdicts,
            "verdicts": [
                {"from": before, "to": after, "screenings": count}
                for (before, after), count in sorted(self.verdicts.items(), key=lambda item: -item[1])
                if before != after
            ],
            "criteria": criteria,
            "changed": self.changed,
            "changed_screenings": self.changed_count,
        }


def _move_words(before, after):
    return f"{_status(before) or 'not in the active version'} → {_status(after) or 'removed'}"


def _status(status):
    return STATUS_LABELS.get(status, status).lower() if status else None


def criterion_sentence(code, before, after, count, *, alone, deciding):
    """E.g. "IN17 would be met for 12 screenings where it is not met now (for 8 of them it is the only criterion not
    met); 8 verdicts change.\""""
    screenings = f"{count} screening{'' if count == 1 else 's'}"
    if before is None:
        text = f"{code} is new: it would be {_status(after)} for {screenings}"
    elif after is None:
        text = f"{code} is removed: it is {_status(before)} now for {screenings}"
    else:
        text = f"{code} would be {_status(after)} for {screenings} where it is {_status(before)} now"
    if alone:
        failing = "fail" if before == NOT_MET else "would fail"
        text += f" ({alone} of them {failing} only on it)"
    if deciding:
        text += f"; {deciding} verdict{'' if deciding == 1 else 's'} change"
    return text + "."
