"""Procedure: major surgery and radiotherapy, as dated events (history). Every one found is emitted; which one
counts (the most recent before the screening) is chosen later.

The date is the end of performedPeriod when there is one (the last fraction of a radiotherapy course), else its
start or performedDateTime.
"""

from ehr.mapping.fhir import SNOMED, codings, day, first, period_end, period_start, source, text_of

# SNOMED CT procedures that are major operations (general anaesthesia, a body cavity opened or a joint replaced).
# Kept short and conservative: endoscopies, catheter procedures, biopsies and minor excisions are not here.
MAJOR_SURGERY = {
    "232717009": "Coronary artery bypass grafting",  # Synthea
    "43075005": "Partial resection of colon",  # Synthea
    "90470006": "Prostatectomy",  # Synthea
    "80146002": "Appendectomy",  # Synthea
    "38102005": "Cholecystectomy",
    "45595009": "Laparoscopic cholecystectomy",  # Synthea ("Laparoscopic Removal of Gall Bladder")
    "387607004": "Construction of diverting colostomy",  # Synthea
    "445912000": "Excision of fallopian tube and surgical removal of ectopic pregnancy",  # Synthea
    "11466000": "Cesarean section",  # Synthea
    "52734007": "Total hip replacement",
    "609588000": "Total knee replacement",  # Synthea
    "88039007": "Transplant of lung",  # Synthea
    "429609002": "Lung volume reduction surgery",  # Synthea
    "70536003": "Transplant of kidney",  # Synthea
    "25353009": "Craniotomy",
}

# SNOMED CT radiotherapy procedures (radionuclide therapy is not counted as radiotherapy here).
RADIOTHERAPY = {
    "108290001": "Radiation oncology AND/OR radiotherapy",
    "1287742003": "Radiotherapy",  # Synthea (intraoperative radiotherapy fraction)
    "33195004": "Teleradiotherapy procedure (external beam radiation therapy)",  # Synthea (external beam fraction)
    "385798007": "Radiation therapy care",  # Synthea (hypofractionated fraction)
    "441799006": "Intensity modulated radiation therapy",
    "152198000": "Brachytherapy",
    "113120007": "Interstitial brachytherapy",
    "384692006": "Intracavitary brachytherapy",
    "703423002": "Combined chemotherapy and radiation therapy",  # Synthea (lung cancer)
}

EVENTS = {
    **{code: "history:major_surgery" for code in MAJOR_SURGERY},
    **{code: "history:radiotherapy" for code in RADIOTHERAPY},
}

# Performed, wholly or in part. Any other status (preparation, on-hold, not-done, entered-in-error, unknown) is not.
PERFORMED_STATUSES = frozenset({"completed", "in-progress", "stopped"})


def map_procedure(resource, run):
    matched = {}
    for system, code, coding in codings(resource.get("code")):
        field = EVENTS.get(code) if system == SNOMED else None
        if field and field not in matched:
            matched[field] = coding
    if not matched:
        run.skip(resource, "other codes")
        return
    status = resource.get("status")
    if status not in PERFORMED_STATUSES:
        run.skip(resource, status or "no status")
        return
    period = resource.get("performedPeriod")
    when = first(period_end(period), period_start(period), resource.get("performedDateTime"))
    on = day(when)
    for field, coding in matched.items():
        text = text_of(resource.get("code"), coding)
        run.add(field, {"date": on}, on, source(resource, when, coding, text, "", status))
