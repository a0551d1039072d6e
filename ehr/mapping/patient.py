"""Patient: the date of birth and the administrative sex. Identifiers, names and addresses are not read."""

from ehr.mapping.fhir import day, source

# FHIR administrative-gender (http://hl7.org/fhir/administrative-gender) -> the screening's sex (facts.SEXES).
# "other" and "unknown" fill nothing: they are reported for the coordinator to enter.
ADMINISTRATIVE_GENDER = {"female": "female", "male": "male"}


def map_patient(resource, run):
    born = resource.get("birthDate")
    if born:
        iso = day(born)
        if iso is None or len(born) != 10:
            run.problem(resource, f"birth date {born} is not a full date")
        else:
            run.add("birth_date", {"value": iso}, None, source(resource, None, text="birthDate", value=born))
    gender = resource.get("gender")
    if gender:
        sex = ADMINISTRATIVE_GENDER.get(gender)
        if sex is None:
            run.problem(resource, f"administrative gender is '{gender}': enter the sex on the screening")
        else:
            run.add("sex", {"value": sex}, None, source(resource, None, text="gender", value=gender))
