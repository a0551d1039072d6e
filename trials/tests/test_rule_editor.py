"""The rule editor of the criterion admin: every shipped rule comes back unchanged from the form, every error of a
rule shows at once at its field, and the JSON view still works (with the line and column of a syntax error)."""

import json
from html.parser import HTMLParser

import pytest
from django.http import QueryDict
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.rules import RuleError, compile_rule
from screening.rules.shipped import load_criteria, load_vocabulary
from screening.rules.spec_errors import rule_errors
from screening.rules.specs import RULE_TYPES
from trials import rule_editor
from trials.models import Criterion
from trials.rule_editor import TYPE_MENU, TYPES, JsonValue, RuleEditor, fields_of, same
from trials.services import criteria_version_create_amendment

VOCABULARY = load_vocabulary()
SHIPPED = {criterion.code: criterion.rule for criterion in load_criteria()}


# --- A page as a browser sees it: elements, and what a form submits --------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, dict(attrs), parent, [], ""

    def walk(self, into_templates=False):
        yield self
        for child in self.children:
            if into_templates or child.tag != "template":
                yield from child.walk(into_templates)

    def find_all(self, tag=None, **attrs):
        return [
            e
            for e in self.walk()
            if (tag is None or e.tag == tag) and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def find(self, tag=None, **attrs):
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag} {attrs}>"
        return found[0]

    def all_text(self):
        return self.text + "".join(child.all_text() for child in self.children)

    def node(self):
        """The rule this element belongs to."""
        element = self
        while element is not None and "data-rule-node" not in element.attrs:
            element = element.parent
        return element


class Page(HTMLParser):
    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Element("#root", {}, None)
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, attrs, self.current))

    def handle_endtag(self, tag):
        element = self.current
        while element is not None and element.tag != tag:
            element = element.parent
        if element is not None and element.parent is not None:
            self.current = element.parent

    def handle_data(self, data):
        self.current.text += data


def parse(html):
    return Page(html).root


def form_data(element):
    """What a browser submits from the controls inside `element` (never from a <template>)."""
    data = QueryDict(mutable=True)
    for control in element.walk():
        name = control.attrs.get("name")
        if not name or "disabled" in control.attrs:
            continue
        if control.tag == "input":
            kind = control.attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in control.attrs:
                    data.appendlist(name, control.attrs.get("value", "on"))
            elif kind not in ("submit", "button", "image", "file"):
                data.appendlist(name, control.attrs.get("value", ""))
        elif control.tag == "select":
            options = control.find_all("option")
            chosen = [o for o in options if "selected" in o.attrs]
            if "multiple" not in control.attrs:
                chosen = chosen[-1:] or options[:1]
            for option in chosen:
                data.appendlist(name, option.attrs.get("value", option.all_text()))
        elif control.tag == "textarea":
            text = control.all_text()
            data.appendlist(name, text[1:] if text.startswith("\n") else text)
    return data


def view_of(page):
    """The view (form or JSON) the page opens in."""
    return next(e.attrs["value"] for e in page.find_all("input", name="rule_mode") if "checked" in e.attrs)


def editor_page(rule):
    return parse(RuleEditor(VOCABULARY, initial=rule).render({"id": "id_rule"}))


def posted(data):
    editor = RuleEditor(VOCABULARY, data=data)
    try:
        editor.clean()
    except Exception as error:
        raise AssertionError(f"{error}: {[(p.prefix, p.errors, p.node_errors) for p in editor.root.walk()]}") from None
    return editor


def row(page, prefix, key):
    """The field `key` of the rule at `prefix`."""
    node = page.find("div", data_prefix=prefix)
    return next(r for r in node.find_all("div") if r.attrs.get("data-rule-row") == key and r.node() is node)


def errors_at(page, prefix, key=None):
    """The errors shown at a field of a rule (key None: at the rule itself, and at its type)."""
    node = page.find("div", data_prefix=prefix)
    where = row(page, prefix, key) if key else node
    return [
        li.all_text()
        for ul in where.find_all("ul")
        if "errorlist" in ul.attrs.get("class", "") and ul.node() is node and (key or ul.parent is node)
        for li in ul.find_all("li")
    ]


# --- The editor is made from the specs --------------------------------------------------------------------------------


def test_every_rule_type_has_a_name_a_place_in_the_menu_and_a_form_for_each_field():
    assert set(TYPES) == set(RULE_TYPES)
    menu = [t for _, types in TYPE_MENU for t in types]
    assert sorted(menu) == sorted(RULE_TYPES)
    for rule_type, (spec_fields, _) in RULE_TYPES.items():
        fields = fields_of(rule_type)
        assert [key for key, _ in fields] == list(spec_fields)
        assert not [key for key, kind in fields if isinstance(kind, JsonValue)], rule_type


def test_a_lab_rule_offers_the_vocabulary_and_the_units_of_its_test():
    page = editor_page(SHIPPED["IN17"])
    analytes = {o.attrs["value"] for o in page.find("select", name="rule-analyte").find_all("option")}
    assert {"platelets", "anc", "wbc", "inr"} <= analytes
    units = [o.attrs["value"] for o in page.find("select", name="rule-unit").find_all("option")]
    assert units == list(VOCABULARY.analytes["platelets"].factors)
    assert page.find("input", name="rule-value").attrs["value"] == "100000"
    ops = {o.attrs["value"] for o in page.find("select", name="rule-op").find_all("option")}
    assert {">=", ">", "<=", "<"} <= ops


# --- Round trip -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", list(SHIPPED))
def test_every_shipped_rule_comes_back_unchanged_from_the_form(code):
    rule = SHIPPED[code]
    page = editor_page(rule)
    data = form_data(page)
    assert data["rule_mode"] == "editor"
    editor = posted(data)
    assert editor.rule == rule
    assert json.dumps(editor.rule) == json.dumps(rule)  # same types (1 stays 1, 2.5 stays 2.5) and key order
    # and what the form sends for it shows the same form again
    assert list(form_data(parse(editor.render({"id": "id_rule"}))).lists()) == list(data.lists())


def test_saved_order_and_explicit_defaults_come_back_too():
    rule = {
        "type": "time_since_event",
        "event": "major_surgery",
        "minimum": {"weeks": 3},
        "required": False,
    }
    assert posted(form_data(editor_page(rule))).rule == rule
    rule = {"type": "prior_agent_class", "classes": ["vegf_inhibitor", "raf_inhibitor"]}  # not in the menu's order
    assert posted(form_data(editor_page(rule))).rule == rule
    rule = {**SHIPPED["IN21"], "by_class": []}
    assert json.dumps(posted(form_data(editor_page(rule))).rule) == json.dumps(rule)
    rule = {**SHIPPED["IN20"]["rules"][0], "multiple": 2.0}  # a decimal stays a decimal
    assert json.dumps(posted(form_data(editor_page(rule))).rule) == json.dumps(rule)


def test_a_rule_the_form_cannot_show_opens_in_the_json_view():
    rule = {**SHIPPED["IN17"], "value": True}
    editor = RuleEditor(VOCABULARY, initial=rule)
    assert (editor.mode, editor.root) == ("json", None)
    page = parse(editor.render({"id": "id_rule"}))
    assert "cannot show" in page.find("p", **{"class": "rule-note"}).all_text()
    assert json.loads(form_data(page)["rule"]) == rule


# --- All errors at once -----------------------------------------------------------------------------------------------


def test_every_error_of_a_nested_rule_is_listed_with_its_path():
    rule = {
        "type": "any_of",
        "rules": [
            {"type": "lab_absolute", "analyte": "anc", "op": "==", "value": -1, "unit": "mg/dL"},
            {"type": "all_of", "rules": [{"type": "fact", "fact": "melanoma_stage", "allowed": ["stage_5", True]}]},
            {"type": "time_since_event", "event": "haircut"},
            {"type": "not"},
        ],
    }
    found = [(error.path, error.message.split(":")[0]) for error in rule_errors(rule, VOCABULARY)]
    assert found == [
        ("rules[0].op", "'==' is not one of"),
        ("rules[0].value", "must be at least 0"),
        ("rules[0].unit", "'mg/dL' is not a unit of Absolute neutrophil count"),
        ("rules[1].rules[0].allowed[0]", "'stage_5' is not a value of melanoma_stage"),
        ("rules[1].rules[0].allowed[1]", "True is not a value of melanoma_stage"),
        ("rules[2].event", "'haircut' is not one of"),
        ("rules[2]", "needs 'minimum' or 'maximum'"),
        ("rules[3]", "'rule' is required"),
    ]
    with pytest.raises(RuleError) as first:
        compile_rule(rule, VOCABULARY)
    assert (first.value.path, first.value.message) == (
        rule_errors(rule, VOCABULARY)[0].path,
        rule_errors(rule, VOCABULARY)[0].message,
    )


REPLACEMENTS = [
    None,
    "",
    "x",
    "anc",
    "weeks",
    -1,
    0,
    2,
    2.5,
    True,
    False,
    [],
    ["x"],
    [True],
    {},
    {"weeks": 0},
    {"fortnights": 2},
    {"type": "fact"},
    {"type": "allowance", "text": "ok"},
]


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*path, i))


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy = dict(value) if isinstance(value, dict) else list(value)
    if new is _DELETE and not rest:
        del copy[head]
    else:
        copy[head] = _replace(value[head], rest, new)
    return copy


_DELETE = object()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_all_errors_check_agrees_with_compile_rule(data):
    """A broken rule has errors exactly when it does not compile, and compile_rule's error is the first one."""
    rule = SHIPPED[data.draw(st.sampled_from(sorted(SHIPPED)))]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(list(_paths(rule))))
        new = data.draw(st.sampled_from([*REPLACEMENTS, _DELETE] if path else REPLACEMENTS))
        rule = _replace(rule, path, new)
    errors = rule_errors(rule, VOCABULARY)
    try:
        compile_rule(rule, VOCABULARY)
        compiled = None
    except RuleError as error:
        compiled = (error.path, error.message)
    except TypeError:  # compile_rule trips over a list where a code should be; the check does not
        compiled = "TypeError"
    if compiled is None:
        assert errors == [], rule
    else:
        assert errors, rule
        assert compiled == "TypeError" or (errors[0].path, errors[0].message) == compiled, rule


def test_no_shipped_rule_has_an_error():
    assert {
        code: rule_errors(rule, VOCABULARY) for code, rule in SHIPPED.items() if rule_errors(rule, VOCABULARY)
    } == {}


# --- In the admin -----------------------------------------------------------------------------------------------------


@pytest.fixture
def draft(active_version):
    return criteria_version_create_amendment(source=active_version)


@pytest.fixture
def admin_client(client_for, administrator):
    return client_for(administrator)


def change_url(criterion):
    return reverse("admin:trials_criterion_change", args=[criterion.pk])


def change_form(client, criterion):
    """The criterion's change form as the browser would send it back unchanged."""
    response = client.get(change_url(criterion))
    assert response.status_code == 200
    return form_data(parse(response.content.decode()).find("form", id="criterion_form"))


def send(client, url, data):
    """Posts form data as a browser does: every value of a key (the test client would keep only the last one)."""
    return client.post(url, dict(data.lists()))


def test_the_change_page_shows_the_rule_in_the_form_view(admin_client, draft):
    platelets = draft.criteria.get(code="IN17")
    response = admin_client.get(change_url(platelets))
    page = parse(response.content.decode())
    assert view_of(page) == "editor"
    assert page.find("input", name="rule-value").attrs["value"] == "100000"
    assert page.find("script", src="/static/js/rule_editor.js")
    assert page.find("link", href="/static/css/rule_editor.css")
    for rule_type in RULE_TYPES:  # a blank rule of each type, for the script
        assert page.find_all("template", data_rule_template=rule_type) or any(
            e.attrs.get("data-rule-template") == rule_type for e in page.walk(into_templates=True)
        )


def test_several_errors_in_nested_rules_show_at_their_fields_and_nothing_is_saved(admin_client, draft):
    brain = draft.criteria.get(code="EX18")  # any_of: [fact, all_of: [fact, time_between_events, fact, fact, fact]]
    data = change_form(admin_client, brain)
    data["rule-rules-1-rules-1-minimum_amount"] = "three"
    data["rule-rules-1-rules-1-then"] = "brain_metastases_treatment"  # the same event as "first"
    data.setlist("rule-rules-1-rules-0-allowed_brain_metastases_treatment_type", [])
    data["rule-rules-0-fact"] = ""
    data.update({"rule-rules-7-type": ""})  # a rule added and its type not chosen
    data.update({"rule-rules-8-type": "lab_absolute", "rule-rules-8-analyte": "anc", "rule-rules-8-value": "-5"})
    data.update({"rule-rules-8-unit": "mg/dL", "rule-rules-8-op": ""})

    response = send(admin_client, change_url(brain), data)

    assert response.status_code == 200
    page = parse(response.content.decode())
    assert "This rule has 9 problems, each shown at its field below." in response.content.decode()
    assert errors_at(page, "rule-rules-0", "fact") == ["This field is required."]
    assert errors_at(page, "rule-rules-1-rules-0", "allowed") == ["This field is required."]
    assert errors_at(page, "rule-rules-1-rules-1", "minimum") == ["Must be a whole number above 0."]
    assert errors_at(page, "rule-rules-1-rules-1", "then") == ["Must be another event than “First event”."]
    assert errors_at(page, "rule-rules-7") == ["Choose a rule type."]
    assert errors_at(page, "rule-rules-8", "op") == ["This field is required."]
    assert errors_at(page, "rule-rules-8", "value") == ["Must be at least 0."]
    assert errors_at(page, "rule-rules-8", "unit")[0].startswith("'mg/dL' is not a unit of Absolute neutrophil count")
    assert len(errors_at(page, "rule-rules-8", "unit")) == 1
    assert errors_at(page, "rule-rules-0", "allowed") == ["This field is required."]  # no fact, so no values
    # what was typed is still there, to correct
    assert page.find("input", name="rule-rules-1-rules-1-minimum_amount").attrs["value"] == "three"
    assert view_of(page) == "editor"
    brain.refresh_from_db()
    assert brain.rule == SHIPPED["EX18"]


def test_a_threshold_changed_in_the_form_is_saved(admin_client, draft):
    platelets = draft.criteria.get(code="IN17")
    data = change_form(admin_client, platelets)
    data["rule-value"] = "75000"
    response = send(admin_client, change_url(platelets), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    platelets.refresh_from_db()
    assert platelets.rule == {**SHIPPED["IN17"], "value": 75000}
    assert isinstance(platelets.rule["value"], int)
    assert platelets.history.first().history_user.username == "administrator"


def test_an_unchanged_form_saves_the_identical_rule(admin_client, draft):
    for code in ("IN02", "IN09", "IN13", "IN14", "EX18"):
        criterion = draft.criteria.get(code=code)
        response = send(admin_client, change_url(criterion), change_form(admin_client, criterion))
        assert response.status_code == 302, (code, response.content.decode()[:2000])
        criterion.refresh_from_db()
        assert same(criterion.rule, SHIPPED[code])  # jsonb keeps keys in its own order; types and lists are kept


def test_the_json_view_saves(admin_client, draft):
    anc = draft.criteria.get(code="IN16")
    data = change_form(admin_client, anc)
    data["rule_mode"] = "json"
    data["rule"] = json.dumps({**SHIPPED["IN16"], "value": 1000}, indent=2)
    data["rule-value"] = "1"  # the form view is not read
    response = send(admin_client, change_url(anc), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    anc.refresh_from_db()
    assert anc.rule["value"] == 1000


def test_a_json_syntax_error_names_its_line_and_column(admin_client, draft):
    anc = draft.criteria.get(code="IN16")
    data = change_form(admin_client, anc)
    data["rule_mode"] = "json"
    data["rule"] = '{\n  "type": "lab_absolute",\n  "analyte": "anc"\n  "op": ">="\n}'
    response = send(admin_client, change_url(anc), data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Enter a valid JSON: line 4, column 3: expecting &#x27;,&#x27; delimiter." in text
    page = parse(text)
    textarea = page.find("textarea", name="rule")
    assert textarea.attrs["data-error-position"] == str(data["rule"].index('"op"'))
    assert view_of(page) == "json"
    anc.refresh_from_db()
    assert anc.rule == SHIPPED["IN16"]


def test_json_view_errors_are_all_listed_and_shown_in_the_form_view_too(admin_client, draft):
    anc = draft.criteria.get(code="IN16")
    data = change_form(admin_client, anc)
    data["rule_mode"] = "json"
    data["rule"] = json.dumps({**SHIPPED["IN16"], "unit": "furlongs", "op": "=="})
    response = send(admin_client, change_url(anc), data)
    text = response.content.decode()
    assert "This rule cannot be evaluated: op: &#x27;==&#x27; is not one of" in text
    assert (
        "This rule cannot be evaluated: unit: &#x27;furlongs&#x27; is not a unit of Absolute neutrophil count" in text
    )
    assert errors_at(parse(text), "rule", "unit")[0].startswith("'furlongs' is not a unit")


def test_changing_a_rules_type_saves_the_new_type_with_its_fields(admin_client, draft):
    liver = draft.criteria.get(code="IN20")  # all_of: [AST <= 2.5 x ULN, ALT <= 2.5 x ULN]
    data = change_form(admin_client, liver)
    for key in [k for k in data if k.startswith("rule-rules-1-")]:
        del data[key]
    data.update(
        {
            "rule-rules-1-type": "lab_absolute",
            "rule-rules-1-analyte": "alt",
            "rule-rules-1-op": "<=",
            "rule-rules-1-value": "100",
            "rule-rules-1-unit": "U/L",
        }
    )
    data["rule-type"] = "any_of"  # and the group: all of -> any of
    response = send(admin_client, change_url(liver), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    liver.refresh_from_db()
    assert liver.rule == {
        "type": "any_of",
        "rules": [
            SHIPPED["IN20"]["rules"][0],
            {"type": "lab_absolute", "analyte": "alt", "op": "<=", "value": 100, "unit": "U/L"},
        ],
    }


def test_adding_and_removing_rules_of_a_group(admin_client, draft):
    brain = draft.criteria.get(code="EX18")
    data = change_form(admin_client, brain)
    # remove the second rule of the inner group (the time between events), keeping the numbers of the others
    for key in [k for k in data if k.startswith("rule-rules-1-rules-1-")]:
        del data[key]
    # add a rule to the inner group, numbered after the last one (as the script does)
    data.update({"rule-rules-1-rules-5-type": "grade", "rule-rules-1-rules-5-scale": "ecog"})
    data["rule-rules-1-rules-5-maximum"] = "2"
    # and a condition to a "not" wrapped around the first rule
    data.update({"rule-rules-9-type": "not", "rule-rules-9-rule-type": "age", "rule-rules-9-rule-minimum_years": "90"})
    response = send(admin_client, change_url(brain), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    brain.refresh_from_db()
    inner = SHIPPED["EX18"]["rules"][1]["rules"]
    assert brain.rule == {
        "type": "any_of",
        "rules": [
            SHIPPED["EX18"]["rules"][0],
            {
                "type": "all_of",
                "rules": [inner[0], *inner[2:], {"type": "grade", "scale": "ecog", "maximum": 2}],
            },
            {"type": "not", "rule": {"type": "age", "minimum_years": 90}},
        ],
    }


def test_a_washout_entry_and_a_condition_can_be_added_and_removed(admin_client, draft):
    chemo = draft.criteria.get(code="IN09")  # all_of: [time_since_therapy with one by_class entry, attestation]
    data = change_form(admin_client, chemo)
    for key in [k for k in data if k.startswith("rule-rules-0-by_class-0-")]:
        del data[key]
    data.update({"rule-rules-0-by_class-3-hints": "", "rule-rules-0-by_class-3-minimum_amount": "8"})
    data.update({"rule-rules-0-by_class-3-minimum_unit": "weeks"})
    data.setlist("rule-rules-0-by_class-3-classes", ["mitomycin"])
    response = send(admin_client, change_url(chemo), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    chemo.refresh_from_db()
    assert chemo.rule["rules"][0]["by_class"] == [{"classes": ["mitomycin"], "minimum": {"weeks": 8}}]

    heparin = draft.criteria.get(code="IN13")  # concurrent_medication with allowed_if
    data = change_form(admin_client, heparin)
    for key in [k for k in data if k.startswith("rule-allowed_if-")]:
        del data[key]
    assert send(admin_client, change_url(heparin), data).status_code == 302
    heparin.refresh_from_db()
    assert "allowed_if" not in heparin.rule


def test_a_new_criterion_starts_with_a_rule_to_choose(admin_client, draft):
    response = admin_client.get(reverse("admin:trials_criterion_add"))
    assert response.status_code == 200
    page = parse(response.content.decode())
    assert page.find("select", name="rule-type")
    data = form_data(page.find("form", id="criterion_form"))
    data.update({"version": str(draft.pk), "order": "99", "code": "IN99", "kind": "inclusion", "category": "other"})
    data.update({"text": "Age 18 or older", "summary": "Age 18+", "cohorts": "both", "applies_to": "everyone"})
    response = send(admin_client, reverse("admin:trials_criterion_add"), data)
    assert response.status_code == 200
    assert errors_at(parse(response.content.decode()), "rule") == ["Choose a rule type."]
    data.update({"rule-type": "age", "rule-minimum_years": "18"})
    response = send(admin_client, reverse("admin:trials_criterion_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Criterion.objects.get(version=draft, code="IN99").rule == {"type": "age", "minimum_years": 18}


def test_a_saved_rule_the_form_cannot_show_opens_as_json(admin_client, draft):
    platelets = draft.criteria.get(code="IN17")
    Criterion.objects.filter(pk=platelets.pk).update(rule={**SHIPPED["IN17"], "value": True})
    page = parse(admin_client.get(change_url(platelets)).content.decode())
    assert view_of(page) == "json"
    assert json.loads(page.find("textarea", name="rule").all_text())["value"] is True


# --- The views, converted by the server for the script ---------------------------------------------------------------


def convert_url():
    return reverse(f"admin:{rule_editor.URL_NAME}")


def test_the_form_converts_to_json_and_back(admin_client, draft):
    platelets = draft.criteria.get(code="IN17")
    data = change_form(admin_client, platelets)
    data["rule-value"] = "75000"
    data["_rule_convert"] = "json"
    response = send(admin_client, convert_url(), data)
    assert json.loads(response.json()["json"]) == {**SHIPPED["IN17"], "value": 75000}

    data["rule"] = json.dumps({**SHIPPED["IN17"], "value": 50000, "unit": "furlongs"})
    data["_rule_convert"] = "editor"
    html = send(admin_client, convert_url(), data).json()["html"]
    pane = parse(html)
    assert pane.find("input", name="rule-value").attrs["value"] == "50000"
    assert errors_at(pane, "rule", "unit")[0].startswith("'furlongs' is not a unit of Platelet count")

    data["rule"] = '{"type": "lab_absolute",}'
    error = send(admin_client, convert_url(), data).json()["error"]
    assert error.startswith("Enter a valid JSON: line 1, column 25:")
    platelets.refresh_from_db()
    assert platelets.rule == SHIPPED["IN17"]  # converting never saves


@pytest.mark.parametrize("persona", ["coordinator", "investigator"])
def test_only_administrators_convert(request, client_for, draft, persona):
    client = client_for(request.getfixturevalue(persona))
    response = client.post(convert_url(), {"_rule_convert": "json", "rule-type": "age"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
