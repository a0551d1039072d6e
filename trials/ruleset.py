"""The one place that knows both the ORM and the rule engine: criteria and vocabularies in, a RuleSet out.

Active and retired versions never change, so their compiled RuleSet is cached per process, keyed by the version
and a stamp of the vocabularies (editing a drug or a unit invalidates it). Drafts are compiled fresh each time.
"""

from django.db import connection

from screening.rules import AnalyteDef, CriterionSpec, DrugDef, RuleSet, Vocabulary, compile_rule
from screening.rules.vocabulary import RegimenDef
from trials.models import Analyte, AnalyteUnit, CriteriaVersion, Drug, DrugClass, Regimen

_cache = {}
_analytes = {}


def vocabulary_load():
    analytes = {analyte.code: analyte_def(analyte) for analyte in Analyte.objects.prefetch_related("units")}
    drugs = tuple(
        DrugDef(
            drug.generic_name,
            tuple(drug.synonyms) + tuple(drug.brand_names),
            frozenset(drug_class.code for drug_class in drug.classes.all()),
            brand=next(iter(drug.brand_names), None),
        )
        for drug in Drug.objects.prefetch_related("classes")
    )
    classes = list(DrugClass.objects.all())
    regimens = tuple(
        RegimenDef(regimen.name, tuple(regimen.synonyms), tuple(d.generic_name for d in regimen.drugs.all()))
        for regimen in Regimen.objects.prefetch_related("drugs")
    )
    return Vocabulary(
        analytes,
        drugs,
        {c.code: c.name for c in classes},
        {c.code: c.therapy_kind for c in classes if c.therapy_kind},
        {c.code: tuple(c.synonyms) for c in classes if c.synonyms},
        regimens,
        frozenset(c.code for c in classes if c.systemic_use_only),
    )


def analyte_def(analyte):
    """The engine's view of an analyte: its units with their spellings, and its ranges. Expects units prefetched.
    Units keep the order they were added in (the common ones first), which is the order the form offers them in."""
    units = sorted(analyte.units.all(), key=lambda unit: unit.pk)
    return AnalyteDef(
        analyte.code,
        analyte.name,
        analyte.abbreviation,
        analyte.canonical_unit,
        {unit.unit: float(unit.factor) for unit in units},
        {alias: unit.unit for unit in units for alias in unit.aliases},
        (analyte.plausible_min, analyte.plausible_max),
        (analyte.possible_min, analyte.possible_max),
    )


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
    """Changes whenever a drug, drug class, regimen, analyte or unit is added, edited or deleted. One query."""
    sql = " UNION ALL ".join(
        f"SELECT '{model._meta.db_table}', COUNT(*), MAX(updated_at) FROM {model._meta.db_table}"
        for model in (Drug, DrugClass, Regimen, Analyte, AnalyteUnit)
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
