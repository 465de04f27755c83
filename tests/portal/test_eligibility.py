"""The eligibility page: per active program, the outcome and a line per criterion saying what it
would take; the merchant's facts; only one's own merchants."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from merchants.choices import MembershipRole
from programs.services.eligibility import eligibility_recompute
from tests.belts.factories import UserFactory
from tests.merchants.factories import MerchantFactory, MerchantMembershipFactory
from tests.programs.factories import ProgramFactory, PublishedRuleSetFactory
from tests.utils.months import add_trailing_gmv
from tests.utils.queries import assert_num_queries

pytestmark = pytest.mark.django_db

# Session, user, memberships, unread count; facts (aggregation, belt tiers, category slugs);
# programs, their published rule sets, the merchant's eligibility with its rule set, the open
# cohorts, the merchant's open applications.
ELIGIBILITY_PAGE_QUERIES = 12


def eligibility_url(merchant_id=None) -> str:
    url = reverse("programs:eligibility")
    return f"{url}?merchant={merchant_id}" if merchant_id is not None else url


def publish(code: str, criteria: list, **program) -> PublishedRuleSetFactory:
    return PublishedRuleSetFactory(
        program=ProgramFactory(code=code, **program), version=1, criteria=criteria
    )


@pytest.fixture
def programs(merchant):
    """The merchant has 0.8 M of GMV over twelve months and ten live sessions in three."""
    add_trailing_gmv(merchant, Decimal("66666.67"))
    publish(
        "source-power",
        [
            {"type": "gmv_between", "params": {"min": "2000000"}},
            {"type": "smb", "params": {"value": True}},
        ],
        name="Source Power",
        name_zh="源头力量",
    )
    publish(
        "star-origin",
        [{"type": "gmv_between", "params": {"min": "500000"}}],
        name="Star Origin",
    )
    eligibility_recompute(merchant_ids=[merchant.pk])


def test_shows_each_program_with_pass_fail_and_what_it_would_take(owner_client, programs):
    response = owner_client.get(eligibility_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "Eligibility of Baigou Travel Goods" in html
    # Closest first: the eligible program before the one the merchant falls short of.
    star_origin, source_power = response.context["standings"]
    assert source_power.name == "Source Power"
    assert source_power.eligibility.is_eligible is False
    assert star_origin.eligibility.is_eligible is True
    assert [line.passed for line in source_power.lines] == [False, True]
    # The failing criterion says what it would take, in the criterion's unit.
    shortfall = "CNY 1.2 M more GMV over 12 months"
    assert shortfall in source_power.lines[0].message
    assert shortfall in html
    assert "The merchant is a small or medium business." in html
    assert html.count('class="criterion criterion--fail"') == 1
    assert html.count('class="criterion criterion--pass"') == 2
    assert "Not eligible" in html
    assert "1 criterion is not met yet" in html
    assert "Rules version 1, assessed on" in html


def test_shows_the_merchants_facts(owner_client, merchant, programs):
    merchant.opened_on = datetime.date(2020, 3, 1)
    merchant.save()

    response = owner_client.get(eligibility_url())

    facts = {fact.label: fact.value for fact in response.context["facts"]}
    assert facts["Trailing 12-month GMV"] == "CNY 800,000"
    assert facts["Year-on-year growth"] == "—"  # no prior year
    assert facts["Live-stream share of GMV"] == "0.0%"
    assert facts["Live sessions, last 90 days"] == "0"
    assert facts["Average refund rate"] == "0.0%"
    assert facts["Store age"].endswith("months")
    assert facts["Belt tier"] == "Not yet classified"
    assert "CNY 800,000" in response.content.decode()


def test_the_page_follows_the_language(owner_client, programs):
    owner_client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})

    response = owner_client.get(eligibility_url())

    html = response.content.decode()
    assert "¥120万" in html  # the shortfall, in units of 10,000
    assert "CNY 1.2 M" not in html
    assert response.context["standings"][1].name == "源头力量"


def test_programs_not_assessed_or_without_rules_say_so(owner_client, merchant):
    publish("blue-star", [{"type": "smb", "params": {}}], name="Blue Star")
    ProgramFactory(code="thousand-stars", name="Thousand Stars")
    ProgramFactory(code="closed", name="Closed program", is_active=False)

    response = owner_client.get(eligibility_url())

    html = response.content.decode()
    assert [s.program.code for s in response.context["standings"]] == [
        "blue-star",
        "thousand-stars",
    ]
    assert "has not been assessed for this program yet" in html
    assert "has not published its criteria yet" in html
    assert "Closed program" not in html


def test_another_of_ones_own_merchants_on_request(owner_client, owner):
    second = MerchantMembershipFactory(
        user=owner,
        merchant=MerchantFactory(shop_name="Zhejiang Cases"),
        role=MembershipRole.OPERATOR,
    ).merchant

    response = owner_client.get(eligibility_url(second.pk))

    assert response.status_code == 200
    assert response.context["merchant"] == second
    assert f'href="?merchant={second.pk}" aria-current="page"' in response.content.decode()


@pytest.mark.parametrize("wanted", ["someone-else", "missing", "not-a-number"])
def test_a_merchant_that_is_not_ones_own_is_a_404(owner_client, wanted):
    merchant_id = {
        "someone-else": lambda: MerchantMembershipFactory().merchant_id,
        "missing": lambda: 2_000_000_000,
        "not-a-number": lambda: "abc",
    }[wanted]()

    assert owner_client.get(eligibility_url(merchant_id)).status_code == 404


def test_a_user_without_membership_gets_a_clear_message(client):
    client.force_login(UserFactory())

    response = client.get(eligibility_url())

    assert response.status_code == 200
    assert b"No merchant is linked to your account" in response.content


def test_anonymous_is_sent_to_the_portal_login(client):
    url = eligibility_url()

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={url}"


def test_a_new_version_being_rolled_out_is_flagged(owner_client, merchant, programs):
    rule_set = PublishedRuleSetFactory._meta.model.objects.get(program__code="star-origin")
    rule_set.status = "retired"
    rule_set.retired_at = timezone.now()
    rule_set.save()
    PublishedRuleSetFactory(program=rule_set.program, version=2, criteria=[])

    response = owner_client.get(eligibility_url())

    assert "New rules have been published" in response.content.decode()


def test_query_count_does_not_grow_with_programs_or_criteria(owner_client, merchant, programs):
    with assert_num_queries(ELIGIBILITY_PAGE_QUERIES, "2 programs"):
        response = owner_client.get(eligibility_url())
    assert len(response.context["standings"]) == 2

    for number in range(3):
        publish(
            f"extra-{number}",
            [
                {"type": "gmv_between", "params": {"min": "100000"}},
                {"type": "live_sessions_at_least", "params": {"min": 4}},
                {"type": "store_age_at_least", "params": {"months": 6}},
            ],
        )
    eligibility_recompute(merchant_ids=[merchant.pk])
    with assert_num_queries(ELIGIBILITY_PAGE_QUERIES, "5 programs"):
        response = owner_client.get(eligibility_url())
    assert len(response.context["standings"]) == 5
