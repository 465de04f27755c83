"""The console home: the admin index with the dashboard (funnels, seats, belt tiers, applications
waiting for review) above the app list."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from belts.choices import BeltTier
from config.dashboard import AWAITING_LIMIT, belt_tier_table, program_funnel_list
from merchants.models import Merchant
from programs.choices import EnrollmentState as S
from tests.belts.factories import (
    BeltYearStatFactory,
    IndustrialBeltFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    SuperUserFactory,
)
from tests.merchants.factories import MerchantFactory
from tests.programs.factories import (
    CohortFactory,
    EligibilityFactory,
    EnrollmentFactory,
    ProgramFactory,
    PublishedRuleSetFactory,
)
from tests.utils.queries import format_queries

pytestmark = pytest.mark.django_db

CONSOLE_HOME = "/console/"
CHART_JS = "vendor/chartjs/chart.umd.min.js"


def login(user, **headers) -> Client:
    client = Client(headers=headers)
    client.force_login(user)
    return client


def enroll(cohort, belt, *states) -> list:
    """One enrollment per state, each of its own merchant in ``belt``."""
    return [
        EnrollmentFactory(cohort=cohort, merchant=MerchantFactory(belt=belt), state=state)
        for state in states
    ]


def make_eligible(program, belt, eligible: int, not_eligible: int = 0) -> None:
    rule_set = PublishedRuleSetFactory(program=program)
    for index in range(eligible + not_eligible):
        EligibilityFactory(
            rule_set=rule_set, merchant=MerchantFactory(belt=belt), is_eligible=index < eligible
        )


def make_reviewer(center):
    """A staff member of ``center`` allowed to view enrollments and belt figures."""
    reviewer = OperationCenterMembershipFactory(center=center).user
    reviewer.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["programs", "belts"],
            codename__in=["view_enrollment", "view_beltyearstat"],
        )
    )
    return reviewer


@pytest.fixture
def world():
    """Two centers, each serving one belt; two programs with cohorts, eligibility rows and
    enrollments in every state; belt figures for two years."""
    belt_north, belt_south = IndustrialBeltFactory(), IndustrialBeltFactory()
    north = OperationCenterFactory(belts=[belt_north])
    south = OperationCenterFactory(belts=[belt_south])

    power = ProgramFactory(code="source-power", name="Source Power", name_zh="源头力量")
    origin = ProgramFactory(code="star-origin", name="Star Origin")
    spring = CohortFactory(program=power, name="Spring intake", seats=5)
    autumn = CohortFactory(program=power, name="Autumn intake", seats=3)
    origin_intake = CohortFactory(program=origin, name="SMB intake", seats=10)
    # Restricted to the south's belt: the north's staff do not see it.
    south_only = CohortFactory(program=origin, name="South belt intake", belt=belt_south)

    make_eligible(power, belt_north, eligible=3, not_eligible=1)
    make_eligible(origin, belt_north, eligible=2)
    # Every state once in the spring cohort, from the north's belt.
    enroll(spring, belt_north, *S.values)
    # The south's merchants: two waiting, one holding a seat.
    south_waiting = enroll(autumn, belt_south, S.SUBMITTED, S.IN_REVIEW)
    enroll(autumn, belt_south, S.ACTIVE)
    enroll(origin_intake, belt_north, S.SUBMITTED, S.DRAFT)
    enroll(south_only, belt_south, S.APPROVED)

    ten_billion = BeltYearStatFactory(
        belt=belt_north, year=2025, gmv=Decimal("12000000000"), tier=BeltTier.TEN_BILLION
    )
    growth = BeltYearStatFactory(
        belt=belt_south,
        year=2025,
        gmv=Decimal("2000000000"),
        yoy_growth=Decimal("0.4500"),
        tier=BeltTier.GROWTH,
    )
    standard = BeltYearStatFactory(year=2025, gmv=Decimal("300000000"), tier=BeltTier.STANDARD)
    last_year = BeltYearStatFactory(
        year=2024, gmv=Decimal("15000000000"), tier=BeltTier.TEN_BILLION
    )
    return {
        "north": north,
        "south": south,
        "power": power,
        "origin": origin,
        "spring": spring,
        "autumn": autumn,
        "origin_intake": origin_intake,
        "south_only": south_only,
        "south_waiting": south_waiting,
        "ten_billion": ten_billion,
        "growth": growth,
        "standard": standard,
        "last_year": last_year,
    }


def funnels_by_cohort(funnels) -> dict[str, tuple[int, ...]]:
    """Each cohort's (eligible, applied, approved, active, graduated, seats used, seats)."""
    return {
        cohort.name: (*cohort.stages, cohort.seats_used, cohort.seats)
        for program in funnels
        for cohort in program.cohorts
    }


# The page ---------------------------------------------------------------------------------------


def test_the_console_home_shows_the_funnels_and_seats_to_a_superuser(world):
    response = login(SuperUserFactory()).get(CONSOLE_HOME)

    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    assert [program.name for program in dashboard["funnels"]] == ["Source Power", "Star Origin"]
    assert funnels_by_cohort(dashboard["funnels"]) == {
        # Eligible is the program's; applied leaves out draft and expired; approved counts
        # approved, active and graduated; seats are held by approved and active.
        "Spring intake": (3, 9, 3, 2, 1, 2, 5),
        "Autumn intake": (3, 3, 1, 1, 0, 1, 3),
        "SMB intake": (2, 1, 0, 0, 0, 0, 10),
        "South belt intake": (2, 1, 1, 0, 0, 1, 10),
    }
    html = response.content.decode()
    # The table under the chart gives the same figures.
    row = re.search(rf'<tr data-cohort="{world["spring"].pk}">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="numeric">(\d+)</td>', row) == ["3", "9", "3", "2", "1"]
    assert "2 of 5" in row
    assert '<meter min="0" max="5" value="2"' in row
    # The app list is still there, below the dashboard.
    assert html.index('id="dashboard-funnels"') < html.index('class="app-programs')


def test_the_chart_data_is_a_json_script_with_a_series_per_cohort(world):
    response = login(SuperUserFactory()).get(CONSOLE_HOME)

    chart = response.context["dashboard"]["funnel_chart"]
    assert chart["stages"] == ["Eligible", "Applied", "Approved", "Active", "Graduated"]
    power = next(item for item in chart["charts"] if item["program"] == "source-power")
    assert sorted(power["series"], key=lambda series: series["label"]) == [
        {"label": "Autumn intake", "values": [3, 3, 1, 1, 0]},
        {"label": "Spring intake", "values": [3, 9, 3, 2, 1]},
    ]
    html = response.content.decode()
    assert '<script id="dashboard-funnel-data" type="application/json">' in html
    assert 'data-funnel-chart="source-power"' in html


def test_the_tier_table_lists_the_latest_years_tiered_belts(world):
    response = login(SuperUserFactory()).get(CONSOLE_HOME)

    tiers = response.context["dashboard"]["tiers"]
    assert tiers.year == 2025
    assert [(row.belt_id, row.tier) for row in tiers.rows] == [
        (world["ten_billion"].belt_id, BeltTier.TEN_BILLION),
        (world["growth"].belt_id, BeltTier.GROWTH),
    ]
    assert (tiers.ten_billion, tiers.growth, tiers.standard) == (1, 1, 1)
    html = response.content.decode()
    assert "Belt tiers, 2025" in html
    ten_billion_row = re.search(
        rf'<tr data-belt="{world["ten_billion"].belt_id}">(.*?)</tr>', html, re.S
    ).group(1)
    assert "Ten-billion belt" in ten_billion_row
    assert "CNY 12 bn" in ten_billion_row
    growth_row = re.search(rf'<tr data-belt="{world["growth"].belt_id}">(.*?)</tr>', html, re.S)
    assert "Growth belt" in growth_row.group(1)
    assert "CNY 2 bn" in growth_row.group(1)
    assert "45.0%" in growth_row.group(1)
    # Last year's ten-billion belt and this year's standard belt are not listed.
    tier_table = html.split('id="dashboard-tiers"')[1].split('id="dashboard-atlas"')[0]
    assert f'<tr data-belt="{world["last_year"].belt_id}"' not in tier_table
    assert f'<tr data-belt="{world["standard"].belt_id}"' not in tier_table


def test_the_tier_table_is_empty_before_any_figures():
    table = belt_tier_table()

    assert table.year is None
    assert table.rows == []
    response = login(SuperUserFactory()).get(CONSOLE_HOME)
    assert "No belt figures yet" in response.content.decode()


def test_a_superuser_sees_every_waiting_application(world):
    response = login(SuperUserFactory()).get(CONSOLE_HOME)

    dashboard = response.context["dashboard"]
    waiting = dashboard["awaiting"]
    assert dashboard["awaiting_count"] == 5
    assert len(waiting) == 5
    assert {row.state for row in waiting} == {S.SUBMITTED, S.IN_REVIEW}
    html = response.content.decode()
    for enrollment in world["south_waiting"]:
        assert reverse("admin:programs_enrollment_change", args=[enrollment.pk]) in html


def test_the_longest_waiting_application_comes_first_and_the_list_is_capped():
    cohort = CohortFactory()
    belt = IndustrialBeltFactory()
    now = timezone.now()
    waiting = enroll(cohort, belt, *[S.SUBMITTED] * (AWAITING_LIMIT + 2))
    for days, enrollment in enumerate(waiting):
        enrollment.submitted_at = now - datetime.timedelta(days=days)
        enrollment.save(update_fields=["submitted_at"])

    response = login(SuperUserFactory()).get(CONSOLE_HOME)

    dashboard = response.context["dashboard"]
    assert dashboard["awaiting_count"] == AWAITING_LIMIT + 2
    assert [row.enrollment_id for row in dashboard["awaiting"]] == [
        enrollment.pk for enrollment in reversed(waiting)
    ][:AWAITING_LIMIT]
    assert "?state__in=submitted,in_review" in response.content.decode()


def test_a_reviewer_sees_only_the_applications_and_funnels_of_their_centers_belts(world):
    reviewer = make_reviewer(world["north"])

    response = login(reviewer).get(CONSOLE_HOME)

    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    waiting = dashboard["awaiting"]
    assert dashboard["awaiting_count"] == 3
    assert {Merchant.objects.get(pk=row.merchant_id).belt_id for row in waiting} == set(
        world["north"].belts.values_list("pk", flat=True)
    )
    html = response.content.decode()
    # The south center's waiting applications are absent.
    for enrollment in world["south_waiting"]:
        assert reverse("admin:programs_enrollment_change", args=[enrollment.pk]) not in html
        assert enrollment.merchant.shop_name not in html
    assert funnels_by_cohort(dashboard["funnels"]) == {
        "Spring intake": (3, 9, 3, 2, 1, 2, 5),
        # Only the north's merchants count; the seats are the cohort's own.
        "Autumn intake": (3, 0, 0, 0, 0, 1, 3),
        "SMB intake": (2, 1, 0, 0, 0, 0, 10),
        # "South belt intake" is restricted to the south's belt: not shown.
    }
    assert "your operation centers serve" in html


def test_the_other_centers_reviewer_sees_their_own(world):
    reviewer = make_reviewer(world["south"])

    dashboard = login(reviewer).get(CONSOLE_HOME).context["dashboard"]

    assert {row.enrollment_id for row in dashboard["awaiting"]} == {
        enrollment.pk for enrollment in world["south_waiting"]
    }
    # No eligibility rows for the south's merchants.
    assert funnels_by_cohort(dashboard["funnels"]) == {
        "Spring intake": (0, 0, 0, 0, 0, 2, 5),
        "Autumn intake": (0, 3, 1, 1, 0, 1, 3),
        "SMB intake": (0, 0, 0, 0, 0, 0, 10),
        "South belt intake": (0, 1, 1, 0, 0, 1, 10),
    }


def test_staff_without_view_permissions_see_no_dashboard_sections(world):
    staff = OperationCenterMembershipFactory(center=world["north"]).user

    response = login(staff).get(CONSOLE_HOME)

    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    assert "funnels" not in dashboard
    assert "awaiting" not in dashboard
    assert "tiers" not in dashboard
    assert "dashboard-funnel-data" not in response.content.decode()


def test_the_console_home_needs_a_staff_login(world):
    response = Client().get(CONSOLE_HOME)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_an_app_index_page_keeps_djangos_layout():
    response = login(SuperUserFactory()).get(reverse("admin:app_list", args=["programs"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "dashboard-funnel-data" not in html
    assert "/static/css/dashboard.css" not in html


def test_the_console_home_in_chinese(world):
    response = login(SuperUserFactory(), accept_language="zh-hans").get(CONSOLE_HOME)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans"' in html
    assert "¥120亿" in html
    assert "¥20亿" in html
    assert "源头力量" in html
    # The waiting list names the program in Chinese too.
    waiting = re.search(
        r'<div class="module dashboard-section" id="dashboard-awaiting">(.*?)</table>', html, re.S
    )
    assert "源头力量" in waiting.group(1)


# Queries ----------------------------------------------------------------------------------------


def add_programs(count: int, cohorts_each: int, belt) -> None:
    for _ in range(count):
        program = ProgramFactory()
        make_eligible(program, belt, eligible=2)
        for _ in range(cohorts_each):
            cohort = CohortFactory(program=program)
            enroll(cohort, belt, S.SUBMITTED, S.APPROVED, S.ACTIVE, S.GRADUATED)


def count_queries(client: Client) -> CaptureQueriesContext:
    with CaptureQueriesContext(connection) as context:
        response = client.get(CONSOLE_HOME)
    assert response.status_code == 200
    return context


# Session, user; (a reviewer's permissions: two); eligibility per program, programs, cohorts with
# their counts; waiting list and its count; tier summary and rows; the atlas's map (the newest
# year, its belts); the admin's recent actions.
PAGE_QUERIES = {"superuser": 11, "reviewer": 13}


@pytest.mark.parametrize("who", ["superuser", "reviewer"])
def test_the_query_count_does_not_grow_with_programs_and_cohorts(who):
    belt = IndustrialBeltFactory()
    center = OperationCenterFactory(belts=[belt])
    BeltYearStatFactory(belt=belt, tier=BeltTier.TEN_BILLION, gmv=Decimal("11000000000"))
    user = SuperUserFactory() if who == "superuser" else make_reviewer(center)
    client = login(user)
    add_programs(1, cohorts_each=2, belt=belt)
    client.get(CONSOLE_HOME)  # warm up whatever is cached per process

    two_cohorts = count_queries(client)
    add_programs(2, cohorts_each=2, belt=belt)
    BeltYearStatFactory(tier=BeltTier.GROWTH)
    six_cohorts = count_queries(client)

    assert len(two_cohorts) == PAGE_QUERIES[who], format_queries(two_cohorts)
    assert len(six_cohorts) == len(two_cohorts), (
        f"2 cohorts:\n{format_queries(two_cohorts)}\n\n6 cohorts:\n{format_queries(six_cohorts)}"
    )


def test_the_funnel_reads_in_two_queries(world):
    user = SuperUserFactory()

    with CaptureQueriesContext(connection) as context:
        program_funnel_list(user=user)

    assert len(context) == 2, format_queries(context)


# What the browser is sent -----------------------------------------------------------------------


def test_the_page_has_no_inline_script_or_style(world):
    html = login(SuperUserFactory()).get(CONSOLE_HOME).content.decode()

    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "the chart scripts are loaded"
    for tag in scripts:
        assert "src=" in tag or 'type="application/json"' in tag, tag
    # Every script without src holds JSON only (json_script), never code.
    for body in re.findall(r"<script\b(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.S):
        assert body.strip().startswith(("{", "[")), body[:80]
    assert not re.search(r"\sstyle\s*=", html)
    assert "<style" not in html


def test_the_vendored_chart_library_and_the_dashboard_assets_are_served(world, settings):
    # WhiteNoise reads this when a client's first request builds the middleware: serve from the
    # finders (static/ and the apps), as DEBUG would, since tests run no collectstatic.
    settings.WHITENOISE_USE_FINDERS = True
    client = login(SuperUserFactory())
    html = client.get(CONSOLE_HOME).content.decode()

    assert finders.find(CHART_JS)
    assert finders.find("vendor/chartjs/LICENSE.md")
    for path in (CHART_JS, "js/dashboard.js", "css/dashboard.css"):
        assert f'"/static/{path}"' in html, path
        response = client.get(f"/static/{path}")
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content)
        if path == CHART_JS:
            assert body.startswith(b"/*!\n * Chart.js v4.")
            # collectstatic's manifest storage would look for the map: the reference is gone.
            assert b"sourceMappingURL" not in body
