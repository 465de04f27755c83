"""What the console imports from CSV (django-import-export): merchants and monthly metrics.

Both imports are all or nothing: the admin previews every row (a dry run, rolled back) and a
confirmed import runs in one transaction that rolls back when any row is invalid, so a file
with one bad row writes nothing; each bad row is reported with its number and field.

A staff member imports only into what their operation centers serve: a merchant's belt, or the
merchant a metric row names, must be in their scope, otherwise the row is an error.

Monthly metrics are written by ``monthly_metrics_upsert`` alone (after its commit the merchants'
eligibility is recomputed): the rows are checked one by one as they are read, then handed to the
service in one call at the end of the import, whose own refusal (``MetricError``) becomes an
error of each row it names. A figure's column may be left out of the file, or a cell left
blank: either way the month keeps the figure it has (a new month gets the default, 0). A 0 is
written as 0.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext
from import_export import fields, widgets

from belts.models import Category, IndustrialBelt
from belts.scoping import belt_scope
from core.imports import CellError, SheetModelResource

from .exceptions import MetricError
from .models import Merchant, MonthlyMetric
from .services.metrics import METRIC_FIELDS, monthly_metrics_upsert

# 2025-01, 2025-01-01, 2025/1, 2025/1/1, 2025年1月, 2025年1月1日.
_MONTH = re.compile(r"^(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?|年(\d{1,2})月(?:(\d{1,2})日)?)$")


class ScopedForeignKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key looked up among the rows the importing user may use; an unknown value (or
    one of another center) is a field error naming the value."""

    def __init__(self, model, field="pk", *, scope_path: str, **kwargs):
        super().__init__(model, field=field, **kwargs)
        self.scope_path = scope_path

    def get_queryset(self, value, row, *args, **kwargs):
        queryset = self.model._default_manager.all()
        user = kwargs.get("user")
        scope = belt_scope(user, self.scope_path) if user is not None else Q(pk__in=[])
        return queryset if scope is None else queryset.filter(scope)

    def clean(self, value, row=None, **kwargs):
        if value is None or not str(value).strip():
            raise CellError(gettext("%(field)s is required."))
        try:
            return super().clean(value, row, **kwargs)
        except (self.model.DoesNotExist, ValueError, TypeError):
            raise ValueError(
                gettext("“%(value)s” is not a %(model)s you may import into.")
                % {"value": value, "model": self.model._meta.verbose_name}
            ) from None


class MonthWidget(widgets.Widget):
    """A month as ``YYYY-MM`` or its first day ``YYYY-MM-DD`` (with slashes too), as
    ``2025年1月`` or ``2025年1月1日``, or a workbook's date."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, datetime.date):
            day = value
        else:
            match = _MONTH.match(str(value or "").strip())
            try:
                if not match:
                    raise ValueError
                year, month, day_of_month, month_zh, day_zh = match.groups()
                day = datetime.date(
                    int(year), int(month or month_zh), int(day_of_month or day_zh or 1)
                )
            except ValueError:
                raise ValueError(
                    gettext(
                        "“%(value)s” is not a month: write 2025-01, 2025/01, 2025年1月 "
                        "or the first day, 2025-01-01."
                    )
                    % {"value": value}
                ) from None
        if day.day != 1:
            raise ValueError(
                gettext("%(value)s is not the first day of a month.") % {"value": value}
            )
        return day

    def render(self, value, obj=None, **kwargs):
        return value.strftime("%Y-%m") if value else ""


class _UserMixin:
    """Keeps the importing user (passed by the admin to ``import_data``) for the widgets."""

    def before_import(self, dataset, **kwargs):
        self.user = kwargs.get("user")
        super().before_import(dataset, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        # The widgets get the user from ``kwargs``. Errors are keyed by column, as in the file.
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            columns = {field.attribute: field.column_name for field in self.get_import_fields()}
            raise ValidationError(
                {columns.get(name, name): messages for name, messages in error.error_dict.items()}
            ) from None

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's field checks, keyed by column; the foreign keys were resolved (in scope)
        by their widgets, and the table's constraints are the services' or the database's."""
        errors = dict(import_validation_errors or {})
        exclude = {*errors, *self.resolved_relations}
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        # An invalid row must undo the whole import, not only the rows that raised.
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors, **kwargs)


class MerchantResource(_UserMixin, SheetModelResource):
    """Merchants by ``id`` (blank: a new merchant), with their belt and category by slug."""

    resolved_relations = ("belt", "category")

    belt = fields.Field(
        attribute="belt",
        column_name="belt",
        widget=ScopedForeignKeyWidget(IndustrialBelt, "slug", scope_path="id"),
    )
    category = fields.Field(
        attribute="category",
        column_name="category",
        widget=widgets.ForeignKeyWidget(Category, "slug"),
    )

    class Meta:
        model = Merchant
        fields = (
            "id",
            "legal_name",
            "shop_name",
            "belt",
            "category",
            "merchant_type",
            "brand_stage",
            "is_smb",
            "opened_on",
            "returned_on",
            "district",
            "latitude",
            "longitude",
        )
        import_id_fields = ("id",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def before_import(self, dataset, **kwargs):
        # The id column is optional: a file of new merchants need not carry an empty one.
        if "id" not in (dataset.headers or []):
            dataset.insert_col(0, col=[""] * len(dataset), header="id")
        super().before_import(dataset, **kwargs)

    def get_queryset(self):
        # Existing merchants are found only in the user's scope: another center's id is an error.
        queryset = super().get_queryset()
        scope = belt_scope(self.user, "belt") if getattr(self, "user", None) else Q(pk__in=[])
        return queryset if scope is None else queryset.filter(scope)

    def before_import_row(self, row, **kwargs):
        merchant_id = row.get("id")
        if (
            merchant_id not in (None, "")
            and not self.get_queryset().filter(pk=str(merchant_id).strip()).exists()
        ):
            raise ValidationError(
                {"id": gettext("No merchant %(id)s that you may change.") % {"id": merchant_id}}
            )
        super().before_import_row(row, **kwargs)


class MonthlyMetricResource(_UserMixin, SheetModelResource):
    """One merchant's figures for one month, by ``merchant_id`` and ``month``."""

    resolved_relations = ("merchant", "merchant_id")

    merchant = fields.Field(
        attribute="merchant",
        column_name="merchant_id",
        widget=ScopedForeignKeyWidget(Merchant, "pk", scope_path="belt"),
    )
    month = fields.Field(attribute="month", column_name="month", widget=MonthWidget())

    class Meta:
        model = MonthlyMetric
        fields = ("merchant", "month", *METRIC_FIELDS)
        import_id_fields = ("merchant", "month")
        skip_unchanged = True
        report_skipped = True

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.pending: list[tuple[int, dict, MonthlyMetric]] = []

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        # A blank figure is no figure: the instance keeps the stored one, so the preview's
        # "unchanged" and the service's write agree.
        if field.attribute in METRIC_FIELDS and _blank(row.get(field.column_name)):
            return
        super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)

    def get_instance(self, instance_loader, row):
        # The key's own errors (an unknown merchant, a bad month) are the row's field errors,
        # reported by import_field; no lookup until both parse.
        try:
            merchant = self.fields["merchant"].clean(row, user=self.user)
            month = self.fields["month"].clean(row)
        except ValueError:
            return None
        return MonthlyMetric.objects.filter(merchant=merchant, month=month).first()

    def save_instance(self, instance, is_create, row, **kwargs):
        """Not saved here: kept for the service, which writes every row at the end at once."""
        self.pending.append((kwargs.get("row_number"), row, instance))

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        # Also when other rows are invalid (the import is rolled back then): the service's
        # refusal of a valid-looking row is reported in the same pass.
        if not self.pending or result.has_errors():
            return
        columns = {field.attribute: field.column_name for field in self.get_import_fields()}
        rows = [
            {
                "merchant_id": instance.merchant_id,
                "month": instance.month,
                # Only the figures the file gives: the service keeps the others as stored.
                **{
                    name: getattr(instance, name)
                    for name in METRIC_FIELDS
                    if columns[name] in row and not _blank(row[columns[name]])
                },
            }
            for _number, row, instance in self.pending
        ]
        try:
            # In the preview too: the dry run's transaction is rolled back, and with it the
            # service's writes and its after-commit recompute.
            monthly_metrics_upsert(rows=rows, user=self.user)
        except MetricError as error:
            self._report(result, error)
            return
        written = {
            (metric.merchant_id, metric.month): metric.pk
            for metric in MonthlyMetric.objects.filter(
                merchant_id__in={instance.merchant_id for _n, _r, instance in self.pending},
                month__in={instance.month for _n, _r, instance in self.pending},
            ).only("pk", "merchant_id", "month")
        }
        for _number, _row, instance in self.pending:
            instance.pk = written.get((instance.merchant_id, instance.month))

    def _report(self, result, error: MetricError) -> None:
        """The service's refusal as errors of the rows it names (its ``index`` counts the rows
        it was given from 0: the pending rows, in order)."""
        columns = {field.attribute: field.column_name for field in self.get_import_fields()}
        by_row: dict[int, dict[str, list[str]]] = {}
        for problem in error.details or [
            {"index": 0, "field": error.field, "message": error.message}
        ]:
            index = problem["index"] if 0 <= problem["index"] < len(self.pending) else 0
            column = columns.get(problem["field"], problem["field"] or "__all__")
            by_row.setdefault(index, {}).setdefault(column, []).append(problem["message"])
        for index, errors in sorted(by_row.items()):
            number, row = self.pending[index][0], self.pending[index][1]
            worded = {
                column: [
                    gettext("Row %(row)s: %(message)s") % {"row": number, "message": message}
                    for message in messages
                ]
                for column, messages in errors.items()
            }
            result.append_invalid_row(number, row, ValidationError(worded))


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
