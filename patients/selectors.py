from django.db.models import Q

from patients.models import Candidate
from patients.visibility import candidate_fields_hidden_from


def candidate_search(*, user, query, limit=50):
    query = query.strip()
    if not query:
        return Candidate.objects.none()
    condition = (
        Q(screening_number__iexact=query)
        | Q(screening_number__iendswith=query)
        | Q(initials__iexact=query)
        | Q(screenings__number__iexact=query)
    )
    if "mrn" not in candidate_fields_hidden_from(user):
        condition |= Q(mrn__icontains=query) if len(query) >= 4 else Q(mrn__iexact=query)
    matching = Candidate.objects.filter(condition).values("pk")
    return Candidate.objects.filter(pk__in=matching).prefetch_related("screenings").order_by("screening_number")[:limit]
