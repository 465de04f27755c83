"""Eligibility in the console: computed by the recompute tasks, shown with its reasons, never
typed by hand."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from belts.admin_scoping import CenterScopedAdminMixin
from core.pagination import BigTablePaginator

from ..criteria import explain
from ..eligibility import eligibility_reasons
from ..exceptions import CriterionError
from ..models import Eligibility
from ..presenters import criterion_label, criterion_value


@admin.register(Eligibility)
class EligibilityAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    """Computed by the recompute tasks: shown with its reasons, never typed by hand.

    Deleting is allowed (the next recompute writes the row again), so that deleting a merchant
    or a program is not blocked by its derived rows.
    """

    belt_path = "merchant__belt"

    list_display = (
        "merchant",
        "program",
        "rule_set_version",
        "is_eligible",
        "failed_criteria",
        "changed_at",
        "computed_at",
    )
    list_select_related = ("merchant", "program", "rule_set")
    list_filter = ("is_eligible", "program", "merchant__belt")
    search_fields = ("merchant__shop_name", "merchant__legal_name")
    fields = (
        "merchant",
        "program",
        "rule_set",
        "is_eligible",
        "reasons_table",
        "changed_at",
        "status_changes",
        "computed_at",
    )
    readonly_fields = fields
    # The model orders by the program's and the merchant's names, a sort over joined tables for
    # every page; the unique (merchant, program) index serves this order instead.
    ordering = ("merchant_id", "program_id")
    show_full_result_count = False
    paginator = BigTablePaginator  # estimated or capped counts, deep pages by key
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("rule set"), ordering="rule_set__version")
    def rule_set_version(self, obj):
        return _("v%(version)s") % {"version": obj.rule_set.version}

    @admin.display(description=_("failed criteria"))
    def failed_criteria(self, obj):
        return sum(1 for reason in stored_reasons(obj) if not reason.passed)

    @admin.display(description=_("reasons"))
    def reasons_table(self, obj):
        """One row per criterion: passed or not, the actual and the required value, the
        shortfall, and the explanation a merchant reads, in the active language."""
        reasons = stored_reasons(obj)
        if not reasons:
            return None
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    criterion_label(reason.type),
                    gettext("passed") if reason.passed else gettext("failed"),
                    criterion_value(reason.type, stored["actual"]),
                    criterion_value(reason.type, stored["required"]),
                    criterion_value(reason.type, stored["shortfall"]),
                    explain(reason),
                )
                for reason, stored in ((reason, reason.as_json()) for reason in reasons)
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
            "</tr></thead><tbody>{}</tbody></table>",
            gettext("criterion"),
            gettext("result"),
            gettext("actual"),
            gettext("required"),
            gettext("shortfall"),
            gettext("explanation"),
            rows,
        )


def stored_reasons(eligibility) -> list:
    """The eligibility's reasons as the engine reads them; none for a row it cannot read."""
    try:
        return eligibility_reasons(eligibility)
    except (CriterionError, ValueError, ArithmeticError):
        # A row in a shape the engine does not write (an import by hand): the page must not fail.
        return []
