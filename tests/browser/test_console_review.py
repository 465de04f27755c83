"""The console for reviewers in Chromium: a rule set's criteria edited as form rows (add a row,
choose a type, fill its parameter, save, read the sentence), the review queue at 1280 px with
every column in its box, and the console at 375 px without names broken one letter a line.

The ``page`` fixture fails these tests if a page logs a script or CSP error, loads a static asset
that does not answer 200, or sends a request off this machine.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from programs.choices import EnrollmentState
from programs.models import RuleSet
from tests.belts.factories import (
    IndustrialBeltFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    StaffUserFactory,
    SuperUserFactory,
)
from tests.browser.conftest import log_in
from tests.console.test_scoping import reviewers_group
from tests.merchants.factories import MerchantFactory
from tests.programs.factories import (
    CohortFactory,
    EligibilityFactory,
    EnrollmentFactory,
    ProgramFactory,
    PublishedRuleSetFactory,
    RuleSetFactory,
)

PASSWORD = "pass-word-123"  # tests.belts.factories.UserFactory's
CONSOLE_LOGIN = reverse("admin:login")
QUEUE = reverse("admin:programs_reviewqueueitem_changelist")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}
LONG_COHORT = "Foshan furniture live-stream incubation class 2026"


@pytest.fixture
def queue(transactional_db):
    """A reviewer of the Foshan furniture center with four applications waiting, in cohorts
    with long names, long shop names and eligibility computed."""
    belt = IndustrialBeltFactory(name="Foshan furniture")
    reviewer = StaffUserFactory(username="reviewer")
    reviewer.groups.add(reviewers_group())
    OperationCenterMembershipFactory(center=OperationCenterFactory(belts=[belt]), user=reviewer)
    program = ProgramFactory(name="Source Power")
    rule_set = PublishedRuleSetFactory(program=program)
    cohorts = [
        CohortFactory(program=program, name=LONG_COHORT, seats=12),
        CohortFactory(program=program, name="Belt factories live-stream class", seats=30),
    ]
    for number in range(4):
        merchant = MerchantFactory(
            belt=belt, shop_name=f"Shengzhong Source Factory Flagship Store {number}"
        )
        EnrollmentFactory(
            merchant=merchant,
            cohort=cohorts[number % 2],
            state=EnrollmentState.SUBMITTED if number % 2 else EnrollmentState.IN_REVIEW,
            submitted_at=timezone.now() - datetime.timedelta(days=number + 1),
        )
        EligibilityFactory(merchant=merchant, rule_set=rule_set, is_eligible=number > 1)
    return reviewer


def _overflow(page, selector: str) -> list[int]:
    return page.eval_on_selector(selector, "box => [box.scrollWidth, box.clientWidth]")


def test_the_criteria_form_adds_a_row_and_saves_a_sentence(page):
    admin = SuperUserFactory(username="editor")
    draft = RuleSetFactory(criteria=[{"type": "smb", "params": {"value": True}}])
    log_in(page, admin.username, PASSWORD, path=CONSOLE_LOGIN)
    page.goto(reverse("admin:programs_ruleset_change", args=[draft.pk]))

    rows = page.locator("#criteria .criterion-row")
    assert rows.count() == 1
    # Only the chosen type's fields show.
    assert page.locator("#criteria .criterion-params:visible").count() == 1
    page.get_by_role("button", name="Add a criterion").click()
    assert rows.count() == 2
    new_row = rows.nth(1)
    new_row.locator("select.criterion-type").select_option("yoy_growth_at_least")
    field = new_row.locator("input[name='criteria-1-yoy_growth_at_least__min']")
    assert field.is_visible()
    assert new_row.locator("input[name='criteria-1-gmv_between__min']").is_hidden()
    field.fill("-150")  # out of bounds first: said on the field, in words
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue editing").click()
    assert (
        "Ensure this value is greater than or equal to -100."
        in page.locator("#criteria").inner_text()
    )
    # The row kept its type, and shows its fields only.
    assert rows.nth(1).locator("select.criterion-type").input_value() == "yoy_growth_at_least"
    rows.nth(1).locator("input[name='criteria-1-yoy_growth_at_least__min']").fill("20")
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue editing").click()

    sentences = page.locator("ol.criteria-sentences li").all_inner_texts()
    assert sentences == [
        "The merchant is a small or medium business",
        "Year-on-year GMV growth of at least 20.0%",
    ]
    draft = RuleSet.objects.get(pk=draft.pk)
    assert draft.criteria[1] == {"type": "yoy_growth_at_least", "params": {"min": "0.2"}}


def test_the_review_queue_fits_1280_px(page, queue, screenshot):
    page.set_viewport_size(DESKTOP)
    log_in(page, queue.username, PASSWORD, path=CONSOLE_LOGIN)
    page.goto(QUEUE)
    screenshot(page, "review-queue-1280")

    scroll_width, client_width = _overflow(page, "#changelist-form .results")
    assert scroll_width <= client_width, "the queue's table scrolls sideways"
    # The columns a reviewer decides by are on the screen.
    for column in ("submitted", "eligible_now", "seats"):
        box = page.locator(f"#result_list th.column-{column}").bounding_box()
        assert box["x"] + box["width"] <= DESKTOP["width"], column
    # A long cohort name takes at most two lines (lines of its text, not the row's height).
    for cell in page.locator("#result_list td.field-cohort_name").all():
        lines = cell.evaluate(
            """td => {
                const range = document.createRange();
                range.selectNodeContents(td);
                return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
            }"""
        )
        assert 1 <= lines <= 2, cell.inner_text()


def _squeezed_cells(page) -> list[str]:
    """Cells whose text runs to several lines while the cell is a few characters wide."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#content td, #content th')]
            .filter(cell => {
                const text = cell.innerText.trim();
                const box = cell.getBoundingClientRect();
                const em = parseFloat(getComputedStyle(cell).fontSize);
                return text.length > 4 && box.width > 0 && box.width < 4 * em
                    && box.height > 3 * em;
            })
            .map(cell => cell.innerText.trim().slice(0, 30))"""
    )


@pytest.mark.parametrize(
    "path",
    [reverse("admin:index"), QUEUE, reverse("admin:merchants_merchant_changelist")],
    ids=["home", "queue", "merchants"],
)
def test_the_console_on_a_phone_keeps_names_whole(page, queue, screenshot, path):
    page.set_viewport_size(PHONE)
    log_in(page, queue.username, PASSWORD, path=CONSOLE_LOGIN)
    page.goto(path)
    screenshot(page, "console-375-" + path.strip("/").replace("/", "-"))
    assert _squeezed_cells(page) == []
    # Shop names keep a readable width, and the page itself does not scroll sideways.
    names = page.locator("#result_list tbody th a, .dashboard-table tbody th[scope=row] a").all()
    assert names
    for name in names:
        assert name.bounding_box()["width"] > 60, name.inner_text()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"]


def test_the_funnel_charts_are_linear_and_their_tables_stay_in_their_box(page, queue):
    page.set_viewport_size(DESKTOP)
    admin = SuperUserFactory(username="manager")
    log_in(page, admin.username, PASSWORD, path=CONSOLE_LOGIN)
    page.goto(reverse("admin:index"))
    canvas = page.locator("canvas[data-funnel-chart]").first
    canvas.wait_for()
    scale = page.wait_for_function(
        """() => {
            const canvas = document.querySelector('canvas[data-funnel-chart]');
            const chart = window.Chart && window.Chart.getChart(canvas);
            return chart && [chart.scales.y.type, chart.scales.y.min];
        }"""
    ).json_value()
    assert scale == ["linear", 0]
    for section in page.locator(".dashboard-section").all():
        scroll_width, client_width = section.evaluate("box => [box.scrollWidth, box.clientWidth]")
        assert scroll_width <= client_width
