"""What every app's console pages share: the CSV and Excel exports, the previewed CSV and Excel
import, the answer to a link to a row that is not there, and the lists' row links. Only Django
and django-import-export here, no project app."""

from typing import Any
from urllib.parse import quote as url_quote
from urllib.parse import urlsplit

import tablib
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext
from import_export.admin import ExportMixin, ImportMixin
from import_export.formats.base_formats import XLSX
from import_export.forms import ExportForm

from core.imports import DetectedCSV, ExcelCSV, ImportFileError, WorkbookXLSX

# The formats of an import's blank template, by the name in its address.
TEMPLATE_FORMATS = {"csv": ExcelCSV, "xlsx": XLSX}


def object_missing_redirect(
    model_admin: ModelAdmin, request: HttpRequest, object_id: str
) -> HttpResponseRedirect:
    """For a page of one row that does not exist (any more): a warning naming the key and a
    redirect to the console's index, as the admin's own change and delete pages answer."""
    opts = model_admin.opts
    model_admin.message_user(
        request,
        # Django's own words (and their translations) for its change and delete pages.
        gettext("%(name)s with ID “%(key)s” doesn’t exist. Perhaps it was deleted?")  # noqa: RUF001
        % {"name": opts.verbose_name, "key": unquote(object_id)},
        messages.WARNING,
    )
    return HttpResponseRedirect(reverse("admin:index", current_app=model_admin.admin_site.name))


class ConsoleExportMixin(ExportMixin):
    """CSV and Excel exports of the changelist as filtered, through the admin's (scoped)
    queryset. The plain export form: the selectable-fields one needs inline event handlers,
    which the console's content security policy refuses."""

    export_formats = [ExcelCSV, XLSX]
    export_form_class = ExportForm

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_valid_export_item_pks(self, request: HttpRequest) -> QuerySet:
        # Only for an export posted from an action: the scoped rows, never the whole table.
        return self.get_queryset(request).values_list("pk", flat=True)


class ConsoleImportMixin(ImportMixin):
    """An import with a preview: the file (CSV in UTF-8 or GB18030, or an Excel workbook) is read
    and every row checked in a dry run that is rolled back; the preview shows each bad row with
    its errors beside the cells they concern; the confirmation imports it in one transaction
    that an invalid row rolls back entirely. Each import offers a blank template of its columns.
    Allowed to whoever may add and change the model."""

    import_formats = [DetectedCSV, WorkbookXLSX]

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_urls(self) -> list:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "import/template.<str:extension>",
                self.admin_site.admin_view(self.import_template_view),
                name="{}_{}_import_template".format(*info),
            ),
            *super().get_urls(),
        ]

    def import_template_view(self, request: HttpRequest, extension: str) -> HttpResponse:
        """A file with the header row of the import's columns, to fill in and upload."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        if extension not in TEMPLATE_FORMATS:
            raise Http404
        file_format = TEMPLATE_FORMATS[extension]()
        resource_class = self.get_import_resource_classes(request)[0]
        resource = resource_class(**self.get_import_resource_kwargs(request))
        dataset = tablib.Dataset(
            headers=[str(field.column_name) for field in resource.get_import_fields()]
        )
        response = HttpResponse(
            file_format.export_data(dataset), content_type=file_format.get_content_type()
        )
        name = f"{self.opts.model_name}-template.{file_format.get_extension()}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def add_data_read_fail_error_to_form(self, form: Any, e: Exception) -> None:
        # The reason in words, never the exception's class.
        if isinstance(e, ImportFileError):
            form.add_error("import_file", str(e))
        else:
            form.add_error(
                "import_file",
                gettext(
                    "The file could not be read in the format chosen: check that it is a CSV "
                    "file or an Excel workbook (.xlsx), as the format says."
                ),
            )

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        response = super().import_action(request, **kwargs)
        if isinstance(response, TemplateResponse) and response.context_data is not None:
            context = response.context_data
            info = self.opts.app_label, self.opts.model_name
            context["import_templates"] = [
                (
                    label,
                    reverse(
                        "admin:{}_{}_import_template".format(*info),
                        args=[extension],
                        current_app=self.admin_site.name,
                    ),
                )
                for extension, label in (
                    ("csv", gettext("CSV template")),
                    ("xlsx", gettext("Excel template")),
                )
            ]
            result = context.get("result")
            if result is not None:
                context["invalid_row_cells"] = invalid_row_cells(result)
                # The file's own problems in words; any other failure without its exception.
                context["file_errors"] = [
                    str(error.error)
                    if isinstance(error.error, ImportFileError)
                    else gettext("The file could not be imported. Nothing was written.")
                    for error in result.base_errors
                ]
        return response

    def process_result(self, result: Any, request: HttpRequest) -> HttpResponse:
        if result.has_errors() or result.has_validation_errors():
            # The rows changed between the preview and the confirmation: nothing was written.
            numbers = sorted(
                {row.number for row in result.invalid_rows}
                | {number for number, _errors in result.row_errors()}
            )
            self.message_user(
                request,
                gettext("Nothing was imported: rows %(rows)s are not valid any more.")
                % {"rows": ", ".join(map(str, numbers))},
                messages.ERROR,
            )
            info = self.opts.app_label, self.opts.model_name
            return HttpResponseRedirect(
                reverse("admin:{}_{}_import".format(*info), current_app=self.admin_site.name)
            )
        return super().process_result(result, request)


def invalid_row_cells(result: Any) -> list[dict]:
    """The preview's invalid rows, each as its cells (the column, the value read, the errors of
    that column) and the errors that concern no column of the file."""
    headers = [str(header) for header in result.diff_headers]
    rows = []
    for row in result.invalid_rows:
        errors = {str(key): list(messages) for key, messages in row.error_dict.items()}
        cells = [
            {
                "column": column,
                "value": "" if value in (None, "---") else value,
                "errors": errors.pop(column, []),
            }
            for column, value in zip(headers, row.values, strict=False)
        ]
        general = errors.pop(NON_FIELD_ERRORS, [])
        # Errors of a column the file lacks (a required one) are named by that column.
        other = list(errors.items())
        rows.append({"number": row.number, "cells": cells, "general": general, "other": other})
    return rows


class ConsoleChangeList(ChangeList):
    """The admin's list, its rows' links made once per page instead of once per row.

    Django resolves each row's link afresh: ``reverse()`` of the change page, then, when the
    list is filtered, searched, sorted or paged, ``add_preserved_filters`` parses the filters
    and ``resolve()``s the link to decide how to carry them: about a third of a 50-row page's
    rendering. Every row's link differs only by its key, so the page reverses the change page
    once (with a marker for the key, escaped as ``reverse()`` escapes it) and computes the
    carried filters once, by Django's own function; the rows' links are exactly Django's.

    The carried filters are added here, so the ones ``items_for_result`` would add again are
    blanked once the list is built (``preserved_filters`` is read by nothing else in Django 5.2;
    ``tests/console/test_changelist_links.py`` compares the links with Django's).
    """

    _MARKER = "0rowkey0"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        try:
            change = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=(self._MARKER,),
                current_app=self.model_admin.admin_site.name,
            )
        except NoReverseMatch:
            # No change page: Django's rows then show their text without a link.
            self._link_head = None
            return
        self._link_head, _marker, tail = change.partition(self._MARKER)
        carried = urlsplit(
            add_preserved_filters(
                {"preserved_filters": self.preserved_filters, "opts": self.opts}, change
            )
        ).query
        self._link_tail = f"{tail}?{carried}" if carried else tail
        self.preserved_filters = ""

    def url_for_result(self, result: Any) -> str:
        if self._link_head is None:
            return super().url_for_result(result)
        key = url_quote(
            str(quote(getattr(result, self.pk_attname))), safe=RFC3986_SUBDELIMS + "/~:@"
        )
        return f"{self._link_head}{key}{self._link_tail}"
