"""Monthly metrics saved in the console go through ``monthly_metrics_upsert``: the merchant's
eligibility is recomputed after the commit, and a row the service refuses is a form error."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from core.months import add_months
from merchants import admin as merchants_admin
from merchants.models import MonthlyMetric
from programs.models import Eligibility
from tests.merchants.factories import MerchantFactory, MonthlyMetricFactory
from tests.programs.factories import PublishedRuleSetFactory

from .base import admin_url

pytestmark = pytest.mark.django_db

# Inside the trailing twelve months that eligibility looks at.
LAST_MONTH = add_months(timezone.localdate(), -1)


@pytest.fixture
def program():
    """A published program for merchants with at least CNY 1 M over twelve months."""
    rule_set = PublishedRuleSetFactory(
        criteria=[{"type": "gmv_between", "params": {"min": "1000000"}}]
    )
    return rule_set.program


def _figures(**overrides):
    data = {
        "gmv": "2000000.00",
        "orders": "900",
        "live_gmv": "500000.00",
        "live_sessions": "10",
        "followers": "4000",
        "refund_rate": "0.0300",
        "new_listings": "5",
    }
    data.update(overrides)
    return data


def _eligible(merchant, program):
    row = Eligibility.objects.filter(merchant=merchant, program=program).first()
    return None if row is None else row.is_eligible


class TestAdd:
    def test_goes_through_the_service_and_recomputes_eligibility(
        self, console_client, program, django_capture_on_commit_callbacks
    ):
        merchant = MerchantFactory()
        with (
            mock.patch.object(
                merchants_admin,
                "monthly_metrics_upsert",
                wraps=merchants_admin.monthly_metrics_upsert,
            ) as upsert,
            django_capture_on_commit_callbacks(execute=True) as callbacks,
        ):
            response = console_client.post(
                admin_url(MonthlyMetric, "add"),
                {"merchant": merchant.pk, "month": LAST_MONTH.isoformat(), **_figures()},
            )

        assert response.status_code == 302, response.context["adminform"].form.errors
        upsert.assert_called_once()
        assert callbacks  # the metrics_changed signal, sent after the commit
        metric = MonthlyMetric.objects.get(merchant=merchant, month=LAST_MONTH)
        assert metric.gmv == Decimal("2000000.00")
        assert _eligible(merchant, program) is True
        assert LogEntry.objects.get().object_id == str(metric.pk)
        assert response["Location"] == admin_url(MonthlyMetric, "changelist")

    def test_a_negative_gmv_is_a_form_error_and_writes_nothing(
        self, console_client, program, django_capture_on_commit_callbacks
    ):
        merchant = MerchantFactory()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = console_client.post(
                admin_url(MonthlyMetric, "add"),
                {
                    "merchant": merchant.pk,
                    "month": LAST_MONTH.isoformat(),
                    **_figures(gmv="-5.00", live_gmv="0"),
                },
            )

        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert "gmv cannot be negative" in " ".join(errors["gmv"])
        assert not MonthlyMetric.objects.exists()
        assert not callbacks
        assert _eligible(merchant, program) is None

    def test_live_gmv_above_gmv_is_the_services_error(self, console_client):
        merchant = MerchantFactory()
        response = console_client.post(
            admin_url(MonthlyMetric, "add"),
            {
                "merchant": merchant.pk,
                "month": LAST_MONTH.isoformat(),
                **_figures(gmv="100.00", live_gmv="200.00"),
            },
        )
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert "live-stream GMV cannot exceed GMV" in " ".join(errors["live_gmv"])
        assert not MonthlyMetric.objects.exists()

    def test_a_month_is_its_first_day(self, console_client):
        merchant = MerchantFactory()
        response = console_client.post(
            admin_url(MonthlyMetric, "add"),
            {"merchant": merchant.pk, "month": LAST_MONTH.replace(day=15), **_figures()},
        )
        assert response.status_code == 200
        assert "month" in response.context["adminform"].form.errors
        assert not MonthlyMetric.objects.exists()

    def test_a_month_that_has_figures_is_not_overwritten(self, console_client):
        existing = MonthlyMetricFactory(month=LAST_MONTH)
        response = console_client.post(
            admin_url(MonthlyMetric, "add"),
            {"merchant": existing.merchant_id, "month": LAST_MONTH.isoformat(), **_figures()},
        )
        assert response.status_code == 200
        assert "already has figures" in " ".join(response.context["adminform"].form.errors["month"])
        existing.refresh_from_db()
        assert existing.gmv == Decimal("150000.00")


class TestChange:
    def test_goes_through_the_service_and_recomputes_eligibility(
        self, console_client, program, django_capture_on_commit_callbacks
    ):
        metric = MonthlyMetricFactory(month=LAST_MONTH)
        merchant = metric.merchant
        url = admin_url(MonthlyMetric, "change", metric.pk)
        response = console_client.get(url)
        assert {"merchant", "month"} <= set(response.context["adminform"].readonly_fields)

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = console_client.post(
                url,
                # The key is read-only: a month in the form is ignored, not a second row.
                {"month": datetime.date(2020, 1, 1).isoformat(), **_figures()},
            )

        assert response.status_code == 302, response.context["adminform"].form.errors
        assert callbacks
        assert list(MonthlyMetric.objects.values_list("pk", "month", "gmv")) == [
            (metric.pk, LAST_MONTH, Decimal("2000000.00"))
        ]
        assert _eligible(merchant, program) is True

    def test_a_negative_gmv_changes_nothing(
        self, console_client, program, django_capture_on_commit_callbacks
    ):
        metric = MonthlyMetricFactory(month=LAST_MONTH)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = console_client.post(
                admin_url(MonthlyMetric, "change", metric.pk),
                _figures(gmv="-1.00", live_gmv="0"),
            )
        assert response.status_code == 200
        assert "gmv" in response.context["adminform"].form.errors
        assert not callbacks
        metric.refresh_from_db()
        assert (metric.gmv, metric.live_gmv) == (Decimal("150000.00"), Decimal("30000.00"))
        assert _eligible(metric.merchant, program) is None
