"""Forms validate the shape of what a coordinator enters; services save it. Errors are per field; implausible but
possible values become warnings."""

from datetime import date
from decimal import Decimal

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from patients.models import Candidate
from screening.facts import stored_facts
from screening.models import ENTRY_FIELDS, Lesion, Medication, PriorTherapy, Screening, Signature
from screening.rules import facts as F
from screening.rules.rules import fmt
from screening.rules.vocabulary import IMPOSSIBLE, UNUSUAL

YES_NO = [("", "Not answered"), ("yes", "Yes"), ("no", "No")]

# Where each recorded fact is asked on the form, so the form reads like a chart.
FACT_SECTIONS = {
    "disease": [
        "histology_confirmed",
        "melanoma_stage",
        "primary_site",
        "tumor_accessible_to_biopsy",
        "agrees_to_provide_sample",
    ],
    # Brain metastases: whether known and how treated, then (after the treatment and imaging dates) their state now.
    "brain_metastases": ["brain_metastases", "brain_metastases_treatment_type"],
    "brain_metastases_now": [
        "brain_metastases_stable",
        "brain_metastases_symptomatic",
        "brain_metastases_on_steroids",
        "corticosteroid_for_other_reason",
    ],
    "therapy": ["target_lesions_in_regional_field"],
    "medications": ["hiv_positive", "on_antiretroviral_therapy", "anticoagulation"],
    "pregnancy": [
        "childbearing_potential",
        "reproductive_potential",
        "pregnant",
        "nursing",
        "pregnancy_test",
        "uses_contraception",
    ],
}


def input_anchor(key):
    """The id of the place on the form where an input (a Missing.field key) is entered."""
    kind, _, rest = key.partition(":")
    if kind == "lab":
        return f"lab-{rest.split(':')[0]}"
    if kind == "answer":
        return f"answer-{rest}"
    if kind == "grade":
        return f"field-{rest}"
    if kind == "history":
        return f"field-{rest}"
    if key in ("birth_date", "sex"):
        return "candidate"
    return f"field-{key}" if key == "weight_kg" else f"section-{key}"


class DateLimits:
    """What no date on a screening may be: in the future, before birth, after the screening date."""

    def __init__(self, birth_date, screening_date):
        self.birth_date = birth_date
        self.screening_date = screening_date

    def check(self, form, name, *, after_screening_allowed=False):
        day = form.cleaned_data.get(name)
        if day is None:
            return
        if day > timezone.localdate():
            form.add_error(name, "This date is in the future.")
        elif self.birth_date and day < self.birth_date:
            form.add_error(name, "This date is before the candidate's date of birth.")
        elif not after_screening_allowed and self.screening_date and day > self.screening_date:
            form.add_error(name, "This date is after the screening date.")


class WarningsMixin:
    """Collects warnings: values that are possible but unusual enough to double-check."""

    def warn(self, message):
        self.warnings = [*getattr(self, "warnings", []), message]


class CandidateForm(forms.Form):
    """Who the candidate is, checked against those already registered (the same record number or person)."""

    initials = forms.RegexField(
        regex=r"^[A-Za-z]{2,4}$",
        error_messages={"invalid": "Enter 2 to 4 letters."},
        help_text="2 to 4 letters, e.g. JMS.",
    )
    birth_date = forms.DateField(label="Date of birth", widget=forms.DateInput(attrs={"type": "date"}))
    sex = forms.ChoiceField(choices=[("", "---------"), *F.SEXES.items()])
    mrn = forms.CharField(label="Medical record number", required=False, max_length=30)

    def clean_birth_date(self):
        born = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError("The date of birth is in the future.")
        if born < date(today.year - 120, today.month, 1):
            raise forms.ValidationError("The date of birth is more than 120 years ago.")
        return born

    confirm_new_person = forms.BooleanField(
        required=False,
        label="This is a different person",
        help_text="Tick only if a candidate with the same initials, date of birth and sex is someone else.",
    )

    def clean_mrn(self):
        mrn = self.cleaned_data["mrn"].strip()
        existing = Candidate.objects.filter(mrn=mrn).first() if mrn else None
        if existing:
            raise forms.ValidationError(
                format_html(
                    'This medical record number is {}\'s. <a href="{}">Open their page</a> to screen them again.',
                    existing.screening_number,
                    reverse("patients:detail", args=[existing.pk]),
                )
            )
        return mrn

    def clean(self):
        cleaned = super().clean()
        same = Candidate.objects.filter(
            initials__iexact=cleaned.get("initials", ""), birth_date=cleaned.get("birth_date"), sex=cleaned.get("sex")
        ).first()
        if same and not cleaned.get("confirm_new_person"):
            self.add_error(
                "confirm_new_person",
                format_html(
                    '{} has the same initials, date of birth and sex. <a href="{}">Open their page</a> to screen '
                    "them again, or tick this box if this is someone else.",
                    same.screening_number,
                    reverse("patients:detail", args=[same.pk]),
                ),
            )
        return cleaned


class NewCandidateForm(CandidateForm):
    cohort = forms.ChoiceField(choices=Screening.Cohort.choices)
    screening_date = forms.DateField(initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"}))

    field_order = ["initials", "birth_date", "sex", "mrn", "cohort", "screening_date", "confirm_new_person"]

    def clean(self):
        cleaned = super().clean()
        born, day = cleaned.get("birth_date"), cleaned.get("screening_date")
        if day and day > timezone.localdate():
            self.add_error("screening_date", "The screening date is in the future.")
        elif born and day and day < born:
            self.add_error("screening_date", "The screening date is before the date of birth.")
        return cleaned


class RescreenForm(forms.Form):
    cohort = forms.ChoiceField(choices=Screening.Cohort.choices)
    screening_date = forms.DateField(initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"}))
    copy_entries = forms.BooleanField(
        label="Start from the latest screening's history",
        required=False,
        initial=True,
        help_text="Histology, primary site, history answered yes, dated procedures and events, and prior therapy "
        "are copied for you to check. What describes the candidate now (stage, weight, ECOG, neuropathy, lesions, "
        'medications, labs, blood pressure, pregnancy, the attestations, and any "None") is asked again.',
    )

    def clean_screening_date(self):
        day = self.cleaned_data["screening_date"]
        if day > timezone.localdate():
            raise forms.ValidationError("The screening date is in the future.")
        return day


class ScreeningForm(WarningsMixin, forms.ModelForm):
    class Meta:
        model = Screening
        fields = ENTRY_FIELDS
        widgets = {name: forms.DateInput(attrs={"type": "date"}) for name in ENTRY_FIELDS if "date" in name}

    # The revision the form was opened at: a save made by someone else since is not overwritten.
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, limits, **kwargs):
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.fields["weight_kg"].widget.attrs.update(step="0.1")
        self.fields["revision"].initial = self.instance.revision
        self.fields["revision"].error_messages["required"] = "This form is out of date: open the screening again."

    def clean_weight_kg(self):
        weight = self.cleaned_data["weight_kg"]
        if weight is not None:
            if weight <= 0 or weight > 400:
                raise forms.ValidationError("Enter the weight in kilograms, between 1 and 400.")
            if not 35 <= weight <= 200:
                self.warn(f"Weight {weight} kg is unusual; check it was entered in kilograms.")
        return weight

    def clean(self):
        cleaned = super().clean()
        day = cleaned.get("screening_date")
        if day:
            self.limits.screening_date = day
            self.limits.check(self, "screening_date", after_screening_allowed=True)
        for event in F.EVENTS:
            state, when = cleaned.get(event), cleaned.get(f"{event}_date")
            if when and state == "none":
                self.add_error(f"{event}_date", 'You answered "None" but entered a date; remove one.')
            elif when and not state:
                cleaned[event] = "yes"
            self.limits.check(self, f"{event}_date")
        return cleaned


class AnswersForm(forms.Form):
    """The recorded facts and the attestation questions this criteria version asks, each traceable to criteria."""

    prefix = "answer"

    def __init__(self, *args, ruleset, **kwargs):
        super().__init__(*args, **kwargs)
        used = ruleset.inputs()
        self.sections = {name: [] for name in (*FACT_SECTIONS, "attestations")}
        for section, codes in FACT_SECTIONS.items():
            for code in codes:
                if f"answer:{code}" in used:
                    definition = F.FACTS[code]
                    choices = (
                        YES_NO if definition.choices is None else [("", "Not answered"), *definition.choices.items()]
                    )
                    self._add(section, code, definition.label, choices, used[f"answer:{code}"])
        for question, (text, codes) in ruleset.attestations().items():
            self._add("attestations", question, text, YES_NO, codes)

    def _add(self, section, code, label, choices, criteria):
        self.fields[code] = forms.ChoiceField(
            label=label, choices=choices, required=False, help_text="Used by " + ", ".join(criteria)
        )
        self.sections[section].append(code)

    def answers(self):
        """code -> True / False for yes/no questions, the choice for the others, None when not answered."""
        yes_no = {"yes": True, "no": False}
        return {
            code: yes_no.get(value) if _is_yes_no(code) else (value or None)
            for code, value in self.cleaned_data.items()
        }

    @staticmethod
    def initial_from(answers):
        shown = {True: "yes", False: "no"}
        return {code: shown.get(value, value) for code, value in answers.items()}


LAB_RECENT_DAYS = 28


def _is_yes_no(code):
    """Attestations and yes/no facts; multiple-choice facts have their own choices."""
    return code not in F.FACTS or F.FACTS[code].choices is None


class LabForm(WarningsMixin, forms.Form):
    """One analyte: value, the unit as the lab printed it, the lab's ULN (where a rule needs it), and the date.

    A value outside the analyte's physiological limits is refused, naming the unit it was probably meant in. An
    unusual one is saved, but the criteria that read it stay unknown until the coordinator ticks the confirmation
    that appears on the row; the confirmation holds for the value, unit and ULN it was given for, not for a later
    edit (`confirmed_for` carries what was on the page when it was ticked).
    """

    value = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=4)
    unit = forms.CharField(required=False, max_length=20)
    uln = forms.DecimalField(label="ULN", required=False, max_digits=12, decimal_places=4)
    collected_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    confirmed = forms.BooleanField(required=False, label="Unusual value: I checked the value and unit")
    confirmed_for = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, analyte, definition, needs_uln, criteria, limits, **kwargs):
        super().__init__(*args, prefix=f"lab-{analyte.code}", **kwargs)
        self.analyte, self.definition, self.needs_uln = analyte, definition, needs_uln
        self.criteria, self.limits = criteria, limits
        self.fields["unit"].widget.attrs.update(list=f"units-{analyte.code}", autocomplete="off", size=9)
        self.fields["value"].error_messages["min_value"] = "A lab value cannot be negative."
        if not needs_uln:
            del self.fields["uln"]
        self.unusual = not self.is_bound and self._unusual_as_stored()  # shown with its confirmation box

    def has_value(self):
        return self.is_bound and self.cleaned_data.get("value") is not None

    @property
    def units(self):
        return list(self.definition.factors)

    def clean(self):
        cleaned = super().clean()
        value, unit = cleaned.get("value"), (cleaned.get("unit") or "").strip()
        cleaned["unit"] = unit
        if value is None:
            if "value" not in self.errors and (cleaned.get("uln") is not None or cleaned.get("collected_on")):
                self.add_error("value", "Enter the value, or clear this row.")
            return cleaned
        definition = self.definition
        if not unit and definition.accepts(""):  # a ratio such as the INR is printed without a unit
            unit = cleaned["unit"] = definition.unit_of("")
        if not unit:
            if "unit" not in self.errors:
                self.add_error("unit", "Enter the unit the lab reported.")
            return cleaned
        if not definition.accepts(unit):
            self.add_error(
                "unit", f"'{unit}' is not a unit of {self.analyte.name}; accepted: {', '.join(definition.factors)}."
            )
            return cleaned
        uln = cleaned.get("uln")
        if uln is not None and uln <= 0:
            self.add_error("uln", "The upper limit of normal must be above 0.")
        self._judge("value", value, unit)
        if uln is not None and uln > 0:
            self._judge("uln", uln, unit)
        confirmed = cleaned.get("confirmed") and cleaned.get("confirmed_for") == self.confirmation_key(value, unit, uln)
        cleaned["confirmed"] = bool(confirmed and self.unusual)
        if self.unusual and not cleaned["confirmed"]:
            likely = self._likely_units(value, unit)
            meant = f" (did you mean {likely}?)" if likely else ""
            self.warn(
                f"{self.analyte.abbreviation} {self._shown(value, unit, uln)} is unusual{meant}. Tick the "
                "confirmation on its row once the value and unit are checked; until then the criteria that use it "
                "are unknown."
            )
        self.limits.check(self, "collected_on")
        self._warn_about_age(cleaned.get("collected_on"))
        return cleaned

    def _judge(self, name, number, unit):
        """Refuse an impossible value, naming the unit it was probably meant in; mark an unusual one."""
        verdict = self._verdict(number, unit)
        if verdict == IMPOSSIBLE:
            what = "ULN" if name == "uln" else self.definition.in_sentence
            likely = self._likely_units(number, unit)
            meant = f": did you mean {likely}?" if likely else "; check the value and unit."
            self.add_error(name, f"{_plain(number)} {unit} is not a possible {what}{meant}")
        elif verdict == UNUSUAL:
            self.unusual = True

    def _verdict(self, number, unit):
        return self.definition.judge(self.definition.to_canonical(float(number), unit))

    def _likely_units(self, number, unit):
        return " or ".join(self.definition.likely_units(float(number), unit))

    @property
    def usual_range(self):
        """'5,000 to 1,000,000 /mm3': what the confirmation row reminds the coordinator of."""
        low, high = self.definition.plausible
        unit = self.definition.canonical_unit
        return f"{fmt(low)} to {fmt(high)} {unit}" if None not in (low, high) else ""

    def _shown(self, value, unit, uln):
        return f"{_plain(value)} {unit}" + (f" (ULN {_plain(uln)})" if uln is not None else "")

    @staticmethod
    def confirmation_key(value, unit, uln):
        """What a confirmation is for: the value, unit and ULN as they stood when it was ticked."""
        return "|".join(("" if n is None else _plain(Decimal(str(n)))) for n in (value, uln)) + f"|{unit}"

    @property
    def current_confirmation_key(self):
        """The key of what the row shows now, for the page to send back with a ticked confirmation."""
        source = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else self.initial
        value, unit, uln = (source.get(k) for k in ("value", "unit", "uln"))
        return self.confirmation_key(value, unit, uln) if value is not None and unit else ""

    def _unusual_as_stored(self):
        """On the form page, whether the stored value or ULN asks for a confirmation."""
        value, unit, uln = (self.initial.get(k) for k in ("value", "unit", "uln"))
        if value is None or not unit or not self.definition.accepts(unit):
            return False
        return any(self._verdict(number, unit) == UNUSUAL for number in (value, uln) if number is not None)

    def _warn_about_age(self, collected_on):
        """The record sets no window for labs, but a coordinator should see an undated or old result."""
        name, screening_date = self.analyte.abbreviation, self.limits.screening_date
        if collected_on is None:
            self.warn(f"{name} has no collection date; check the result is recent.")
        elif screening_date and (screening_date - collected_on).days > LAB_RECENT_DAYS:
            days = (screening_date - collected_on).days
            self.warn(f"{name} was collected {days} days before screening; check a more recent result.")

    def row(self):
        data = {k: self.cleaned_data.get(k) for k in ("value", "unit", "collected_on", "confirmed")}
        data["uln"] = self.cleaned_data.get("uln") if self.needs_uln else None
        return data


class BloodPressureForm(WarningsMixin, forms.Form):
    taken_on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    systolic = forms.IntegerField(min_value=40, max_value=300)
    diastolic = forms.IntegerField(min_value=20, max_value=200)

    def clean(self):
        cleaned = super().clean()
        systolic, diastolic = cleaned.get("systolic"), cleaned.get("diastolic")
        if systolic is not None and diastolic is not None:
            if systolic <= diastolic:
                self.add_error("systolic", "Systolic must be higher than diastolic.")
            elif systolic > 220 or diastolic > 130:
                self.warn(f"Blood pressure {systolic}/{diastolic} mm Hg is very high; check it.")
        self.limits.check(self, "taken_on")
        return cleaned


class TherapyForm(forms.ModelForm):
    class Meta:
        model = PriorTherapy
        fields = ["modality", "setting", "agents", "started_on", "ended_on"]
        widgets = {
            "started_on": forms.DateInput(attrs={"type": "date"}),
            "ended_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, vocabulary, match_url, **kwargs):
        super().__init__(*args, **kwargs)
        self.vocabulary = vocabulary
        # As the coordinator types, what each agent matches (or may be a misspelling of) appears below it (htmx).
        self.fields["agents"].widget.attrs.update(_match_attrs(match_url, "agents"))

    def clean(self):
        cleaned = super().clean()
        started, ended = cleaned.get("started_on"), cleaned.get("ended_on")
        if started and ended and ended < started:
            self.add_error("ended_on", "The last dose is before the start.")
        self._check_type_against_agents(cleaned.get("modality"), cleaned.get("agents") or "")
        self.limits.check(self, "started_on")
        self.limits.check(self, "ended_on", after_screening_allowed=True)
        return cleaned

    def _check_type_against_agents(self, modality, agents):
        """The agents decide which criteria see a regimen; a type that none of them is would count it wrongly (a
        checkpoint inhibitor filed as chemotherapy would meet a chemotherapy washout). Combinations pass as long as
        one agent is of the type chosen; "Other anticancer therapy" is never contradicted."""
        if not modality or modality == "other":
            return
        chosen = F.CHEMOTHERAPY if modality in ("systemic_chemotherapy", "regional_chemotherapy") else modality
        found = []
        for agent in (a.strip() for a in agents.split(",") if a.strip()):
            for match in self.vocabulary.matcher.match_agent(agent):
                found.extend((agent, match, kind) for kind in self.vocabulary.kinds_of(match.drug))
        if found and chosen not in {kind for _, _, kind in found}:
            agent, match, kind = found[0]
            named = agent if agent.lower() == match.drug.generic_name else f"{agent} ({match.drug.generic_name})"
            self.add_error(
                "modality",
                f'{named} is {F.AGENT_KINDS[kind].lower()} in the drug list; choose that type (or "Other anticancer '
                'therapy" for a mixed regimen), or check the agent.',
            )


def _match_attrs(match_url, kind):
    return {
        "hx-get": f"{match_url}?kind={kind}",
        "hx-trigger": "load, input changed delay:400ms",
        "hx-target": "next .drug-match",
        "autocomplete": "off",
    }


class MedicationForm(forms.ModelForm):
    class Meta:
        model = Medication
        fields = ["name", "dose", "purpose", "active"]

    def __init__(self, *args, match_url, **kwargs):
        super().__init__(*args, **kwargs)
        # As the coordinator types, the drug and classes the line matches appear beside it (htmx).
        self.fields["name"].widget.attrs.update(_match_attrs(match_url, "medication"))


class LesionForm(WarningsMixin, forms.ModelForm):
    class Meta:
        model = Lesion
        fields = ["site", "size_mm", "method"]

    def clean_size_mm(self):
        size = self.cleaned_data["size_mm"]
        if size is not None and (size <= 0 or size > 500):
            raise forms.ValidationError("Enter the longest diameter in millimetres, between 0.1 and 500.")
        if size is not None and size > 300:
            self.warn(f"A lesion of {size} mm is unusual; check it was entered in millimetres.")
        return size


class _LimitedFormSet(forms.BaseFormSet):
    def __init__(self, *args, limits, **kwargs):
        self.limits = limits
        super().__init__(*args, **kwargs)

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.limits = self.limits
        return form

    @property
    def empty_form(self):
        form = super().empty_form
        form.limits = self.limits
        return form

    def rows(self):
        """Rows to keep: existing ones not marked for deletion, and new ones that were filled in."""
        kept = []
        for index, form in enumerate(self.forms):
            data = form.cleaned_data
            if not data or data.get("DELETE") or (index >= self.initial_form_count() and not form.has_changed()):
                continue
            kept.append({name: value for name, value in data.items() if name != "DELETE"})
        return kept

    def warnings(self):
        return [w for form in self.forms for w in getattr(form, "warnings", [])]


def _formset(form, most):
    """Row lists hold at most what a chart does; a post claiming more is refused before its rows are read."""
    return forms.formset_factory(
        form, formset=_LimitedFormSet, extra=1, can_delete=True, max_num=most, absolute_max=most, validate_max=True
    )


# prefix -> (formset class, the screening's related rows, fields to show when editing them)
ROW_FORMSETS = {
    "bp": (_formset(BloodPressureForm, 60), "blood_pressures", ["taken_on", "systolic", "diastolic"]),
    "therapy": (
        _formset(TherapyForm, 40),
        "therapies",
        ["modality", "setting", "agents", "started_on", "ended_on"],
    ),
    "medication": (_formset(MedicationForm, 80), "medications", ["name", "dose", "purpose", "active"]),
    "lesion": (_formset(LesionForm, 30), "lesions", ["site", "size_mm", "method"]),
}


class ScreeningEntry:
    """Everything the screening form holds: the main fields, the answers, one row per lab, and the row lists.

    Valid only when every part is; then `service_arguments()` is exactly what `screening_update` takes.
    """

    def __init__(self, screening, ruleset, analytes, data=None):
        self.screening = screening
        limits = DateLimits(screening.candidate.birth_date, screening.screening_date)
        used = ruleset.inputs()
        order = {key: position for position, key in enumerate(used)}  # first use, in record order
        self.main = ScreeningForm(data, instance=screening, limits=limits)
        for name, key in (
            ("weight_kg", "weight_kg"),
            ("ecog", "grade:ecog"),
            ("peripheral_neuropathy", "grade:peripheral_neuropathy"),
        ):
            if key in used:
                self.main.fields[name].help_text = "Used by " + ", ".join(used[key])
        for event in F.EVENTS:
            if f"history:{event}" in used:
                self.main.fields[event].help_text = "Used by " + ", ".join(used[f"history:{event}"])
        self.answers = AnswersForm(data, ruleset=ruleset, initial=AnswersForm.initial_from(screening.answers))
        # Bound, the posted values are the truth, as for the row lists below.
        existing = {} if data is not None else {lab.analyte_id: lab for lab in screening.labs.all()}
        definitions = ruleset.vocabulary.analytes
        self.labs = [
            LabForm(
                data,
                analyte=analyte,
                definition=definitions[analyte.code],
                needs_uln=f"lab:{analyte.code}:uln" in used,
                criteria=used[f"lab:{analyte.code}"],
                limits=limits,
                initial=_lab_initial(existing.get(analyte.pk)),
            )
            for analyte in sorted(analytes, key=lambda a: order.get(f"lab:{a.code}", len(order)))
            if f"lab:{analyte.code}" in used
        ]
        match_url = reverse("screening:medication_match", args=[screening.pk])
        form_kwargs = {
            "medication": {"match_url": match_url},
            "therapy": {"vocabulary": ruleset.vocabulary, "match_url": match_url},
        }
        self.rows = {
            prefix: formset(
                data,
                prefix=prefix,
                limits=limits,
                # Bound, the posted rows are the truth: existing rows come back as the formset's initial forms.
                initial=None
                if data is not None
                else [{name: getattr(row, name) for name in names} for row in getattr(screening, related).all()],
                form_kwargs=form_kwargs.get(prefix, {}),
            )
            for prefix, (formset, related, names) in ROW_FORMSETS.items()
        }
        self.used = used
        # On the form page, what the stored entries lead to that the coordinator should see at the field: answers
        # that contradict the medication list, and labs worked out from others.
        self.contradictions, self.derived = {}, {}
        if data is None:
            facts = stored_facts(screening)
            for contradiction in ruleset.contradictions(facts, screening.screening_date):
                self.contradictions[contradiction.field.partition(":")[2]] = contradiction.message
            self.derived = ruleset.derived_labs(facts, screening.screening_date)
        for lab in self.labs:
            lab.derived = self.derived.get(lab.analyte.code)

    def parts(self):
        return [self.main, self.answers, *self.labs, *self.rows.values()]

    def error_summary(self):
        """Every error on the form, each with a link to its place, for the top of the page."""
        found = []
        for name, errors in self.main.errors.items():
            label = self.main.fields[name].label if name in self.main.fields else "Screening"
            found += [(label, error, f"field-{name}") for error in errors]
        for name, errors in self.answers.errors.items():
            found += [(self.answers.fields[name].label, error, f"answer-{name}") for error in errors]
        for lab in self.labs:
            found += [
                (lab.analyte.name, error, f"lab-{lab.analyte.code}")
                for errors in lab.errors.values()
                for error in errors
            ]
        titles = {"bp": "Blood pressure", "therapy": "Prior therapy", "medication": "Medications", "lesion": "Lesions"}
        sections = {"bp": "blood_pressures", "therapy": "therapies", "medication": "medications", "lesion": "lesions"}
        for prefix, formset in self.rows.items():
            found += [(titles[prefix], error, f"section-{sections[prefix]}") for error in formset.non_form_errors()]
            for number, form in enumerate(formset.forms, 1):
                for errors in form.errors.values():
                    found += [
                        (f"{titles[prefix]}, row {number}", error, f"section-{sections[prefix]}") for error in errors
                    ]
        return found

    def is_valid(self):
        valid = all([part.is_valid() for part in self.parts()])
        if valid:
            for state, prefix, what in (
                ("prior_therapy", "therapy", "therapies"),
                ("medications_taken", "medication", "medications"),
            ):
                if self.main.cleaned_data.get(state) == "none" and self.rows[prefix].rows():
                    self.main.add_error(state, f'You answered "None" but listed {what}; change one.')
                    valid = False
                elif self.rows[prefix].rows() and not self.main.cleaned_data.get(state):
                    self.main.cleaned_data[state] = "yes"
        return valid

    @property
    def warnings(self):
        found = list(getattr(self.main, "warnings", []))
        found += [w for lab in self.labs for w in getattr(lab, "warnings", [])]
        found += [w for formset in self.rows.values() for w in formset.warnings()]
        return found

    def service_arguments(self):
        return {
            "revision": self.main.cleaned_data["revision"],
            "fields": self.main.cleaned_data,
            "answers": self.answers.answers(),
            "labs": {lab.analyte: lab.row() for lab in self.labs if lab.has_value()},
            "blood_pressures": self.rows["bp"].rows(),
            "therapies": self.rows["therapy"].rows(),
            "medications": self.rows["medication"].rows(),
            "lesions": self.rows["lesion"].rows(),
            "warnings": self.warnings,
        }


def _lab_initial(lab):
    if lab is None:
        return {}
    return {
        "value": _plain(lab.value),
        "unit": lab.unit,
        "uln": _plain(lab.uln),
        "collected_on": lab.collected_on,
        "confirmed": lab.confirmed,
    }


def _plain(number):
    """1.2000 -> '1.2', 100.0000 -> '100': a stored decimal as the lab printed it."""
    if number is None:
        return None
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class SignForm(forms.Form):
    # The fingerprint of the record the page showed: what the investigator reviewed is what is signed.
    reviewed = forms.CharField(widget=forms.HiddenInput, max_length=64)
    meaning = forms.ChoiceField(choices=Signature.Meaning.choices, widget=forms.RadioSelect, label="I sign to say")
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        label="Your password",
        help_text="Entering your password makes this your electronic signature.",
    )


class EnrollmentForm(forms.Form):
    """How the entry ends; offered only the outcomes this screening can have now (see screening_outcome_choices)."""

    outcome = forms.ChoiceField(
        choices=Screening.Enrollment.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        label="Outcome",
    )
    reason = forms.CharField(
        required=False,
        max_length=300,
        help_text="Required for an investigator decision or another reason.",
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if choices is not None:
            self.fields["outcome"].choices = choices


class EnrollmentChangeForm(EnrollmentForm):
    """A recorded enrollment outcome changes only with the reason, which the audit trail keeps."""

    change_reason = forms.CharField(
        max_length=300,
        label="Why it changes",
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
