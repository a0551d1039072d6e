"""The one place that knows both the ORM and the rule engine: criteria and vocabularies in, a RuleSet out.

Active and retired versions never change, so their compiled RuleSet is cached per process, keyed by the version
and a stamp of the vocabularies (editing a drug or a unit invalidates it). Drafts are compiled fresh each time.
"""

from django.db import connection

from screening.rules import AnalyteDef, CriterionSpec, DrugDef, RuleSet, Vocabulary, compile_rule
from trials.models import Analyte, AnalyteUnit, CriteriaVersion, Drug, DrugClass

_cache = {}
_analytes = {}


def vocabulary_load():
    analytes = {
        analyte.code: AnalyteDef(
            analyte.code,
            analyte.name,
            analyte.abbreviation,
            analyte.canonical_unit,
            {unit.unit: float(unit.factor) for unit in analyte.units.all()},
        )
        for analyte in Analyte.objects.prefetch_related("units")
    }
    drugs = tuple(
        DrugDef(
            drug.generic_name,
            tuple(drug.synonyms) + tuple(drug.brand_names),
            frozenset(drug_class.code for drug_class in drug.classes.all()),
        )
        for drug in Drug.objects.prefetch_related("classes")
    )
    drug_classes = dict(DrugClass.objects.values_list("code", "name"))
    return Vocabulary(analytes, drugs, drug_classes)


def criterion_spec(criterion):
    return CriterionSpec(
        code=criterion.code,
        kind=criterion.kind,
        category=criterion.category,
        text=criterion.text,
        summary=criterion.summary,
        cohorts=criterion.cohorts,
        applies_to=criterion.applies_to,
        rule=criterion.rule,
    )


def vocabulary_stamp():
    """Changes whenever a drug, drug class, analyte or unit is added, edited or deleted. One query."""
    sql = " UNION ALL ".join(
        f"SELECT '{model._meta.db_table}', COUNT(*), MAX(updated_at) FROM {model._meta.db_table}"
        for model in (Drug, DrugClass, Analyte, AnalyteUnit)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(sorted(cursor.fetchall()))


def ruleset_for_version(version):
    """The compiled RuleSet of a criteria version (raises RuleError if a draft's rule cannot be compiled)."""
    return _ruleset(version, vocabulary_stamp())


def screening_form_vocabulary(version):
    """What the screening form needs, checked against one read of the stamp: the version's RuleSet, and every analyte
    with its accepted units (for the lab rows)."""
    stamp = vocabulary_stamp()
    if _analytes.get("stamp") != stamp:
        _analytes.update(stamp=stamp, analytes=list(Analyte.objects.prefetch_related("units").order_by("name")))
    return _ruleset(version, stamp), _analytes["analytes"]


def _ruleset(version, stamp):
    if version.status == CriteriaVersion.Status.DRAFT:
        return _compile(version)
    cached = _cache.get(version.pk)
    if cached is None or cached[0] != stamp:
        cached = _cache[version.pk] = (stamp, _compile(version))
    return cached[1]


def _compile(version):
    specs = [criterion_spec(c) for c in version.criteria.order_by("order")]
    return RuleSet(specs, vocabulary_load())


def rule_check(rule):
    """The compiled rule, or RuleError saying what is wrong and where; used to validate an edit before saving."""
    return compile_rule(rule, vocabulary_load())
