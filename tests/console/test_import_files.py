"""The console's imports read the files Chinese offices make (CSV in GBK/GB18030 or UTF-8 with
or without BOM, Excel workbooks), show a bad row's errors in words beside the cell, offer a blank
template per import, and its exports open in Excel as UTF-8 with numbers as numbers."""

import csv
import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from merchants.models import Merchant, MonthlyMetric
from programs.choices import EnrollmentState
from programs.models import Cohort
from tests.belts.factories import CategoryFactory, StaffUserFactory
from tests.merchants.factories import MerchantFactory
from tests.programs.factories import CohortFactory, EnrollmentFactory

from .base import admin_url
from .test_import_export import MERCHANT_HEADER, METRIC_HEADER, _confirm

pytestmark = pytest.mark.django_db

CSV_FORMAT, XLSX_FORMAT = "0", "1"


def excel_day(year: int, month: int, day: int) -> datetime.datetime:
    """A date as a workbook holds it: a datetime without a zone (xlsx keeps none)."""
    return datetime.datetime(year, month, day)  # noqa: DTZ001 - a workbook's value is naive


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, model, data: bytes, *, name="rows.csv", file_format=CSV_FORMAT, **headers):
    return client.post(
        admin_url(model, "import"),
        {
            "import_file": SimpleUploadedFile(name, data),
            "format": file_format,
            "resource": "0",
        },
        **headers,
    )


def workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    sheet.append([None] * len(rows[0]))  # a blank row Excel keeps: not a row to import
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def merchant_rows(belt, category, *, legal="佛山市橡木家具有限公司", opened="2024年5月1日"):
    return "\n".join(
        [
            MERCHANT_HEADER,
            f"{legal},橡木工坊,{belt.slug},{category.slug},source_factory,me_too,是,{opened},",
            f"顺德松木有限公司,松木工坊,{belt.slug},{category.slug},brand,me_better,0,2021/01/02,",
        ]
    )


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_a_chinese_merchant_file_in_any_encoding_excel_writes(importer, encoding):
    belt, client = importer
    category = CategoryFactory()
    data = merchant_rows(belt, category).encode(encoding)
    preview = upload(client, Merchant, data)
    result = preview.context["result"]
    assert not result.has_errors()
    assert not result.has_validation_errors(), result.invalid_rows
    assert "橡木工坊" in preview.content.decode()
    assert _confirm(client, Merchant, preview).status_code == 302
    oak = Merchant.objects.get(shop_name="橡木工坊")
    assert oak.legal_name == "佛山市橡木家具有限公司"
    assert (oak.opened_on, oak.is_smb) == (datetime.date(2024, 5, 1), True)
    pine = Merchant.objects.get(shop_name="松木工坊")
    assert (pine.opened_on, pine.is_smb) == (datetime.date(2021, 1, 2), False)


def test_a_file_in_another_encoding_is_refused_in_words(importer):
    _belt, client = importer
    response = upload(client, Merchant, "id,商家\n".encode("utf-16-le"))
    assert response.status_code == 200
    assert "confirm_form" not in response.context
    assert "result" not in response.context
    content = response.content.decode()
    assert "neither UTF-8 nor GB18030" in content
    assert "Error" not in content.split('id="content"')[1]  # no exception's class name


def test_a_file_without_a_key_column_is_refused_in_words(importer):
    belt, client = importer
    merchant = MerchantFactory(belt=belt)
    response = upload(client, MonthlyMetric, f"merchant_id,gmv\n{merchant.pk},100\n".encode())
    assert "confirm_form" not in response.context
    content = response.content.decode()
    assert (
        '<li class="file-error">The file has no column month, which this import needs.</li>'
        in content
    )
    assert "could not be imported" not in content  # not a line per row besides
    assert "KeyError" not in content
    assert not MonthlyMetric.objects.exists()


def test_a_csv_chosen_as_xlsx_is_refused_in_words(importer):
    _belt, client = importer
    response = upload(client, Merchant, b"id,shop_name\n", file_format=XLSX_FORMAT)
    assert "not an Excel workbook" in response.content.decode()


def test_an_xlsx_metrics_file_with_excel_dates_and_numbers(importer):
    belt, client = importer
    first, second = MerchantFactory(belt=belt), MerchantFactory(belt=belt)
    data = workbook(
        [
            METRIC_HEADER.split(","),
            [first.pk, excel_day(2025, 1, 1), 1000000.5, 10, 200000, 3, 50, 0.01, 2],
            [second.pk, "2025年2月", "500,000", 5, 0, 0, 10, 0, 1],
        ]
    )
    preview = upload(client, MonthlyMetric, data, name="rows.xlsx", file_format=XLSX_FORMAT)
    result = preview.context["result"]
    assert not result.has_errors()
    assert not result.has_validation_errors(), result.invalid_rows
    assert len(result.rows) == 2
    assert _confirm(client, MonthlyMetric, preview).status_code == 302
    metric = MonthlyMetric.objects.get(merchant=first)
    assert (metric.month, metric.gmv, metric.refund_rate) == (
        datetime.date(2025, 1, 1),
        Decimal("1000000.50"),
        Decimal("0.0100"),
    )
    assert MonthlyMetric.objects.get(merchant=second).gmv == Decimal("500000.00")


def _cells(content: str) -> dict[str, list[str]]:
    """The preview's erroneous cells, by column: the messages shown in each."""
    cells: dict[str, list[str]] = {}
    for column, body in re.findall(
        r'<td class="cell-error" data-column="([^"]+)">(.*?)</td>', content, re.S
    ):
        cells.setdefault(column, []).extend(re.findall(r"<li>(.*?)</li>", body, re.S))
    return cells


def test_errors_are_words_beside_their_cells(importer):
    belt, client = importer
    merchant = MerchantFactory(belt=belt)
    text = "\n".join(
        [
            METRIC_HEADER,
            f"{merchant.pk},2025-01,lots,12.5,0,0,0,0,0",
            f"{merchant.pk},May 2025,100,1,0,0,0,0,0",
            ",2025-01,100,1,0,0,0,0,0",
        ]
    )
    preview = upload(client, MonthlyMetric, text.encode())
    content = preview.content.decode()
    assert "confirm_form" not in preview.context
    assert "<class" not in content
    assert "decimal." not in content
    assert "ConversionSyntax" not in content
    # No badge to hover: the messages are in the cells, per row.
    assert "validation-error-count" not in content
    rows = re.findall(r'<tr class="invalid-row" data-row="(\d+)">(.*?)</tr>', content, re.S)
    assert [number for number, _body in rows] == ["1", "2", "3"]
    assert _cells(rows[0][1]) == {
        "gmv": ["GMV (CNY) must be a number."],
        "orders": ["Orders must be a whole number."],
    }
    assert list(_cells(rows[1][1])) == ["month"]
    assert "is not a month" in _cells(rows[1][1])["month"][0]
    assert _cells(rows[2][1]) == {"merchant_id": ["Merchant is required."]}


def test_merchant_errors_in_words(importer):
    belt, client = importer
    category = CategoryFactory()
    text = "\n".join(
        [
            MERCHANT_HEADER,
            f"Oak Co.,Oakworks,{belt.slug},{category.slug},source_factory,me_too,maybe,2024-05-01,",
            f"Ash Co.,Ashworks,{belt.slug},no-such-category,brand,me_too,1,1st May,",
        ]
    )
    content = upload(client, Merchant, text.encode()).content.decode()
    rows = dict(re.findall(r'<tr class="invalid-row" data-row="(\d+)">(.*?)</tr>', content, re.S))
    assert _cells(rows["1"]) == {"is_smb": ["Small or medium business must be yes or no (1 or 0)."]}
    assert _cells(rows["2"]) == {
        "category": ["Category: there is no “no-such-category”."],
        "opened_on": [
            "Opened on the platform must be a date such as 2024-05-01, 2024/05/01 or 2024年5月1日."
        ],
    }


def test_an_error_never_names_what_is_outside_the_scope(importer):
    _belt, client = importer
    theirs = MerchantFactory(shop_name="Baigou Trunkmakers")  # a belt of another center
    text = f"{METRIC_HEADER}\n{theirs.pk},2025-01,100,1,0,0,0,0,0"
    content = upload(client, MonthlyMetric, text.encode()).content.decode()
    assert f"“{theirs.pk}” is not a merchant you may import into." in content
    assert "Baigou" not in content
    assert theirs.legal_name not in content


def test_errors_in_the_readers_language(importer):
    belt, client = importer
    text = f"{MERCHANT_HEADER}\n,,{belt.slug},,source_factory,me_too,1,2024-05-01,"
    content = upload(client, Merchant, text.encode(), HTTP_ACCEPT_LANGUAGE="zh-hans")
    content = content.content.decode()
    assert "此字段不能为空。" in content  # Django's own words, in Chinese
    assert "This field cannot be blank." not in content

    merchant = MerchantFactory(belt=belt)
    text = f"{METRIC_HEADER}\n{merchant.pk},2025-01,lots,1,0,0,0,0,0"
    response = upload(client, MonthlyMetric, text.encode(), HTTP_ACCEPT_LANGUAGE="zh-hans")
    (cell,) = re.findall(
        r'<td class="cell-error" data-column="gmv">(.*?)</td>', response.content.decode(), re.S
    )
    # The field as the reader's language names it.
    assert "GMV（元）" in cell  # noqa: RUF001 - full-width brackets, as Chinese writes them


# Templates ---------------------------------------------------------------------------------------
def test_each_import_page_links_its_templates(importer):
    _belt, client = importer
    for model in (Merchant, MonthlyMetric):
        content = client.get(admin_url(model, "import")).content.decode()
        assert admin_url(model, "import_template", "csv") in content
        assert admin_url(model, "import_template", "xlsx") in content


def test_the_csv_template_is_the_header_row_with_a_bom(importer):
    _belt, client = importer
    response = client.get(admin_url(MonthlyMetric, "import_template", "csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "monthlymetric-template.csv" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")))) == [
        METRIC_HEADER.split(",")
    ]


def test_the_xlsx_template_is_the_header_row(importer):
    _belt, client = importer
    response = client.get(admin_url(Merchant, "import_template", "xlsx"))
    assert response["Content-Type"] == XLSX_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    location = ("district", "latitude", "longitude")
    assert list(sheet.values) == [("id", *MERCHANT_HEADER.split(","), *location)]


def test_a_filled_in_template_imports(importer):
    belt, client = importer
    category = CategoryFactory()
    template = client.get(admin_url(Merchant, "import_template", "xlsx")).content
    book = openpyxl.load_workbook(io.BytesIO(template))
    book.active.append(
        [
            None,
            "Oak Co.",
            "Oakworks",
            belt.slug,
            category.slug,
            "brand",
            "me_too",
            1,
            excel_day(2024, 5, 1),
            None,
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    preview = upload(client, Merchant, buffer.getvalue(), file_format=XLSX_FORMAT)
    assert not preview.context["result"].has_validation_errors()
    assert _confirm(client, Merchant, preview).status_code == 302
    assert Merchant.objects.get(shop_name="Oakworks").opened_on == datetime.date(2024, 5, 1)


def test_templates_need_the_import_permission(importer):
    _belt, client = importer
    assert client.get(admin_url(Merchant, "import_template", "pdf")).status_code == 404
    viewer = Client()
    viewer.force_login(StaffUserFactory(username="viewer"))
    assert viewer.get(admin_url(Merchant, "import_template", "csv")).status_code == 403


# Exports -----------------------------------------------------------------------------------------
def test_exports_open_in_excel_with_numbers_as_numbers(console_client):
    cohort = CohortFactory(name="秋季批次", seats=3)
    EnrollmentFactory(cohort=cohort, state=EnrollmentState.APPROVED, submitted_at=timezone.now())
    response = console_client.post(
        admin_url(Cohort, "export"), {"format": CSV_FORMAT, "resource": "0"}
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    _header, row = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert row[2] == "秋季批次"
    assert row[5:] == ["3", "1", "0", "1"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", row[3])  # to the second

    response = console_client.post(
        admin_url(Cohort, "export"), {"format": XLSX_FORMAT, "resource": "0"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = next(iter(sheet.iter_rows(min_row=2, values_only=False)))
    assert [cell.value for cell in cells[5:]] == [3, 1, 0, 1]
    assert all(cell.data_type == "n" for cell in cells[5:])
    assert cells[0].data_type == "n"  # the id
