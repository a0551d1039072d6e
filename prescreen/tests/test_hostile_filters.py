"""Whatever a query string holds, the results' filters give a valid choice or a field error, and the results query
built from them runs: never an exception, never a filter on a key the run's criteria do not have."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prescreen import selectors
from prescreen.forms import ResultFilterForm

pytestmark = pytest.mark.django_db

texts = st.one_of(st.text(max_size=40), st.sampled_from(["EX14", "IN00", "not_met", "unknown", "1", "3", "", " "]))
queries = st.dictionaries(st.sampled_from(["standing", "criterion", "status", "page"]), texts, max_size=4)


@pytest.fixture
def run(run_in_process):
    return run_in_process()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries)
def test_any_filter_query_is_a_valid_choice_or_a_field_error(run, query):
    criteria = selectors.run_criteria(run)
    form = ResultFilterForm(query, criteria=criteria)
    if not form.is_valid():
        assert set(form.errors) <= {"standing", "criterion", "status"}
        return
    filters = {key: value for key, value in form.cleaned_data.items() if value}
    assert filters.get("criterion") in {None, *(code for code, _ in criteria)}
    rows = list(selectors.results(run, **filters))
    assert len(rows) <= 3
