"""What every app's console pages share: the CSV and Excel exports, the previewed CSV import,
and the answer to a link to a row that is not there. Only Django and django-import-export here,
no project app."""

from typing import Any

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from import_export.admin import ExportMixin, ImportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ExportForm


def object_missing_redirect(
    model_admin: ModelAdmin, request: HttpRequest, object_id: str
) -> HttpResponseRedirect:
    """For a page of one row that does not exist (any more): a warning naming the key and a
    redirect to the console's index, as the admin's own change and delete pages answer."""
    opts = model_admin.opts
    model_admin.message_user(
        request,
        # Django's own words (and their translations) for its change and delete pages.
        gettext("%(name)s with ID “%(key)s” doesn’t exist. Perhaps it was deleted?")
        % {"name": opts.verbose_name, "key": unquote(object_id)},
        messages.WARNING,
    )
    return HttpResponseRedirect(reverse("admin:index", current_app=model_admin.admin_site.name))


class ConsoleExportMixin(ExportMixin):
    """CSV and Excel exports of the changelist as filtered, through the admin's (scoped)
    queryset. The plain export form: the selectable-fields one needs inline event handlers,
    which the console's content security policy refuses."""

    export_formats = [CSV, XLSX]
    export_form_class = ExportForm

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_valid_export_item_pks(self, request: HttpRequest) -> QuerySet:
        # Only for an export posted from an action: the scoped rows, never the whole table.
        return self.get_queryset(request).values_list("pk", flat=True)


class ConsoleImportMixin(ImportMixin):
    """A CSV import with a preview: the file is read and every row checked in a dry run that
    is rolled back; the confirmation imports it in one transaction that an invalid row rolls
    back entirely. Allowed to whoever may add and change the model."""

    import_formats = [CSV]

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

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
