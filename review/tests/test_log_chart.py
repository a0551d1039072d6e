"""The screen-fail log's trend chart: an SVG drawn on the server with axes, labels that never overlap, three series,
a legend, tooltips, an accessible summary and the same numbers as a table; read back from the page as XML."""

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from html.parser import HTMLParser
from itertools import pairwise

import pytest
from django.urls import reverse

from review.log_views import _ticks

SVG = "{http://www.w3.org/2000/svg}"
FONT = 13  # the labels' font size in app.css, in the chart's units


@pytest.fixture
def investigator_client(client_for, investigator):
    return client_for(investigator)


@pytest.fixture
def screened(screening_for):
    """A screening on a day with a verdict and an enrollment outcome, written by hand (no engine)."""

    def make(day, verdict="eligible", enrollment=""):
        screening = screening_for(screening_date=day)
        screening.status = "evaluated"
        screening.verdict = verdict
        screening.enrollment = enrollment
        screening.save()
        return screening

    return make


@pytest.fixture
def spring(screened):
    """March: 1 screening, enrolled; April: 3, 2 of them screen-fails; May: 3, 1 screen-fail, 1 enrolled."""
    screened(date(2026, 3, 10), enrollment="enrolled")
    screened(date(2026, 4, 2), enrollment="declined")
    screened(date(2026, 4, 20), "ineligible")
    screened(date(2026, 4, 21), "ineligible")
    screened(date(2026, 5, 5), "ineligible")
    screened(date(2026, 5, 6), "incomplete")
    screened(date(2026, 5, 7), enrollment="enrolled")


SPRING = {"March 2026": (1, 0, 1), "April 2026": (3, 2, 0), "May 2026": (3, 1, 1)}


def page(client, **params):
    response = client.get(reverse("review:log"), params)
    assert response.status_code == 200
    return response.content.decode()


def svg_of(html):
    match = re.search(r'<svg class="trend[^"]*" id="trend-chart".*?</svg>', html, re.S)
    assert match, "no trend chart on the page"
    return ET.fromstring(match.group(0))


def texts(svg, css):
    return ["".join(node.itertext()).strip() for node in svg.iter(f"{SVG}text") if css in node.get("class").split()]


def bars(svg):
    """{period name: (screenings, screen-fails, enrolled)} read from the bars' tooltips."""
    found = {}
    for css, series in (("bar-screened", 0), ("bar-failed", 1), ("bar-enrolled", 2)):
        for rect in svg.iter(f"{SVG}rect"):
            if css in rect.get("class").split():
                name, count = re.fullmatch(r"(.+): (\d+) \S+", rect.find(f"{SVG}title").text).groups()
                found.setdefault(name, [0, 0, 0])[series] = int(count)
    return {name: tuple(counts) for name, counts in found.items()}


class _Table(HTMLParser):
    """The rows of the chart's table fallback (#chart-data), cell texts only."""

    def __init__(self):
        super().__init__()
        self.rows, self.inside, self.cell = [], False, None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("id", "chart-data") in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th"):
            self.rows[-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def table_of(html):
    parser = _Table()
    parser.feed(html)
    header, *rows = parser.rows
    return header, rows


def test_the_y_axis_has_round_ticks_with_gridlines_and_the_x_axis_month_labels(investigator_client, spring):
    svg = svg_of(page(investigator_client))
    assert texts(svg, "tick-label") == ["0", "1", "2", "3"]
    gridlines = [line for line in svg.iter(f"{SVG}line") if "grid" in line.get("class").split()]
    assert len(gridlines) == 4
    assert texts(svg, "x-label") == ["Mar 2026", "Apr 2026", "May 2026"]


def test_three_series_per_period_with_the_counts_and_a_tooltip_on_every_bar(investigator_client, spring):
    svg = svg_of(page(investigator_client))
    assert bars(svg) == SPRING
    rects = [rect for rect in svg.iter(f"{SVG}rect") if "bar" in rect.get("class").split()]
    assert len(rects) == 3 * 3
    assert all(rect.find(f"{SVG}title").text for rect in rects)
    # Heights are to scale: 3 screenings reach the top tick, 1 a third of it.
    heights = {rect.find(f"{SVG}title").text: float(rect.get("height")) for rect in rects}
    assert heights["April 2026: 3 screenings"] == pytest.approx(3 * heights["March 2026: 1 screening"], abs=0.2)
    assert heights["March 2026: 0 screen-fails"] == 0


def test_a_legend_a_summary_for_screen_readers_and_a_width_of_400_or_more(investigator_client, spring):
    html = page(investigator_client)
    svg = svg_of(html)
    assert svg.get("role") == "img"
    label = svg.get("aria-label")
    for part in ("per month", "March 2026 to May 2026", "7 screenings", "3 screen-fails", "2 enrolled"):
        assert part in label
    assert int(svg.get("width")) >= 400
    assert svg.get("viewBox") == f"0 0 {svg.get('width')} {svg.get('height')}"
    assert "trend-fit" in svg.get("class")  # scaled to the column by app.css, never under 400 px
    legend = re.search(r'<ul[^>]*id="chart-legend".*?</ul>', html, re.S).group(0)
    for series in ("legend-screened", "legend-failed", "legend-enrolled", "screenings", "screen-fails", "enrolled"):
        assert series in legend


def test_the_table_fallback_has_the_same_numbers(investigator_client, spring):
    html = page(investigator_client)
    assert "<summary>Show as a table</summary>" in html
    header, rows = table_of(html)
    assert header == ["Month", "Screenings", "Screen-fails", "Enrolled"]
    *periods, total = rows
    table = {name: tuple(int(n) for n in numbers) for name, *numbers in periods}
    assert table == SPRING == bars(svg_of(html))
    assert total == ["In all", "7", "3", "2"]


def test_by_week_with_the_weeks_without_a_screening_on_the_axis_too(investigator_client, screened):
    screened(date(2026, 3, 10), "ineligible")  # the week of Monday 9 March
    screened(date(2026, 3, 12), enrollment="enrolled")
    screened(date(2026, 3, 25))  # the week of 23 March; none in the week of 16 March
    html = page(investigator_client, period="week")
    svg = svg_of(html)
    assert "per week" in svg.get("aria-label")
    assert texts(svg, "x-label") == ["9 Mar 2026", "16 Mar", "23 Mar"]  # the year once, where it starts
    expected = {"Week of 9 Mar 2026": (2, 1, 1), "Week of 16 Mar 2026": (0, 0, 0), "Week of 23 Mar 2026": (1, 0, 0)}
    assert bars(svg) == expected
    header, rows = table_of(html)
    assert header[0] == "Week"
    assert {name: tuple(int(n) for n in numbers) for name, *numbers in rows[:-1]} == expected
    assert texts(svg, "tick-label") == ["0", "1", "2"]


def test_labels_thin_out_for_18_months_of_weeks_and_never_overlap(investigator_client, screened):
    first = date(2025, 1, 6)  # a Monday
    for week in range(0, 79, 3):  # to 6 July 2026, 18 months on
        screened(first + timedelta(weeks=week))
    svg = svg_of(page(investigator_client, period="week"))
    periods = len(bars(svg))
    assert periods == 79  # every week, with a screening or not
    labels = [node for node in svg.iter(f"{SVG}text") if node.get("class") == "x-label"]
    assert 6 <= len(labels) < periods / 4
    centres = [float(node.get("x")) for node in labels]
    steps = [b - a for a, b in pairwise(centres)]
    assert max(steps) - min(steps) < 0.5  # every n-th week, evenly
    words = [node.text.strip() for node in labels]
    for (a, x_a), (b, x_b) in pairwise(zip(words, centres, strict=True)):
        assert x_b - x_a >= (len(a) + len(b)) / 2 * FONT * 0.6, (a, b)  # half of each label on either side
    years = [node.find(f"{SVG}tspan").text for node in labels if node.find(f"{SVG}tspan") is not None]
    assert years == ["2025", "2026"]
    assert float(labels[-1].get("x")) <= int(svg.get("width"))


def test_no_screenings_in_the_range_says_so_instead_of_an_empty_chart(investigator_client, spring):
    html = page(investigator_client, date_from="2027-01-01", date_to="2027-12-31")
    assert "No screenings in this range" in html
    assert 'id="trend-chart"' not in html
    assert 'id="chart-data"' not in html


@pytest.mark.parametrize(
    ("tallest", "ticks"),
    [
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (23, [0, 5, 10, 15, 20, 25]),
        (100, [0, 20, 40, 60, 80, 100]),
        (1234, [0, 500, 1000, 1500]),
    ],
)
def test_ticks_are_round_numbers(tallest, ticks):
    assert _ticks(tallest) == ticks
