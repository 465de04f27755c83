"""The chain's rows one by one: legs, hand-overs and their photos, SLA breaches. All read-only
here: legs are created with their shipment (``services.shipments``), their times and the
hand-overs are written by ``services.handovers`` from the shipment's page, breaches by
``services.sla``. Big tables: no unfiltered total count, filters on choices or on small related
tables (providers) only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from belts.admin_scoping import CenterScopedAdminMixin
from core.pagination import BigTablePaginator

from ..models import ConditionCheck, ConditionCheckPhoto, Leg, SlaBreach
from ..selectors import leg_is_overdue


class ReadOnlyAdminMixin:
    """Rows the services write: viewed in the console, never added, edited or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Leg)
class LegAdmin(CenterScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    belt_path = "shipment__merchant__belt"
    list_display = (
        "shipment",
        "sequence",
        "kind",
        "provider",
        "sla_due_at",
        "started_at",
        "completed_at",
        "is_overdue",
    )
    list_select_related = ("shipment", "provider")
    list_filter = (
        "kind",
        "provider",
        ("completed_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("shipment__order_reference",)
    autocomplete_fields = ("shipment",)
    # The model orders by the shipment's own ordering: a join and a sort of every leg for each
    # page. Ordering by the key instead walks the unique (shipment, sequence) index, newest
    # shipments first, each shipment's legs in sequence.
    ordering = ("-shipment_id", "sequence")
    show_full_result_count = False
    paginator = BigTablePaginator  # estimated or capped counts, deep pages by key
    list_per_page = 50

    @admin.display(description=_("overdue"), boolean=True)
    def is_overdue(self, obj):
        return leg_is_overdue(obj)


class ConditionCheckPhotoInline(admin.TabularInline):
    model = ConditionCheckPhoto
    fields = ("image", "content_type", "width", "height", "size", "uploaded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ConditionCheck)
class ConditionCheckAdmin(CenterScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    belt_path = "shipment__merchant__belt"
    list_display = ("shipment", "index", "condition", "checked_by", "checked_at", "corrections")
    list_select_related = ("shipment", "checked_by")
    list_filter = ("condition", "checked_at")
    search_fields = ("shipment__order_reference", "note")
    autocomplete_fields = ("shipment", "checked_by")
    inlines = (ConditionCheckPhotoInline,)
    # Newest first by key: the model orders by its leg, hence by the leg's shipment, a join and a
    # sort of every check for each page.
    ordering = ("-pk",)
    show_full_result_count = False
    paginator = BigTablePaginator  # estimated or capped counts, deep pages by key
    list_per_page = 50


@admin.register(ConditionCheckPhoto)
class ConditionCheckPhotoAdmin(CenterScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    belt_path = "check_record__shipment__merchant__belt"
    list_display = ("image", "check_record", "content_type", "width", "height", "size")
    list_select_related = ("check_record__shipment",)
    search_fields = ("check_record__shipment__order_reference",)
    readonly_fields = ("check_record", "image", "content_type", "width", "height", "size")
    ordering = ("-pk",)
    show_full_result_count = False
    paginator = BigTablePaginator  # estimated or capped counts, deep pages by key
    list_per_page = 50


@admin.register(SlaBreach)
class SlaBreachAdmin(CenterScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The SLA breaches, newest first: the leg, its provider, how it was late."""

    belt_path = "leg__shipment__merchant__belt"
    list_display = ("leg", "provider", "kind", "due_at", "detected_at")
    list_select_related = ("leg__shipment", "leg__provider")
    list_filter = ("kind", "leg__kind", "leg__provider")
    search_fields = ("leg__shipment__order_reference",)
    readonly_fields = ("leg", "kind", "due_at", "detected_at")
    ordering = ("-pk",)
    show_full_result_count = False
    paginator = BigTablePaginator  # estimated or capped counts, deep pages by key
    list_per_page = 50

    @admin.display(description=_("provider"), ordering="leg__provider__name")
    def provider(self, obj):
        return obj.leg.provider
