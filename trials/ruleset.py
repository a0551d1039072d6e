"""The one place that knows both the ORM and the rule engine: criteria and vocabularies in, a RuleSet out.

A published (active or retired) version is evaluated with the vocabulary snapshot it pins, never with the tables the
admin edits now; it never changes, so its compiled RuleSet is cached per process. A draft is compiled fresh each time
with the vocabulary tables as they are (they are the draft vocabulary).
"""

from django.db import connection

from screening.rules import CriterionSpec, RuleError, RuleSet, compile_rule
from screening.rules.vocabulary import vocabulary_from_data
from screening.rules.wording import summary_disagreements
from trials.models import Analyte, AnalyteUnit, CriteriaVersion, Drug, DrugClass, Regimen
from trials.vocabulary import live_vocabulary_data

_cache = {}
_analytes = {}


def vocabulary_load():
    """The vocabulary tables as they are now: what drafts and rule edits are checked with."""
    return vocabulary_from_data(live_vocabulary_data())


def version_vocabulary(version):
    """The vocabulary a version is evaluated with: its pinned snapshot once published, the tables while a draft."""
    if version.status == CriteriaVersion.Status.DRAFT:
        return vocabulary_load()
    if version.vocabulary_id is None:
        raise RuntimeError(f"{version} is published without a pinned vocabulary")
    return vocabulary_from_data(version.vocabulary.data)


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
    return _ruleset(version)


def screening_form_vocabulary(version):
    """What the screening form needs: the version's RuleSet, and every analyte row (the lab rows' labels; their units
    and limits come from the RuleSet's vocabulary), re-read only when the vocabulary tables changed."""
    stamp = vocabulary_stamp()
    if _analytes.get("stamp") != stamp:
        _analytes.update(stamp=stamp, analytes=list(Analyte.objects.prefetch_related("units").order_by("name")))
    return _ruleset(version), _analytes["analytes"]


def _ruleset(version):
    if version.status == CriteriaVersion.Status.DRAFT:
        return _compile(version)
    key = (version.pk, version.content_hash)
    if key not in _cache:
        _cache[key] = _compile(version)
    return _cache[key]


def _compile(version):
    specs = [criterion_spec(c) for c in version.criteria.order_by("order")]
    return RuleSet(specs, version_vocabulary(version))


def version_problems(version, vocabulary=None):
    """What stops a draft from being published, as (criterion code, problem) pairs, all at once: a rule that
    cannot be evaluated, or a summary that says another number, unit or comparison than its rule. `vocabulary`, if
    the caller has it already, is the version's (see version_vocabulary)."""
    vocabulary = vocabulary or version_vocabulary(version)
    problems = []
    criteria = list(version.criteria.order_by("order"))
    if not criteria:
        problems.append(("", f"{version.label} has no criteria."))
    for criterion in criteria:
        try:
            compile_rule(criterion.rule, vocabulary)
        except RuleError as error:
            problems.append((criterion.code, f"the rule cannot be evaluated: {error}"))
            continue
        problems += [
            (criterion.code, text)
            for text in summary_disagreements(criterion.summary, criterion.rule, vocabulary, text=criterion.text)
        ]
    return problems


def rule_check(rule):
    """The compiled rule, or RuleError saying what is wrong and where; used to validate an edit before saving."""
    return compile_rule(rule, vocabulary_load())
