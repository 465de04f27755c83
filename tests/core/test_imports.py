"""Reading the console's import files: the encoding rule and the cells' widgets."""

import datetime
from decimal import Decimal

import pytest
import tablib

from core.imports import (
    CellError,
    DetectedCSV,
    ExcelCSV,
    ImportFileError,
    SheetBooleanWidget,
    SheetDateWidget,
    SheetDecimalWidget,
    SheetIntegerWidget,
    import_text_decode,
)

TEXT = "商家,店铺\n佛山家具厂,橡木工坊\n"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (TEXT.encode("utf-8"), "UTF-8 without a mark"),
        (TEXT.encode("utf-8-sig"), "Excel's CSV UTF-8: with the mark"),
        (TEXT.encode("gbk"), "Excel's CSV on Chinese Windows"),
        (TEXT.encode("gb18030"), "GB18030"),
    ],
)
def test_the_text_is_read_whatever_excel_saved(data, why):
    assert import_text_decode(data) == TEXT, why


def test_the_mark_is_not_part_of_the_first_header():
    assert import_text_decode("\ufeffmerchant_id,month\n".encode()).startswith("merchant_id")


def test_gbk_text_is_not_read_as_utf8():
    # Each of these is valid GBK; as UTF-8 it fails at the first character, so the rule never
    # takes it for UTF-8 (and never shows it as mojibake).
    for word in ("中文", "佛山家具", "白沟箱包", "月", "顺德小家电"):
        data = word.encode("gbk")
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        assert import_text_decode(data) == word


def test_characters_outside_gbk_read_as_gb18030():
    text = "䶮,€"  # GB18030's four-byte forms
    assert import_text_decode(text.encode("gb18030")) == text


@pytest.mark.parametrize(
    "data",
    [
        "id,商家".encode("utf-16-le"),  # "Unicode text" without its mark: zeros after ASCII
        "商家".encode("utf-16"),  # with its mark FF FE: no GB18030 lead byte
        b"\xef\xbb\xbf\xd6\xd0",  # a UTF-8 mark before GBK bytes
        b"\x81\x20",  # a GB18030 lead byte without its trail
    ],
)
def test_other_bytes_are_refused_in_words(data):
    with pytest.raises(ImportFileError, match="neither UTF-8 nor GB18030"):
        import_text_decode(data)


def test_the_csv_format_keeps_the_upload_as_bytes_and_decodes_it():
    csv_format = DetectedCSV()
    assert csv_format.is_binary()
    assert csv_format.get_read_mode() == "rb"
    dataset = csv_format.create_dataset(TEXT.encode("gbk"))
    assert dataset.headers == ["商家", "店铺"]
    assert dataset[0] == ("佛山家具厂", "橡木工坊")


def test_the_csv_export_starts_with_the_mark():
    text = ExcelCSV().export_data(tablib.Dataset(("橡木工坊", 3), headers=["店铺", "席位"]))
    assert text.startswith("\ufeff店铺,席位")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01", datetime.date(2024, 5, 1)),
        ("2024/05/01", datetime.date(2024, 5, 1)),
        ("2024/5/1", datetime.date(2024, 5, 1)),
        ("2024年5月1日", datetime.date(2024, 5, 1)),
        ("2024年05月01日", datetime.date(2024, 5, 1)),
        (" 2024-05-01 ", datetime.date(2024, 5, 1)),
        (datetime.datetime(2024, 5, 1), datetime.date(2024, 5, 1)),  # noqa: DTZ001 - a workbook's
        ("", None),
        (None, None),
    ],
)
def test_dates_in_the_common_forms(value, expected):
    assert SheetDateWidget().clean(value) == expected


@pytest.mark.parametrize("value", ["2024-13-01", "01/05/2024", "May 1", "2024年5月", "yesterday"])
def test_other_dates_are_an_error_in_words(value):
    with pytest.raises(CellError) as error:
        SheetDateWidget().clean(value)
    assert error.value.message % {"field": "Opened on"} == (
        "Opened on must be a date such as 2024-05-01, 2024/05/01 or 2024年5月1日."
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1000000", Decimal("1000000")),
        ("1,234.50", Decimal("1234.50")),
        ("1，234.5", Decimal("1234.5")),  # noqa: RUF001 - a full-width comma, as typed in Chinese
        (1000.1, Decimal("1000.1")),  # an Excel number, without the float's noise
        (12, Decimal("12")),
        ("", None),
    ],
)
def test_decimals(value, expected):
    assert SheetDecimalWidget().clean(value) == expected


@pytest.mark.parametrize("value", ["abc", "1.2.3", "NaN", "Infinity", "¥100", True])
def test_a_decimal_that_is_no_number_is_an_error_in_words(value):
    with pytest.raises(CellError) as error:
        SheetDecimalWidget().clean(value)
    assert error.value.message % {"field": "GMV"} == "GMV must be a number."


def test_integers():
    widget = SheetIntegerWidget()
    assert widget.clean("1,200") == 1200
    assert widget.clean(12.0) == 12
    for value, message in (("12.5", "a whole number"), ("many", "a number"), ("1e400", "whole")):
        with pytest.raises(CellError, match=message):
            widget.clean(value)


def test_booleans_are_strict():
    widget = SheetBooleanWidget()
    assert [widget.clean(v) for v in ("1", "0", "yes", "否", "是", True, 1.0, "")] == [
        True,
        False,
        True,
        False,
        True,
        True,
        True,
        None,
    ]
    with pytest.raises(CellError, match="yes or no"):
        widget.clean("maybe")  # the library's widget reads it as False
