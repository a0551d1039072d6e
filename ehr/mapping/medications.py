"""MedicationRequest, MedicationStatement, MedicationAdministration: the medication list, and prior anticancer
therapy.

Every record names a medication as written (the concept's text, else a coding's display) with the generic names the
drug matcher finds in it. A record whose drug is an anticancer agent (context.is_anticancer) also counts towards a
prior therapy: the records of one modality are grouped into regimens (REGIMEN_GAP_DAYS, SAME_START_DAYS), because an
export writes one record per cycle or per dose, and a regimen is what the criteria count.
A medication given by reference (medicationReference) is reported, never fetched.
"""

from datetime import date

from ehr.mapping.fhir import RXNORM, codings, day, first, period_end, period_start, source, text_of

MEDICATION_TYPES = ("MedicationRequest", "MedicationStatement", "MedicationAdministration")

# Statuses (FHIR R4 value sets medicationrequest-status, medication-statement-status, medication-admin-status) under
# which the medication is being taken now; any other status is a medication that is not (or no longer) taken.
ACTIVE_STATUSES = {
    "MedicationRequest": frozenset({"active", "on-hold"}),
    "MedicationStatement": frozenset({"active", "on-hold", "intended"}),
    "MedicationAdministration": frozenset({"in-progress", "on-hold"}),
}
# Records that say nothing was taken: not read at all.
SKIPPED_STATUSES = {
    "entered-in-error": "entered in error",
    "not-taken": "not taken",  # MedicationStatement
    "not-done": "not done",  # MedicationAdministration
}
# Records that do not show the drug was given, so make no prior therapy (they still list the medication).
NOT_GIVEN_STATUSES = {
    "MedicationRequest": frozenset({"cancelled", "draft"}),
    "MedicationStatement": frozenset({"intended"}),
    "MedicationAdministration": frozenset(),
}

# Records of one modality belong to one regimen while each starts within this many days of the regimen's last
# record and shares an agent with it (or starts within SAME_START_DAYS of the regimen's start: the other drugs of
# the first cycle). A new drug after that starts another regimen.
REGIMEN_GAP_DAYS = 90
SAME_START_DAYS = 7


def _dates(resource, kind):
    """(started_on, ended_on, the date as written) of a medication record."""
    if kind == "MedicationRequest":
        written = first(
            resource.get("authoredOn"), period_start((resource.get("dispenseRequest") or {}).get("validityPeriod"))
        )
        return day(written), None, written
    period = resource.get("effectivePeriod")
    start = first(resource.get("effectiveDateTime"), period_start(period))
    end = period_end(period)
    if kind == "MedicationAdministration" and end is None:
        end = resource.get("effectiveDateTime")  # a single dose: given and over on that day
    written = first(start, resource.get("dateAsserted") if kind == "MedicationStatement" else None)
    return day(start), day(end), written


def _dose(resource, kind):
    if kind == "MedicationRequest":
        dosage = (resource.get("dosageInstruction") or [{}])[0]
    elif kind == "MedicationStatement":
        dosage = (resource.get("dosage") or [{}])[0]
    else:
        dosage = resource.get("dosage") or {}
    return (dosage.get("text") or "") if isinstance(dosage, dict) else ""


def map_medication(resource, run):
    kind = resource["resourceType"]
    status = resource.get("status")
    if status in SKIPPED_STATUSES:
        run.skip(resource, SKIPPED_STATUSES[status])
        return
    if resource.get("doNotPerform") is True:
        run.skip(resource, "do not perform")
        return
    concept = resource.get("medicationCodeableConcept")
    if not isinstance(concept, dict):
        reference = (resource.get("medicationReference") or {}).get("reference")
        if reference or resource.get("medicationReference"):
            run.problem(resource, f"the medication is given by reference ({reference or 'no reference'}), not read")
        else:
            run.problem(resource, "no medication named")
        return
    found = codings(concept)
    rxnorm = next(((code, coding) for system, code, coding in found if system == RXNORM), None)
    coding = rxnorm[1] if rxnorm else (found[0][2] if found else None)
    name = text_of(concept, coding)
    if not name:
        run.problem(resource, "the medication has a code but no name")
        return
    matched = run.match_drug(name)
    started, ended, written = _dates(resource, kind)
    value = {
        "name": name,
        "rxnorm": rxnorm[0] if rxnorm else "",
        "matched": list(matched),
        "dose": _dose(resource, kind),
        "active": status in ACTIVE_STATUSES[kind],
        "started_on": started,
        "ended_on": ended,
    }
    written_source = source(resource, written, coding, name, "", status or "")
    run.add("medication", value, started or day(written), written_source)
    if status in NOT_GIVEN_STATUSES[kind]:
        return
    for generic in matched:
        modality = run.modality(generic)
        if modality:
            run.pending.setdefault("therapy_records", []).append((modality, generic, started, ended, written_source))


def _regimens(records):
    """Group one modality's records (generic, started, ended, source) into regimens."""
    dated = sorted((r for r in records if r[1]), key=lambda r: r[1])
    regimens = []
    for generic, started, ended, written in dated:
        start = date.fromisoformat(started)
        current = regimens[-1] if regimens else None
        if current is not None:
            gap = (start - current["last"]).days
            fits = generic in current["agents"] or (start - current["start"]).days <= SAME_START_DAYS
            if gap <= REGIMEN_GAP_DAYS and fits:
                _extend(current, generic, start, ended, written)
                continue
        regimens.append({"agents": [], "start": start, "last": start, "ends": [], "latest": start, "sources": []})
        _extend(regimens[-1], generic, start, ended, written)
    undated = [r for r in records if not r[1]]
    if undated:
        regimen = {"agents": [], "start": None, "last": None, "ends": [], "latest": None, "sources": []}
        for generic, _started, ended, written in undated:
            _extend(regimen, generic, None, ended, written)
        regimens.append(regimen)
    return regimens


def _extend(regimen, generic, start, ended, written):
    if generic not in regimen["agents"]:
        regimen["agents"].append(generic)
    end = date.fromisoformat(ended) if ended else None
    if start is not None:
        regimen["latest"] = max(regimen["latest"], start)
        regimen["last"] = max(regimen["last"], end or start)
    if end is not None:
        regimen["ends"].append(end)
    regimen["sources"].append(written)


def finish(run):
    """One prior therapy per regimen of anticancer drugs."""
    by_modality = {}
    for modality, generic, started, ended, written in run.pending.pop("therapy_records", []):
        by_modality.setdefault(modality, []).append((generic, started, ended, written))
    for modality, records in by_modality.items():
        for regimen in _regimens(records):
            # the last dose is known only when the latest record says when it ended
            last_end = max(regimen["ends"], default=None)
            latest = regimen["latest"]
            ended = last_end if last_end is not None and (latest is None or last_end >= latest) else None
            started = regimen["start"].isoformat() if regimen["start"] else None
            first_source = dict(regimen["sources"][0])
            others = list(dict.fromkeys(s["id"] for s in regimen["sources"][1:] if s["id"] != first_source["id"]))
            if others:
                first_source["also"] = others
            value = {
                "modality": modality,
                "agents": ", ".join(regimen["agents"]),
                "started_on": started,
                "ended_on": ended.isoformat() if ended else None,
                "setting": "not_documented",
            }
            run.add("therapy", value, started, first_source)
