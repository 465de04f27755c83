"""The merchant metrics page: a member sees their merchants' profile and last twelve months."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from merchants.choices import BrandStage, MembershipRole, MerchantType
from merchants.selectors import complete_months_window
from tests.belts.factories import (
    CategoryFactory,
    CityFactory,
    IndustrialBeltFactory,
    UserFactory,
)
from tests.merchants.factories import (
    MerchantFactory,
    MerchantMembershipFactory,
    MonthlyMetricFactory,
)
from tests.utils.queries import assert_num_queries

pytestmark = pytest.mark.django_db

# Session, user, memberships with their merchants, the selected merchant's metrics, the unread
# count in the navigation.
METRICS_PAGE_QUERIES = 5


def months_back(count: int) -> datetime.date:
    """The first day of the month ``count`` months before this one."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - count
    return datetime.date(index // 12, index % 12 + 1, 1)


def metrics_url(**params) -> str:
    url = reverse("merchants:metrics")
    return f"{url}?merchant={params['merchant']}" if params else url


def add_months_of_metrics(merchant, months: range) -> None:
    for back in months:
        MonthlyMetricFactory(merchant=merchant, month=months_back(back))


def test_owner_sees_profile_and_figures(owner_client, merchant):
    belt = IndustrialBeltFactory(
        name="Baoding-Baigou luggage",
        city=CityFactory(name="Baoding"),
        category=CategoryFactory(name="Luggage", slug="luggage"),
    )
    merchant.belt = belt
    merchant.category = belt.category
    merchant.merchant_type = MerchantType.OEM
    merchant.brand_stage = BrandStage.ME_BETTER
    merchant.opened_on = datetime.date(2019, 4, 8)
    merchant.save()
    last_month = months_back(1)
    MonthlyMetricFactory(
        merchant=merchant,
        month=last_month,
        gmv=Decimal("1234567.89"),
        orders=4321,
        live_gmv=Decimal("411522.00"),
        live_sessions=17,
        refund_rate=Decimal("0.0350"),
    )

    response = owner_client.get(reverse("merchants:metrics"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Baigou Travel Goods</h1>" in html
    for text in (
        "Baoding-Baigou luggage",
        "Luggage",
        "OEM manufacturer",
        "Me better",
        "April 8, 2019",
        date_format(last_month, "YEAR_MONTH_FORMAT"),
        # Amounts in the product's style (core.money.format_cny), not 1,234,568.
        '<td class="num">CNY 1.2 M</td>',
        '<td class="num">4,321</td>',
        '<td class="num">CNY 411,522</td>',
        '<td class="num">33.3%</td>',  # the live-stream share of the month's GMV
        '<td class="num">17</td>',
        '<td class="num">3.5%</td>',
    ):
        assert text in html, text
    assert "1,234,568" not in html


def test_figures_in_chinese_units_and_a_chart_above_the_table(owner_client, merchant):
    MonthlyMetricFactory(
        merchant=merchant,
        month=months_back(1),
        gmv=Decimal("7777777.00"),
        live_gmv=Decimal("1533742.00"),
    )
    owner_client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})

    response = owner_client.get(reverse("merchants:metrics"))

    html = response.content.decode()
    assert '<td class="num">¥777.8万</td>' in html
    assert '<td class="num">¥153.4万</td>' in html
    assert "1,533,742" not in html
    # The chart (drawn by portal-charts.js with the vendored Chart.js) comes before the table.
    assert html.index('data-portal-chart="metrics-gmv-chart"') < html.index("<table")
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    assert "/static/js/portal-charts.js" in html
    chart = response.context["chart"]
    assert len(chart["labels"]) == 12
    gmv, live = chart["series"]
    assert live["words"][-1] == "¥153.4万"
    assert gmv["words"][-1] == "¥777.8万"  # the newest month is the last point
    assert gmv["values"][-1] == pytest.approx(777.7777)  # in the axis unit, 万
    assert "¥万" in chart["axis"]
    assert gmv["values"][:-1] == [None] * 11  # months without figures are gaps, not zeros


def test_shows_the_twelve_complete_months_before_this_one(owner_client, merchant):
    # This month (incomplete) and the thirteenth month back fall outside the window.
    add_months_of_metrics(merchant, range(14))

    response = owner_client.get(reverse("merchants:metrics"))

    shown = [metric.month for metric in response.context["metrics"]]
    assert shown == [months_back(back) for back in range(1, 13)]
    first, last = complete_months_window(months=12)
    assert (first, last) == (months_back(12), months_back(1))


def test_no_figures_yet(owner_client):
    response = owner_client.get(reverse("merchants:metrics"))

    assert response.status_code == 200
    assert b"No figures have been received for these months yet." in response.content


def test_a_user_without_membership_gets_a_clear_message(client):
    client.force_login(UserFactory())

    response = client.get(reverse("merchants:metrics"))

    assert response.status_code == 200
    assert b"No merchant is linked to your account" in response.content
    assert b"<table" not in response.content


def test_first_merchant_by_default_and_another_of_ones_own_on_request(owner_client, owner):
    second = MerchantMembershipFactory(
        user=owner,
        merchant=MerchantFactory(shop_name="Zhejiang Cases"),
        role=MembershipRole.OPERATOR,
    ).merchant

    default = owner_client.get(reverse("merchants:metrics"))
    chosen = owner_client.get(metrics_url(merchant=second.pk))

    assert default.context["merchant"].shop_name == "Baigou Travel Goods"
    assert chosen.status_code == 200
    assert chosen.context["merchant"] == second
    assert f'href="?merchant={second.pk}" aria-current="page"' in chosen.content.decode()


@pytest.mark.parametrize("wanted", ["someone-else", "missing", "not-a-number"])
def test_a_merchant_that_is_not_ones_own_is_a_404(owner_client, wanted):
    merchant_id = {
        "someone-else": lambda: MerchantMembershipFactory().merchant_id,
        "missing": lambda: 2_000_000_000,
        "not-a-number": lambda: "abc",
    }[wanted]()

    response = owner_client.get(metrics_url(merchant=merchant_id))

    assert response.status_code == 404


def test_query_count_does_not_grow_with_months_or_memberships(owner_client, owner, merchant):
    add_months_of_metrics(merchant, range(1, 4))
    with assert_num_queries(METRICS_PAGE_QUERIES, "3 months, 1 membership"):
        response = owner_client.get(reverse("merchants:metrics"))
    assert len(response.context["metrics"]) == 3

    add_months_of_metrics(merchant, range(4, 13))
    for _ in range(2):
        MerchantMembershipFactory(user=owner, role=MembershipRole.OPERATOR)
    with assert_num_queries(METRICS_PAGE_QUERIES, "12 months, 3 memberships"):
        response = owner_client.get(reverse("merchants:metrics"))
    assert len(response.context["metrics"]) == 12
