"""The console's imports in Chromium, as a Chinese office makes its files: a merchants CSV saved
by Excel on Chinese Windows (GBK, dates as 2024年5月1日) and a metrics workbook (.xlsx) with a
bad cell, whose error the preview shows in words in the row, beside the cell.

The ``page`` fixture fails these tests if a page logs a script or CSP error, loads a static asset
that does not answer 200, or sends a request off this machine.
"""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Permission

from merchants.models import Merchant, MonthlyMetric
from tests.belts.factories import (
    CategoryFactory,
    IndustrialBeltFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    StaffUserFactory,
)
from tests.browser.conftest import log_in
from tests.console.base import admin_url
from tests.console.test_scoping import reviewers_group
from tests.merchants.factories import MerchantFactory

PASSWORD = "pass-word-123"  # tests.belts.factories.UserFactory's
METRIC_HEADER = [
    "merchant_id",
    "month",
    "gmv",
    "orders",
    "live_gmv",
    "live_sessions",
    "followers",
    "refund_rate",
    "new_listings",
]


@pytest.fixture
def importer(transactional_db):
    """A staff member of the center serving one belt, allowed to import merchants and metrics."""
    belt = IndustrialBeltFactory(slug="foshan-furniture")
    user = StaffUserFactory(username="importer")
    user.groups.add(reviewers_group())
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "add_merchant",
                "change_merchant",
                "add_monthlymetric",
                "change_monthlymetric",
            ]
        )
    )
    OperationCenterMembershipFactory(center=OperationCenterFactory(belts=[belt]), user=user)
    return belt, user


def _choose(page, *, name: str, data: bytes, mime: str, file_format: str) -> None:
    page.set_input_files(
        "input[name=import_file]", files=[{"name": name, "mimeType": mime, "buffer": data}]
    )
    page.select_option("select[name=format]", label=file_format)
    with page.expect_navigation():
        page.get_by_role("button", name="Submit").click()


def test_a_gbk_csv_from_excel_imports(page, importer, screenshot):
    belt, user = importer
    category = CategoryFactory(slug="furniture")
    text = "\r\n".join(
        [
            "legal_name,shop_name,belt,category,merchant_type,brand_stage,is_smb,opened_on",
            f"佛山市橡木家具有限公司,橡木工坊,{belt.slug},{category.slug},source_factory,me_too,1,"
            "2024年5月1日",
            f"顺德松木有限公司,松木工坊,{belt.slug},{category.slug},brand,me_better,0,2021/1/2",
        ]
    )
    log_in(page, user.username, PASSWORD, path="/console/login/")
    page.goto(admin_url(Merchant, "import"))
    # Each import offers its template.
    assert page.get_by_role("link", name="CSV template").get_attribute("href") == admin_url(
        Merchant, "import_template", "csv"
    )
    _choose(page, name="商家.csv", data=text.encode("gbk"), mime="text/csv", file_format="csv")
    preview = page.locator("table.import-preview")
    assert "橡木工坊" in preview.inner_text()
    assert "松木工坊" in preview.inner_text()
    screenshot(page, "import-gbk-preview")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm import").click()
    assert "Import finished" in page.locator("ul.messagelist").inner_text()
    oak = Merchant.objects.get(shop_name="橡木工坊")
    assert (oak.legal_name, oak.opened_on) == ("佛山市橡木家具有限公司", datetime.date(2024, 5, 1))
    assert Merchant.objects.get(shop_name="松木工坊").opened_on == datetime.date(2021, 1, 2)


def _workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_an_xlsx_with_a_bad_cell_shows_the_error_in_the_row_then_imports(
    page, importer, screenshot
):
    belt, user = importer
    first, second = MerchantFactory(belt=belt), MerchantFactory(belt=belt)
    rows = [
        METRIC_HEADER,
        [first.pk, "2025-01", 1000000, 10, 200000, 3, 50, 0.01, 2],
        [second.pk, "2025年1月", "十万", 5, 0, 0, 10, 0, 1],
    ]
    log_in(page, user.username, PASSWORD, path="/console/login/")
    page.goto(admin_url(MonthlyMetric, "import"))
    _choose(page, name="metrics.xlsx", data=_workbook(rows), mime=XLSX, file_format="xlsx")

    bad_row = page.locator("tr.invalid-row[data-row='2']")
    cell = bad_row.locator("td.cell-error")
    assert cell.count() == 1
    assert cell.get_attribute("data-column") == "gmv"
    # Visible as it is, no hover: the words in the cell, beside the value read.
    error = cell.locator("ul.cell-errors li")
    assert error.is_visible()
    assert error.inner_text() == "GMV (CNY) must be a number."
    assert "十万" in cell.inner_text()
    assert page.locator("tr.invalid-row[data-row='1'] td.cell-error").count() == 0
    assert page.get_by_role("button", name="Confirm import").count() == 0
    screenshot(page, "import-xlsx-errors")
    assert not MonthlyMetric.objects.exists()

    rows[2][2] = 100000
    _choose(page, name="metrics.xlsx", data=_workbook(rows), mime=XLSX, file_format="xlsx")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm import").click()
    assert "Import finished" in page.locator("ul.messagelist").inner_text()
    assert MonthlyMetric.objects.get(merchant=second).gmv == Decimal("100000.00")
    assert MonthlyMetric.objects.get(merchant=first).month == datetime.date(2025, 1, 1)
