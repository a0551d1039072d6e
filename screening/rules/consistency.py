"""Answers that contradict the medication list.

Each check reads some answers and the active medications, and guards some inputs (keys as in `Missing.field`).
A contradiction it finds comes with the facts as they would be if the other side were right (the answer, where the
criteria read the list; the list, where they read the answer). Every criterion that reads a guarded input and would
come out otherwise in one of those is unknown, with the contradiction as its reason, until the coordinator resolves
it at the field it names; one that comes out the same however it is resolved keeps its outcome. A contradiction never
makes anything met.
"""

from dataclasses import dataclass, replace

from screening.rules import facts as F
from screening.rules.facts import Medication


@dataclass(frozen=True, slots=True)
class Contradiction:
    field: str  # where it is shown and resolved: an input key such as "answer:brain_metastases_on_steroids"
    message: str
    guards: frozenset  # the inputs whose criteria it may make unknown
    alternatives: tuple  # CandidateFacts as they would be, resolved otherwise than the criteria now read them


def _answered(facts, **answers):
    return replace(facts, answers={**facts.answers, **answers})


def _without(facts, medications):
    return replace(facts, medications=tuple(m for m in facts.medications if m not in medications))


def _with_a_drug_of(ctx, drug_class, purpose=None):
    """The facts with a drug of the class added, for the chart that says one is taken but does not list it."""
    drug = ctx.vocabulary.a_member_of(drug_class)
    if drug is None:
        return None
    return replace(ctx.facts, medications=(*ctx.facts.medications, Medication(drug.generic_name, purpose)))


def _listed(ctx, drug_class):
    """The active medications certainly in a class."""
    return [m for m, matches in ctx.active_medication_matches() if any(drug_class in x.drug.classes for x in matches)]


def _names(medications):
    names = list(dict.fromkeys(f"'{m.text}'" for m in medications))
    return " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + f" and {names[-1]}"


def _are(medications, one, several):
    """ "'Marevan 5 mg' is an anticoagulant" or "'Marevan 5 mg' and 'DOAC' are anticoagulants"."""
    several_named = len({m.text for m in medications}) > 1
    return f"{_names(medications)} {'are ' + several if several_named else 'is ' + one}"


class SteroidsForBrainMetastases:
    """A systemic corticosteroid is listed while the steroids-for-brain-metastases answer says No."""

    asks = ("corticosteroid_for_other_reason",)
    guards = frozenset({"answer:brain_metastases_on_steroids"})

    def find(self, ctx):
        answers = ctx.facts.answers
        if answers.get("brain_metastases") is not True or answers.get("brain_metastases_on_steroids") is not False:
            return None
        if answers.get("corticosteroid_for_other_reason") is True:
            return None
        steroids = _listed(ctx, "corticosteroid")
        if not steroids:
            return None
        return Contradiction(
            "answer:brain_metastases_on_steroids",
            f"{_are(steroids, 'a systemic corticosteroid', 'systemic corticosteroids')} on the medication list, but "
            '"Needs steroids for brain metastases" is No: confirm it is for another reason, or change the answer',
            self.guards,
            (_answered(ctx.facts, brain_metastases_on_steroids=True),),
        )


class AntiretroviralTherapy:
    """An HIV-positive candidate: the antiretroviral question asked explicitly, and its answer matching the list."""

    asks = ("on_antiretroviral_therapy",)
    guards = frozenset({"medications:antiretroviral"})

    def find(self, ctx):
        answers = ctx.facts.answers
        if answers.get("hiv_positive") is not True or ctx.facts.medications is None:
            return None
        answer = answers.get("on_antiretroviral_therapy")
        listed = _listed(ctx, "antiretroviral")
        if answer is None and not listed:
            message = (
                "HIV-positive, and no antiretroviral is on the medication list: is the candidate receiving "
                "combination antiretroviral therapy?"
            )
            otherwise = _with_a_drug_of(ctx, "antiretroviral")
        elif answer is True and not listed:
            message = "Receiving antiretroviral therapy, but no antiretroviral is on the medication list: add it"
            otherwise = _with_a_drug_of(ctx, "antiretroviral")
        elif answer is False and listed:
            message = (
                f"{_are(listed, 'an antiretroviral', 'antiretrovirals')} on the medication list, but the "
                "antiretroviral answer is No: change the answer, or mark the medication stopped"
            )
            otherwise = _without(ctx.facts, listed)
        else:
            return None
        return Contradiction("answer:on_antiretroviral_therapy", message, self.guards, _alternatives(otherwise))


def _alternatives(*facts):
    """The ways a contradiction could be resolved; none known (a class with no drug in it) leaves it open."""
    return tuple(f for f in facts if f is not None)


class Anticoagulation:
    """The anticoagulation the chart states, against the anticoagulants listed and the dose each is marked with."""

    asks = ("anticoagulation",)
    guards = frozenset({"medications:anticoagulant"})

    def find(self, ctx):
        answer = ctx.facts.answers.get("anticoagulation")
        if answer is None or ctx.facts.medications is None:
            return None
        listed = _listed(ctx, "anticoagulant")
        stated = F.FACTS["anticoagulation"].show(answer).lower()
        if answer == "none" and listed:
            message = (
                f"{_are(listed, 'an anticoagulant', 'anticoagulants')} on the medication list, but anticoagulation is "
                "None: change the answer, or mark the medication stopped"
            )
            otherwise = _without(ctx.facts, listed)
        elif answer != "none" and not listed:
            message = f"Anticoagulation is {stated}, but no anticoagulant is on the medication list: add it"
            otherwise = _with_a_drug_of(ctx, "anticoagulant", answer)
        else:
            other = [m for m in listed if m.purpose in F.DOSE_PURPOSES and m.purpose != answer]
            if not other:
                return None
            message = (
                f"{_are(other, 'marked', 'marked')} {F.PURPOSES[other[0].purpose].lower()}, but anticoagulation is "
                f"{stated}: correct the dose on the medication list, or the answer"
            )
            medications = tuple(replace(m, purpose=answer) if m in other else m for m in ctx.facts.medications)
            otherwise = replace(ctx.facts, medications=medications)
        return Contradiction("answer:anticoagulation", message, self.guards, _alternatives(otherwise))


CHECKS = (SteroidsForBrainMetastases(), AntiretroviralTherapy(), Anticoagulation())
