"""CSV imports in the console (issue #4): a preview first, per-row errors naming the row and the
field, nothing written while any row is invalid; metrics written by ``monthly_metrics_upsert``;
merchants only into the belts the staff member's centers serve."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from merchants.models import Merchant, MonthlyMetric
from merchants.services.metrics import monthly_metrics_upsert
from tests.belts.factories import (
    CategoryFactory,
    IndustrialBeltFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    StaffUserFactory,
)
from tests.merchants.factories import MerchantFactory, MonthlyMetricFactory

from .base import admin_url
from .test_scoping import reviewers_group

pytestmark = pytest.mark.django_db

METRIC_HEADER = (
    "merchant_id,month,gmv,orders,live_gmv,live_sessions,followers,refund_rate,new_listings"
)


def _upload(client, model, text: str):
    return client.post(
        admin_url(model, "import"),
        {
            "import_file": SimpleUploadedFile("rows.csv", text.encode(), "text/csv"),
            "format": "0",
            "resource": "0",
        },
    )


def _confirm(client, model, preview):
    form = preview.context["confirm_form"]
    return client.post(
        admin_url(model, "process_import"),
        {name: form.initial.get(name, "") for name in form.fields},
    )


# Monthly metrics ---------------------------------------------------------------------------------
def test_metrics_preview_then_confirm_writes_through_the_service(
    importer, django_capture_on_commit_callbacks
):
    belt, client = importer
    first, second = MerchantFactory(belt=belt), MerchantFactory(belt=belt)
    text = "\n".join(
        [
            METRIC_HEADER,
            f"{first.pk},2025-01,1000000,10,200000,3,50,0.01,2",
            f"{second.pk},2025-02-01,500000,5,0,0,10,0,1",
        ]
    )
    preview = _upload(client, MonthlyMetric, text)
    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert len(result.rows) == 2
    assert "confirm_form" in preview.context
    assert not MonthlyMetric.objects.exists()  # the preview wrote nothing

    with (
        mock.patch(
            "merchants.resources.monthly_metrics_upsert",
            wraps=monthly_metrics_upsert,
        ) as upsert,
        mock.patch("merchants.signals.metrics_changed.send") as changed,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = _confirm(client, MonthlyMetric, preview)
    assert response.status_code == 302
    upsert.assert_called_once()
    assert len(upsert.call_args.kwargs["rows"]) == 2
    changed.assert_called_once()
    assert sorted(changed.call_args.kwargs["merchant_ids"]) == sorted([first.pk, second.pk])
    metric = MonthlyMetric.objects.get(merchant=first)
    assert (metric.month, metric.gmv) == (datetime.date(2025, 1, 1), Decimal("1000000"))
    assert MonthlyMetric.objects.get(merchant=second).month == datetime.date(2025, 2, 1)


def test_metrics_negative_gmv_in_row_3_writes_nothing(importer):
    belt, client = importer
    merchants = [MerchantFactory(belt=belt) for _ in range(3)]
    text = "\n".join(
        [
            METRIC_HEADER,
            f"{merchants[0].pk},2025-01,1000,1,0,0,0,0,0",
            f"{merchants[1].pk},2025-01,2000,1,0,0,0,0,0",
            f"{merchants[2].pk},2025-01,-5,1,0,0,0,0,0",
        ]
    )
    preview = _upload(client, MonthlyMetric, text)
    result = preview.context["result"]
    assert "confirm_form" not in preview.context
    (invalid,) = result.invalid_rows
    assert invalid.number == 3
    assert "gmv" in invalid.error_dict
    content = preview.content.decode()
    assert "Row 3" in content
    assert "gmv" in content
    assert not MonthlyMetric.objects.exists()


def test_metrics_unknown_merchant_in_row_2_writes_nothing(importer):
    belt, client = importer
    merchant = MerchantFactory(belt=belt)
    other_center = MerchantFactory()  # a belt the importer's center does not serve
    text = "\n".join(
        [
            METRIC_HEADER,
            f"{merchant.pk},2025-01,1000,1,0,0,0,0,0",
            "999999,2025-01,1000,1,0,0,0,0,0",
            f"{other_center.pk},2025-01,1000,1,0,0,0,0,0",
        ]
    )
    preview = _upload(client, MonthlyMetric, text)
    result = preview.context["result"]
    assert [row.number for row in result.invalid_rows] == [2, 3]
    assert all("merchant_id" in row.error_dict for row in result.invalid_rows)
    assert "999999" in preview.content.decode()
    assert not MonthlyMetric.objects.exists()


def test_metrics_confirm_with_an_invalid_row_writes_nothing(importer):
    """The rows may change between the preview and the confirmation (a forged POST, a merchant
    moved meanwhile): the confirmation checks them again and rolls everything back."""
    belt, client = importer
    first, second = MerchantFactory(belt=belt), MerchantFactory(belt=belt)
    text = "\n".join(
        [
            METRIC_HEADER,
            f"{first.pk},2025-01,1000,1,0,0,0,0,0",
            f"{second.pk},2025-01,1000,1,0,0,0,0,0",
        ]
    )
    preview = _upload(client, MonthlyMetric, text)
    second.belt = IndustrialBeltFactory()
    second.save()
    response = _confirm(client, MonthlyMetric, preview)
    assert response.status_code == 302
    assert not MonthlyMetric.objects.exists()


def test_unchanged_metrics_are_skipped(importer):
    belt, client = importer
    metric = MonthlyMetricFactory(merchant=MerchantFactory(belt=belt))
    values = ",".join(
        str(getattr(metric, name))
        for name in (
            "gmv",
            "orders",
            "live_gmv",
            "live_sessions",
            "followers",
            "refund_rate",
            "new_listings",
        )
    )
    text = f"{METRIC_HEADER}\n{metric.merchant_id},{metric.month:%Y-%m},{values}"
    preview = _upload(client, MonthlyMetric, text)
    (row,) = preview.context["result"].rows
    assert row.import_type == "skip"


# Merchants ---------------------------------------------------------------------------------------
MERCHANT_HEADER = (
    "legal_name,shop_name,belt,category,merchant_type,brand_stage,is_smb,opened_on,returned_on"
)


def test_merchants_import_preview_then_confirm(importer):
    belt, client = importer
    category = CategoryFactory()
    text = "\n".join(
        [
            MERCHANT_HEADER,
            f"Oak Co.,Oakworks,{belt.slug},{category.slug},source_factory,me_too,1,2020-05-01,",
            f"Pine Co.,Pineworks,{belt.slug},{category.slug},brand,me_better,0,2021-01-01,",
        ]
    )
    before = Merchant.objects.count()
    preview = _upload(client, Merchant, text)
    result = preview.context["result"]
    assert not result.has_errors()
    assert not result.has_validation_errors(), result.invalid_rows
    assert Merchant.objects.count() == before
    response = _confirm(client, Merchant, preview)
    assert response.status_code == 302
    oak = Merchant.objects.get(shop_name="Oakworks")
    assert (oak.belt, oak.category, oak.is_smb) == (belt, category, True)


def test_merchants_import_with_bad_rows_writes_nothing(importer):
    belt, client = importer
    category = CategoryFactory()
    other_belt = IndustrialBeltFactory()  # served by no center of the importer
    text = "\n".join(
        [
            MERCHANT_HEADER,
            f"Oak Co.,Oakworks,{belt.slug},{category.slug},source_factory,me_too,1,2020-05-01,",
            f"Ash Co.,Ashworks,no-such-belt,{category.slug},brand,me_too,1,2020-05-01,",
            f"Elm Co.,Elmworks,{belt.slug},{category.slug},wizard,me_too,1,2020-05-01,",
            f"Yew Co.,Yewworks,{other_belt.slug},{category.slug},brand,me_too,1,2020-05-01,",
        ]
    )
    before = Merchant.objects.count()
    preview = _upload(client, Merchant, text)
    errors = {row.number: row.error_dict for row in preview.context["result"].invalid_rows}
    assert set(errors) == {2, 3, 4}
    assert "belt" in errors[2]
    assert "merchant_type" in errors[3]
    assert "belt" in errors[4]
    assert "confirm_form" not in preview.context
    assert Merchant.objects.count() == before


def test_import_needs_add_and_change_permissions():
    belt = IndustrialBeltFactory()
    user = StaffUserFactory(username="viewer")
    user.groups.add(reviewers_group())  # view everything, change merchants: no add
    OperationCenterMembershipFactory(center=OperationCenterFactory(belts=[belt]), user=user)
    client = Client()
    client.force_login(user)
    assert client.get(admin_url(Merchant, "import")).status_code == 403
    assert client.get(admin_url(MonthlyMetric, "import")).status_code == 403


# A source factory's location -----------------------------------------------------------------
def test_merchants_import_sets_a_location_and_a_file_without_it_keeps_it(importer):
    belt, client = importer
    category = CategoryFactory()
    header = f"id,{MERCHANT_HEADER},district,latitude,longitude"
    row = f"Oak Co.,Oakworks,{belt.slug},{category.slug},source_factory,me_too,1,2020-05-01,"
    preview = _upload(client, Merchant, f"{header}\n,{row},Baigou,38.9,115.5")
    assert not preview.context["result"].has_validation_errors()
    _confirm(client, Merchant, preview)
    oak = Merchant.objects.get(shop_name="Oakworks")
    assert (oak.district, oak.latitude, oak.longitude) == (
        "Baigou",
        Decimal("38.900000"),
        Decimal("115.500000"),
    )
    # A file without the location's columns changes the shop's name and leaves the location.
    renamed = row.replace("Oakworks", "Oak Works")
    preview = _upload(client, Merchant, f"id,{MERCHANT_HEADER}\n{oak.pk},{renamed}")
    assert not preview.context["result"].has_validation_errors()
    _confirm(client, Merchant, preview)
    oak.refresh_from_db()
    assert oak.shop_name == "Oak Works"
    assert (oak.district, oak.latitude, oak.longitude) == (
        "Baigou",
        Decimal("38.900000"),
        Decimal("115.500000"),
    )


@pytest.mark.parametrize(
    ("location", "field"),
    [("Baigou,38.9,", "longitude"), (",,115.5", "latitude"), (",91,115.5", "latitude")],
)
def test_merchants_import_refuses_half_a_location(importer, location, field):
    belt, client = importer
    category = CategoryFactory()
    header = f"{MERCHANT_HEADER},district,latitude,longitude"
    row = f"Oak Co.,Oakworks,{belt.slug},{category.slug},source_factory,me_too,1,2020-05-01,"
    before = Merchant.objects.count()
    preview = _upload(client, Merchant, f"{header}\n{row},{location}")
    errors = {row.number: row.error_dict for row in preview.context["result"].invalid_rows}
    assert field in errors[1]
    assert "confirm_form" not in preview.context
    assert Merchant.objects.count() == before
