"""A metrics CSV may leave figures out: a missing column and a blank cell both keep the figure the
month holds (a new month gets 0); a 0 in the file is written as 0."""

from decimal import Decimal

import pytest

from merchants.models import MonthlyMetric
from tests.merchants.factories import MerchantFactory, MonthlyMetricFactory
from tests.utils.months import months_back

from .test_import_export import _confirm, _upload

pytestmark = pytest.mark.django_db

MONTH = months_back(1)


def _stored(belt):
    return MonthlyMetricFactory(merchant=MerchantFactory(belt=belt), month=MONTH)


def _figures(metric):
    metric.refresh_from_db()
    return (metric.gmv, metric.orders, metric.live_gmv, metric.followers, metric.refund_rate)


def test_a_file_without_some_columns_keeps_those_figures(importer):
    belt, client = importer
    metric = _stored(belt)
    text = f"merchant_id,month,gmv\n{metric.merchant_id},{MONTH:%Y-%m},200000"
    preview = _upload(client, MonthlyMetric, text)
    assert not preview.context["result"].has_validation_errors()
    assert _confirm(client, MonthlyMetric, preview).status_code == 302
    assert _figures(metric) == (
        Decimal("200000.00"),
        800,
        Decimal("30000.00"),
        5000,
        Decimal("0.0350"),
    )


def test_blank_cells_keep_the_figures_and_zeros_are_written(importer):
    belt, client = importer
    metric = _stored(belt)
    new = MerchantFactory(belt=belt)
    header = (
        "merchant_id,month,gmv,orders,live_gmv,live_sessions,followers,refund_rate,new_listings"
    )
    text = "\n".join(
        [
            header,
            f"{metric.merchant_id},{MONTH:%Y-%m},,0,,,,, ",
            f"{new.pk},{MONTH:%Y-%m},100,,,,,,",
        ]
    )
    preview = _upload(client, MonthlyMetric, text)
    result = preview.context["result"]
    assert not result.has_validation_errors(), result.invalid_rows
    assert _confirm(client, MonthlyMetric, preview).status_code == 302
    assert _figures(metric) == (
        Decimal("150000.00"),
        0,
        Decimal("30000.00"),
        5000,
        Decimal("0.0350"),
    )
    created = MonthlyMetric.objects.get(merchant=new)
    assert _figures(created) == (Decimal("100.00"), 0, Decimal("0.00"), 0, Decimal("0.0000"))


def test_a_blank_row_of_figures_is_skipped_as_unchanged(importer):
    belt, client = importer
    metric = _stored(belt)
    text = f"merchant_id,month,gmv,orders\n{metric.merchant_id},{MONTH:%Y-%m},,"
    preview = _upload(client, MonthlyMetric, text)
    (row,) = preview.context["result"].rows
    assert row.import_type == "skip"


def test_the_services_problems_are_errors_of_their_rows(importer):
    """Live-stream GMV above the GMV the month will hold is known only with the stored row: the
    service says so, and the preview names the row of the file."""
    belt, client = importer
    first, second = _stored(belt), _stored(belt)
    text = "\n".join(
        [
            "merchant_id,month,live_gmv",
            f"{first.merchant_id},{MONTH:%Y-%m},100",
            f"{second.merchant_id},{MONTH:%Y-%m},150000.01",
        ]
    )
    preview = _upload(client, MonthlyMetric, text)
    (invalid,) = preview.context["result"].invalid_rows
    assert invalid.number == 2
    assert "live_gmv" in invalid.error_dict
    assert "Row 2: live-stream GMV cannot exceed GMV" in preview.content.decode()
    assert _figures(first)[2] == Decimal("30000.00")
