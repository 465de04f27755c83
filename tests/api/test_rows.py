"""The big lists (``merchants/``, ``eligibility/``) are answered from ``.values()``, not through
their serializers: each row must be exactly what the serializer gives for the same object, in
each language and time zone, at every page. The data is the demo's (every program, every kind
of criterion, merchants with and without a return date)."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from merchants.api.rows import MERCHANT_VALUES, merchant_rows
from merchants.api.serializers import MerchantSerializer
from merchants.models import Merchant
from programs.api.rows import ELIGIBILITY_VALUES, eligibility_rows
from programs.api.serializers import EligibilitySerializer
from programs.criteria import CRITERIA
from programs.models import Eligibility, Program
from programs.services.eligibility import eligibility_recompute, rule_set_publish
from tests.belts.factories import SuperUserFactory
from tests.programs.factories import RuleSetFactory

AS_OF = "2026-11"


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--as-of", AS_OF, "--merchants", "40", stdout=StringIO())


def as_json(data):
    """What a client receives: the rendered body, parsed (dates and decimals as strings)."""
    return json.loads(JSONRenderer().render(data))


def every_page(client: APIClient, url: str, language: str) -> list[dict]:
    rows, next_url = [], f"{url}?page_size=7"
    while next_url:
        response = client.get(next_url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, response.content
        rows += response.json()["results"]
        next_url = response.json()["next"]
    return rows


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "UTC"])
def test_merchant_rows_are_the_serializers(demo, tz):
    merchants = Merchant.objects.select_related("belt", "category").order_by("id")
    assert merchants.filter(returned_on__isnull=False).exists()
    assert merchants.filter(returned_on__isnull=True).exists()
    with timezone.override(tz):
        expected = as_json(MerchantSerializer(merchants, many=True).data)
        assert as_json(merchant_rows(merchants.values(*MERCHANT_VALUES))) == expected


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_merchant_list_answers_what_the_serializer_would(demo, language):
    client = APIClient()
    client.force_login(SuperUserFactory())
    merchants = Merchant.objects.select_related("belt", "category").order_by("id")

    listed = every_page(client, "/api/v1/merchants/", language)

    assert listed == as_json(MerchantSerializer(merchants, many=True).data)


@pytest.fixture
def every_criterion(demo):
    """One more rule set holding the kinds of criterion the demo's published ones do not
    (category_in, live_share_at_least) and some they do, published and computed: rows whose
    values seen include unknowns."""
    program = Program.objects.get(code="blue_star")
    rule_set = RuleSetFactory(
        program=program,
        version=program.rule_sets.count() + 1,
        criteria=[
            {"type": "category_in", "params": {"categories": ["furniture", "luggage"]}},
            {"type": "refund_rate_at_most", "params": {"max": "0.2"}},
            {"type": "gmv_between", "params": {"min": "100000", "max": "50000000"}},
            {"type": "returned_within", "params": {"months": 6}},
            {"type": "live_share_at_least", "params": {"min": "0.3"}},
        ],
    )
    rule_set_publish(rule_set=rule_set, actor=None)
    eligibility_recompute(as_of=datetime.date.fromisoformat(f"{AS_OF}-15"))
    return rule_set


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_eligibility_rows_are_the_serializers(every_criterion, language):
    eligibilities = Eligibility.objects.select_related("merchant", "program", "rule_set")
    eligibilities = eligibilities.order_by("id")
    types = {c["type"] for rs in {e.rule_set for e in eligibilities} for c in rs.criteria}
    assert types == set(CRITERIA)  # every kind of criterion is worded
    assert eligibilities.filter(rule_set=every_criterion).count() == Merchant.objects.count()
    with translation.override(language):
        expected = as_json(EligibilitySerializer(eligibilities, many=True).data)
        assert as_json(eligibility_rows(eligibilities.values(*ELIGIBILITY_VALUES))) == expected


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_eligibility_list_answers_what_the_serializer_would(every_criterion, language):
    client = APIClient()
    client.force_login(SuperUserFactory())
    eligibilities = Eligibility.objects.select_related("merchant", "program", "rule_set")

    listed = every_page(client, "/api/v1/eligibility/", language)

    with translation.override(language):
        expected = as_json(EligibilitySerializer(eligibilities.order_by("id"), many=True).data)
    assert listed == expected
    assert any(reason["actual"] is None for row in listed for reason in row["reasons"])
