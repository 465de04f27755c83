"""Reading eligibility: the rows of the merchants the caller may see (the one merchant scope),
one merchant's for the staff of its centers and its members; each reason worded in the request's
language."""

import factory
import pytest
from django.urls import reverse

from merchants.choices import MembershipRole
from programs.criteria import explain
from programs.eligibility import eligibility_reasons
from programs.models import Eligibility
from tests.belts.factories import (
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    UserFactory,
)
from tests.merchants.factories import MerchantFactory, MerchantMembershipFactory
from tests.programs.factories import EligibilityFactory, ProgramFactory, PublishedRuleSetFactory
from tests.utils.queries import assert_num_queries

from .base import (
    AUTH_QUERIES,
    CURSOR_LIST,
    LIST,
    ReadOnlyCursorAPITests,
    error_fields,
)

REASON_KEYS = {"type", "passed", "actual", "required", "shortfall", "message"}


class EligibilityWithReasonsFactory(EligibilityFactory):
    """Not eligible: 0.8 M of GMV where 2 M is required."""

    rule_set = factory.SubFactory(
        PublishedRuleSetFactory,
        criteria=[{"type": "gmv_between", "params": {"min": "2000000", "max": None}}],
    )
    is_eligible = False
    actuals = factory.LazyFunction(lambda: ["800000.00"])


class TestEligibilityAPI(ReadOnlyCursorAPITests):
    url_name = "api:eligibility"
    factory = EligibilityWithReasonsFactory
    # Merchant, program and rule set are joined; the page's rule sets' criteria are read once.
    list_query_count = AUTH_QUERIES + CURSOR_LIST + 1

    @pytest.fixture
    def reader_client(self, superuser_api_client):
        return superuser_api_client

    def test_a_signed_in_user_reads_unless_staff_only(self, user_api_client) -> None:
        # Anyone signed in may list, but sees only the merchants in their scope: none here.
        obj = self.factory()
        listed = user_api_client.get(self.list_url())
        assert listed.status_code == 200
        assert listed.data["results"] == []
        assert user_api_client.get(self.detail_url(obj.pk)).status_code == 404


def merchant_eligibility_url(merchant_id: int) -> str:
    return reverse("api:merchant-eligibility", kwargs={"merchant_id": merchant_id})


@pytest.mark.django_db
class TestReasons:
    def test_each_reason_has_its_figures_and_a_message(self, superuser_api_client):
        eligibility = EligibilityWithReasonsFactory()

        response = superuser_api_client.get(
            reverse("api:eligibility-detail", args=[eligibility.pk])
        )

        assert response.status_code == 200
        data = response.data
        assert data["is_eligible"] is False
        assert data["rule_set"] == {
            "id": eligibility.rule_set_id,
            "version": eligibility.rule_set.version,
        }
        assert data["merchant"]["shop_name"] == eligibility.merchant.shop_name
        assert data["program"]["code"] == eligibility.program.code
        assert data["computed_at"]
        (reason,) = data["reasons"]
        assert set(reason) == REASON_KEYS
        assert reason["passed"] is False
        assert reason["actual"] == "800000.00"
        assert reason["required"] == {"min": "2000000", "max": None}
        assert reason["shortfall"] == "1200000.00"

    def test_message_in_english_by_default(self, superuser_api_client):
        eligibility = EligibilityWithReasonsFactory()

        response = superuser_api_client.get(
            reverse("api:eligibility-detail", args=[eligibility.pk])
        )

        message = response.data["reasons"][0]["message"]
        assert "CNY 1.2 M" in message  # the shortfall, in millions
        assert "more GMV over 12 months" in message

    def test_message_follows_accept_language(self, superuser_api_client):
        # The Chinese catalogue may not be compiled: the money format shows the language.
        eligibility = EligibilityWithReasonsFactory()
        url = reverse("api:eligibility-detail", args=[eligibility.pk])

        english = superuser_api_client.get(url, HTTP_ACCEPT_LANGUAGE="en").data["reasons"][0]
        chinese = superuser_api_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").data["reasons"][0]

        assert chinese["message"] != english["message"]
        assert "¥120万" in chinese["message"]  # 1.2 M in units of 10,000
        assert "CNY" not in chinese["message"]
        # Only the words change; the figures do not.
        assert {k: v for k, v in chinese.items() if k != "message"} == {
            k: v for k, v in english.items() if k != "message"
        }

    def test_list_messages_follow_accept_language_too(self, superuser_api_client):
        EligibilityWithReasonsFactory()

        response = superuser_api_client.get(
            reverse("api:eligibility-list"), HTTP_ACCEPT_LANGUAGE="zh-hans"
        )

        assert "¥120万" in response.data["results"][0]["reasons"][0]["message"]


@pytest.mark.django_db
class TestEligibilityFilters:
    def test_by_merchant_program_code_and_outcome(self, superuser_api_client):
        merchant = MerchantFactory()
        source_power = PublishedRuleSetFactory(program=ProgramFactory(code="source-power"))
        star_origin = PublishedRuleSetFactory(program=ProgramFactory(code="star-origin"))
        eligible = EligibilityFactory(merchant=merchant, rule_set=source_power)
        not_eligible = EligibilityFactory(
            merchant=merchant, rule_set=star_origin, is_eligible=False
        )
        elsewhere = EligibilityFactory(rule_set=source_power)
        url = reverse("api:eligibility-list")

        def ids(params):
            response = superuser_api_client.get(url, params)
            assert response.status_code == 200, response.data
            return {row["id"] for row in response.data["results"]}

        assert ids({"merchant": merchant.pk}) == {eligible.pk, not_eligible.pk}
        assert ids({"program": "source-power"}) == {eligible.pk, elsewhere.pk}
        assert ids({"is_eligible": "false"}) == {not_eligible.pk}
        assert ids({"merchant": merchant.pk, "is_eligible": "true"}) == {eligible.pk}

    def test_a_merchant_id_must_be_a_number(self, superuser_api_client):
        response = superuser_api_client.get(reverse("api:eligibility-list"), {"merchant": "abc"})
        assert response.status_code == 400
        assert error_fields(response) == {"merchant"}


@pytest.mark.django_db
class TestOneMerchantsEligibility:
    @pytest.fixture
    def member(self):
        return MerchantMembershipFactory(role=MembershipRole.OPERATOR)

    @pytest.fixture
    def rows(self, member):
        mine = EligibilityWithReasonsFactory.create_batch(2, merchant=member.merchant)
        EligibilityWithReasonsFactory()  # another merchant's
        return mine

    def test_a_member_reads_their_merchants_rows(self, api_client, member, rows):
        api_client.force_login(member.user)

        response = api_client.get(merchant_eligibility_url(member.merchant_id))

        assert response.status_code == 200
        assert {row["id"] for row in response.data["results"]} == {row.pk for row in rows}
        assert set(response.data["results"][0]["reasons"][0]) == REASON_KEYS

    def test_a_superuser_reads_any_merchant(self, superuser_api_client, member, rows):
        response = superuser_api_client.get(merchant_eligibility_url(member.merchant_id))

        assert response.status_code == 200
        assert response.data["count"] == 2

    def test_staff_read_the_merchants_their_centers_serve_only(self, api_client, member, rows):
        # Found from outside: a reviewer of one center read every merchant's eligibility.
        center = OperationCenterFactory()
        center.belts.add(member.merchant.belt)
        reviewer = OperationCenterMembershipFactory(center=center).user
        outsider = OperationCenterMembershipFactory().user  # a reviewer of another center
        url = merchant_eligibility_url(member.merchant_id)

        api_client.force_login(reviewer)
        assert api_client.get(url).data["count"] == 2
        listed = api_client.get(reverse("api:eligibility-list")).data
        assert {row["id"] for row in listed["results"]} == {row.pk for row in rows}

        api_client.force_login(outsider)
        assert api_client.get(url).status_code == 404
        assert api_client.get(reverse("api:eligibility-list")).data["results"] == []
        assert (
            api_client.get(reverse("api:eligibility-detail", args=[rows[0].pk])).status_code == 404
        )

    def test_someone_elses_merchant_is_a_404(self, api_client, member, rows):
        api_client.force_login(UserFactory())

        response = api_client.get(merchant_eligibility_url(member.merchant_id))

        assert response.status_code == 404

    def test_a_member_of_another_merchant_gets_a_404(self, api_client, member, rows):
        other = MerchantMembershipFactory()
        api_client.force_login(other.user)

        assert api_client.get(merchant_eligibility_url(member.merchant_id)).status_code == 404

    def test_a_missing_merchant_is_a_404_for_staff_too(self, superuser_api_client):
        assert superuser_api_client.get(merchant_eligibility_url(2_000_000_000)).status_code == 404

    def test_anonymous_is_refused(self, api_client, member):
        response = api_client.get(merchant_eligibility_url(member.merchant_id))
        assert response.status_code == 401

    def test_inactive_programs_are_left_out(self, api_client, member, rows):
        retired = EligibilityFactory(
            merchant=member.merchant,
            rule_set=PublishedRuleSetFactory(program=ProgramFactory(is_active=False)),
        )
        api_client.force_login(member.user)

        response = api_client.get(merchant_eligibility_url(member.merchant_id))

        assert retired.pk not in {row["id"] for row in response.data["results"]}
        assert response.data["count"] == 2

    def test_query_count_is_fixed(self, api_client, member):
        api_client.force_login(member.user)
        EligibilityWithReasonsFactory(merchant=member.merchant)
        url = merchant_eligibility_url(member.merchant_id)
        # Session, user, the membership check, then the page's count and rows.
        expected = AUTH_QUERIES + 1 + LIST
        with assert_num_queries(expected, "1 program"):
            assert api_client.get(url).data["count"] == 1

        EligibilityWithReasonsFactory.create_batch(5, merchant=member.merchant)
        with assert_num_queries(expected, "6 programs"):
            assert api_client.get(url).data["count"] == 6

    def test_the_list_shows_a_member_only_its_merchants_rows(self, api_client, member, rows):
        api_client.force_login(member.user)
        response = api_client.get(reverse("api:eligibility-list"))
        assert response.status_code == 200
        assert {row["id"] for row in response.data["results"]} == {row.pk for row in rows}


@pytest.mark.django_db
def test_a_page_words_each_row_by_its_own_figures(superuser_api_client):
    # One rule set, three rows: two share a figure, one does not; the wording made once per
    # figure on a page must still be each row's own.
    first = EligibilityWithReasonsFactory(actuals=["800000.00"])
    EligibilityWithReasonsFactory(rule_set=first.rule_set, actuals=["800000.00"])
    EligibilityWithReasonsFactory(rule_set=first.rule_set, actuals=["1500000.00"])

    rows = superuser_api_client.get(reverse("api:eligibility-list")).data["results"]

    messages = {row["reasons"][0]["actual"]: row["reasons"][0]["message"] for row in rows}
    assert len(rows) == 3
    assert len(messages) == 2
    for row in rows:
        eligibility = Eligibility.objects.get(pk=row["id"])
        (reason,) = eligibility_reasons(eligibility)
        assert row["reasons"][0]["message"] == explain(reason)
