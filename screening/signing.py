"""The record an investigator's signature covers, and the keyed signature over it (21 CFR 11.70).

`signed_record` is the one canonical serialization of everything a signature attests: the candidate's identity, every
entry, every outcome with its status, reason, evidence and what was missing, the verdict, the warnings, the criteria
version with every criterion's text and rule, and the signature's own meaning, signer, time and comment. The signature
is an HMAC-SHA256 of it with a key held outside the database (settings.SIGNATURE_KEYS, by key id, so that keys can
rotate): whoever can write the database cannot make a changed record verify. The result page, the PDF and the audit
trail all verify through `verify`.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass

from django.conf import settings

from screening.models import ENTRY_FIELDS
from trials.vocabulary import content_hash

# Fields of the screening row itself that a signature attests besides the entries.
ATTESTED_FIELDS = ("pk", "number", *ENTRY_FIELDS, "answers", "warnings", "status", "verdict", "evaluated_at")


def screening_record(screening):
    """What the investigator reviews: everything that decides or shows the verdict. Expects the rows prefetched."""
    candidate = screening.candidate
    version = screening.criteria_version
    return {
        "screening": {name: getattr(screening, name) for name in ATTESTED_FIELDS},
        "candidate": {
            "pk": candidate.pk,
            "screening_number": candidate.screening_number,
            "initials": candidate.initials,
            "birth_date": candidate.birth_date,
            "sex": candidate.sex,
        },
        "labs": sorted(
            [lab.analyte.code, lab.value, lab.unit, lab.uln, lab.collected_on, lab.confirmed]
            for lab in screening.labs.all()
        ),
        "blood_pressures": sorted([r.taken_on, r.systolic, r.diastolic] for r in screening.blood_pressures.all()),
        "therapies": sorted(
            [t.modality, t.setting, t.agents, t.started_on, t.ended_on] for t in screening.therapies.all()
        ),
        "medications": sorted([m.name, m.dose, m.purpose, m.active] for m in screening.medications.all()),
        "lesions": sorted([x.site, x.size_mm, x.method] for x in screening.lesions.all()),
        "outcomes": sorted(
            [o.order, o.code, o.kind, o.text, o.summary, o.status, o.reason, o.evidence, o.missing]
            for o in screening.outcomes.all()
        ),
        "criteria_version": {
            "pk": version.pk,
            "label": version.label,
            "effective_date": version.effective_date,
            # Over the criteria and the vocabulary the version pins (units, limits, drug classes); and the pinned
            # vocabulary itself, hashed from what is stored now, so that a change to it behind the app's back shows.
            "content_hash": version.content_hash,
            "vocabulary": content_hash(version.vocabulary.data) if version.vocabulary_id else "",
            "criteria": [
                [c.order, c.code, c.kind, c.text, c.summary, c.cohorts, c.applies_to, c.rule]
                for c in version.criteria.order_by("order")
            ],
        },
    }


def _attestation(signature):
    return {
        "signer": signature.signer_id,
        "signer_name": signature.signer_name,
        "meaning": signature.meaning,
        "comment": signature.comment,
        "signed_at": signature.signed_at,
        "key_id": signature.key_id,
    }


def canonical(data):
    """One byte string for one content, whatever the order of dict keys: sorted keys, no spaces, dates as ISO."""
    return json.dumps(data, sort_keys=True, default=str, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_hash(screening):
    """A fingerprint of what the sign page shows, carried by its form: signing refuses if the record changed since."""
    return _mac(settings.SIGNATURE_KEY_ID, canonical(screening_record(screening)))


def signature_mac(screening, signature):
    """The signature value: the HMAC of the record and the signature's own attestation, with the signature's key."""
    content = canonical({"record": screening_record(screening), "signature": _attestation(signature)})
    return _mac(signature.key_id, content)


def keyed_mac(key_id, data):
    """The HMAC of any record, in its canonical form, with the signature key `key_id`: for other signed records."""
    return _mac(key_id, canonical(data))


def _mac(key_id, content):
    return hmac.new(settings.SIGNATURE_KEYS[key_id].encode("utf-8"), content, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Verification:
    valid: bool
    message: str


def verify(screening):
    """Whether the screening's signature still covers its record, in words for the page, the PDF and the audit."""
    signature = screening.signature
    if not signature.key_id:
        return Verification(False, "This signature was made before signatures were keyed and cannot be verified.")
    if signature.key_id not in settings.SIGNATURE_KEYS:
        return Verification(False, f"The key this was signed with ({signature.key_id}) is not configured here.")
    if hmac.compare_digest(signature_mac(screening, signature), signature.content_hash):
        return Verification(True, "Signature verified: the record is unchanged since signing.")
    return Verification(
        False, "The record does NOT match its signature: it changed after signing, and the signature does not apply."
    )
