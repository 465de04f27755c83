"""The console's import and export files as offices in China make and open them.

Reading: a CSV upload is kept as bytes and decoded here, by a rule rather than a guess (see
``import_text_decode``); an Excel workbook (.xlsx) is read from its first sheet. Cells are read by
widgets that accept what a spreadsheet holds (a date as 2024-05-01, 2024/05/01 or 2024年5月1日,
a number as typed or as Excel stores it) and say in words, in the reader's language, what is
wrong with a cell: "GMV (CNY) must be a number", never a Python exception.

Writing: a CSV export starts with the UTF-8 byte order mark, so Excel opens the Chinese in it
as text rather than as GBK mojibake; numbers stay numbers (an xlsx cell of type number, a CSV
cell without grouping).

Only Django, tablib and django-import-export here, no project app.
"""

import codecs
import datetime
import decimal
import numbers
import re
from io import BytesIO
from typing import Any

import tablib
from diff_match_patch import diff_match_patch
from django.core.exceptions import FieldDoesNotExist, MultipleObjectsReturned, ObjectDoesNotExist
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext
from import_export import resources, widgets
from import_export.formats.base_formats import CSV, XLSX


class ImportFileError(ValueError):
    """A file that cannot be read at all; its message is for the person who uploaded it."""


class CellError(ValueError):
    """A cell that cannot be read. ``message`` names the column as ``%(field)s``: the resource
    fills in the field's name in the reader's language (a widget does not know it)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Reading files -----------------------------------------------------------------------------------
def import_text_decode(data: bytes) -> str:
    """The text of an uploaded CSV file.

    The rule, in order: a UTF-8 byte order mark means UTF-8 (what Excel's "CSV UTF-8" writes);
    otherwise bytes that decode as strict UTF-8 are UTF-8; otherwise bytes that decode as strict
    GB18030 are GB18030 (a superset of GBK and GB2312: what Excel writes as "CSV" on Chinese
    Windows); otherwise the file is refused, naming both encodings.

    It is not a guess because UTF-8 is self-checking: every byte above 0x7F must belong to a
    lead byte (0xC2-0xF4) followed by the exact number of continuation bytes (0x80-0xBF). GBK
    writes a Chinese character as a lead byte 0x81-0xFE and a trail byte 0x40-0xFE, so a
    character whose trail is not a continuation byte, or two characters in a row whose bytes do
    not happen to form a UTF-8 sequence, breaks UTF-8 at once; a real line of GBK text is
    essentially never valid UTF-8. ASCII-only text is the same in all three encodings. The
    order matters: UTF-8 is tried first because GB18030 would also accept many UTF-8 byte
    sequences (as the wrong characters), the reverse is what almost never happens.
    """
    if data.startswith(codecs.BOM_UTF8):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            # UTF-16 without its mark ("Unicode text" in Excel): every other byte is a zero.
            break
        return text
    raise ImportFileError(
        gettext(
            "The file is neither UTF-8 nor GB18030 (GBK) text. In Excel, save it as "
            "“CSV UTF-8” or “CSV”, or upload the workbook (.xlsx) itself."
        )
    )


class DetectedCSV(CSV):
    """A CSV import whose encoding is detected by ``import_text_decode``: the upload is kept as
    bytes (binary to django-import-export, which would otherwise decode it with one fixed
    encoding before this class sees it)."""

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"

    def create_dataset(self, in_stream: bytes | str, **kwargs: Any) -> tablib.Dataset:
        text = import_text_decode(in_stream) if isinstance(in_stream, bytes) else in_stream
        return tablib.import_set(text, format="csv", **kwargs)

    def can_export(self) -> bool:
        return False


class ExcelCSV(CSV):
    """A CSV export that Excel opens as UTF-8: the text starts with the byte order mark."""

    CONTENT_TYPE = "text/csv; charset=utf-8"

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> str:
        return codecs.BOM_UTF8.decode("utf-8") + super().export_data(dataset, **kwargs)

    def can_import(self) -> bool:
        return False


class WorkbookXLSX(XLSX):
    """An Excel workbook, read from its active sheet: header cells as text, fully blank rows
    (Excel keeps formatted empty rows) left out."""

    def create_dataset(self, in_stream: bytes) -> tablib.Dataset:
        import openpyxl  # noqa: PLC0415 - as the library does: only a workbook needs it

        try:
            book = openpyxl.load_workbook(BytesIO(in_stream), read_only=True, data_only=True)
        except Exception:  # zipfile.BadZipFile, KeyError, ...: the bytes are no workbook
            raise ImportFileError(
                gettext("The file is not an Excel workbook (.xlsx) that can be read.")
            ) from None
        rows = book.active.iter_rows(values_only=True)
        dataset = tablib.Dataset()
        header = next(rows, None)
        if header is None:
            return dataset
        width = len(header)
        while width and header[width - 1] in (None, ""):
            width -= 1
        dataset.headers = ["" if cell is None else str(cell).strip() for cell in header[:width]]
        for row in rows:
            values = list(row[:width]) + [None] * (width - len(row))
            if all(
                value is None or (isinstance(value, str) and not value.strip()) for value in values
            ):
                continue
            dataset.append(values)
        book.close()
        return dataset


# Reading cells -----------------------------------------------------------------------------------
def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# Thousands separators as typed or exported by spreadsheets (ASCII and full-width comma, spaces).
_GROUPING = re.compile(r"[,，\s]")  # noqa: RUF001 - the full-width comma is the point


def _decimal(value: Any) -> decimal.Decimal:
    if isinstance(value, bool):
        raise CellError(gettext("%(field)s must be a number."))
    if isinstance(value, float):
        # Excel stores numbers as floats: 1000.1 read back is 1000.1, not 1000.0999999...
        value = repr(value)
    try:
        number = decimal.Decimal(_GROUPING.sub("", str(value)))
    except decimal.InvalidOperation:
        raise CellError(gettext("%(field)s must be a number.")) from None
    if not number.is_finite():
        raise CellError(gettext("%(field)s must be a number."))
    return number


class SheetDecimalWidget(widgets.DecimalWidget):
    """A decimal as typed (``1,234.5`` too) or as the workbook stores it."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> decimal.Decimal | None:
        return None if _is_blank(value) else _decimal(value)


class SheetIntegerWidget(widgets.IntegerWidget):
    """A whole number as typed (``1,234``, ``12.0``) or as the workbook stores it."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> int | None:
        if _is_blank(value):
            return None
        number = _decimal(value)
        if number != number.to_integral_value() or number.adjusted() > 18:
            raise CellError(gettext("%(field)s must be a whole number."))
        return int(number)


# The forms of a date offices type: ISO, slashes (Excel on Chinese Windows) and Chinese.
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d")


class SheetDateWidget(widgets.DateWidget):
    """A date as 2024-05-01, 2024/5/1, 2024年5月1日 (zeros optional), or a workbook's date."""

    def __init__(self, **kwargs: Any):
        super().__init__(format=DATE_FORMATS[0], **kwargs)

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> datetime.date | None:
        if _is_blank(value):
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = str(value).strip()
        for date_format in DATE_FORMATS:
            try:
                return datetime.datetime.strptime(text, date_format).date()  # noqa: DTZ007 - a date
            except ValueError:
                continue
        raise CellError(
            gettext("%(field)s must be a date such as 2024-05-01, 2024/05/01 or 2024年5月1日.")
        )


class SheetBooleanWidget(widgets.BooleanWidget):
    """Yes or no as 1/0, true/false, yes/no or 是/否; anything else is an error (the library's
    widget reads every unknown word as no)."""

    TRUE_WORDS = frozenset({"1", "true", "yes", "y", "是"})
    FALSE_WORDS = frozenset({"0", "false", "no", "n", "否"})

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> bool | None:
        if _is_blank(value):
            return None
        if isinstance(value, bool):
            return value
        word = str(int(value) if isinstance(value, float) and value.is_integer() else value)
        word = word.strip().lower()
        if word in self.TRUE_WORDS:
            return True
        if word in self.FALSE_WORDS:
            return False
        raise CellError(gettext("%(field)s must be yes or no (1 or 0)."))


class PreviewDiff(resources.Diff):
    """The preview's cells: what changes marked as <ins> and <del> (styled by the page's style
    sheet), without the diff library's inline styles, which the console's content security
    policy refuses."""

    TAGS = {diff_match_patch.DIFF_INSERT: "ins", diff_match_patch.DIFF_DELETE: "del"}

    def as_html(self) -> list[SafeString]:
        engine = diff_match_patch()
        cells = []
        for before, after in zip(self.left, self.right, strict=False):
            if before != after and self.new:
                before = ""
            diff = engine.diff_main(str(before), str(after))
            engine.diff_cleanupSemantic(diff)
            cells.append(
                format_html_join(
                    "",
                    "<{}>{}</{}>",
                    (
                        (self.TAGS.get(op, "span"), text, self.TAGS.get(op, "span"))
                        for op, text in diff
                        if text
                    ),
                )
            )
        return cells


class SheetModelResource(resources.ModelResource):
    """A console import: the sheet widgets above for the model's plain fields, and every cell
    error worded with the field's name."""

    WIDGETS_MAP = {
        **resources.ModelResource.WIDGETS_MAP,
        "DecimalField": SheetDecimalWidget,
        "DateField": SheetDateWidget,
        "FloatField": SheetDecimalWidget,
        "IntegerField": SheetIntegerWidget,
        "PositiveIntegerField": SheetIntegerWidget,
        "BigIntegerField": SheetIntegerWidget,
        "PositiveBigIntegerField": SheetIntegerWidget,
        "PositiveSmallIntegerField": SheetIntegerWidget,
        "SmallIntegerField": SheetIntegerWidget,
        "AutoField": SheetIntegerWidget,
        "BigAutoField": SheetIntegerWidget,
        "BooleanField": SheetBooleanWidget,
    }

    def _check_import_id_fields(self, headers: list[str] | None) -> None:
        # The library's check (same call, after ``before_import``), worded for the reader: the
        # columns that find the row to write must be in the file.
        missing = [
            str(self.fields[name].column_name)
            for name in self.get_import_id_fields()
            if name in self.fields and self.fields[name].column_name not in (headers or [])
        ]
        if missing:
            raise ImportFileError(
                gettext("The file has no column %(columns)s, which this import needs.")
                % {"columns": ", ".join(missing)}
            )

    def get_diff_class(self) -> type[resources.Diff]:
        return PreviewDiff

    def field_label(self, field: Any) -> str:
        """The column's name for a message: the model field's name in the reader's language."""
        try:
            return str(capfirst(self._meta.model._meta.get_field(field.attribute).verbose_name))
        except (FieldDoesNotExist, TypeError, AttributeError):
            return str(field.column_name)

    def import_field(
        self, field: Any, instance: Any, row: Any, is_m2m: bool = False, **kwargs: Any
    ) -> None:
        try:
            super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)
        except CellError as error:
            raise ValueError(error.message % {"field": self.field_label(field)}) from None
        except (ObjectDoesNotExist, MultipleObjectsReturned):
            raise ValueError(
                gettext("%(field)s: there is no “%(value)s”.")
                % {"field": self.field_label(field), "value": row.get(field.column_name)}
            ) from None
        except ValueError as error:
            if type(field.widget).__module__.startswith("import_export."):
                # The library's own words are English and technical.
                raise ValueError(
                    gettext("%(field)s is not valid.") % {"field": self.field_label(field)}
                ) from None
            raise ValueError(str(error)) from None
        except (TypeError, ArithmeticError):
            raise ValueError(
                gettext("%(field)s is not valid.") % {"field": self.field_label(field)}
            ) from None


# Writing -----------------------------------------------------------------------------------------
class SheetExportResource(resources.ModelResource):
    """A console export: a number stays a number (an xlsx number cell; in CSV without grouping
    or exponent), a time is written to the second."""

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        dehydrate = field.get_dehydrate_method(self.get_field_name(field))
        plain = not callable(dehydrate) and getattr(self, dehydrate, None) is None
        raw = field.get_value(instance) if plain and field.attribute else None
        if isinstance(raw, numbers.Number) and not isinstance(raw, bool):
            value = raw  # not the widget's text: "3200.00" would be a text cell in xlsx
        else:
            value = super().export_field(field, instance, **kwargs)
        if kwargs.get("force_native_type"):
            return value
        if isinstance(value, decimal.Decimal):
            return format(value, "f")
        if isinstance(value, datetime.datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, datetime.date):
            return value.isoformat()
        return value
