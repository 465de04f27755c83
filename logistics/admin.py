"""Staff console for delivery and installation: providers, shipments, legs, condition checks and
incidents. Shipments and legs are big tables: no unfiltered total count, filters on choices or
on small related tables (providers, belts) only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from belts.admin_scoping import CenterScopedAdminMixin
from core.money import format_cny_exact as format_cny

from .models import (
    ConditionCheck,
    ConditionCheckPhoto,
    Incident,
    Leg,
    ProviderMembership,
    ServiceProvider,
    Shipment,
    SlaBreach,
)
from .selectors import leg_is_overdue


@admin.register(ServiceProvider)
class ServiceProviderAdmin(admin.ModelAdmin):
    list_display = ("name", "name_zh", "kind", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "name_zh")


class LegInline(admin.TabularInline):
    model = Leg
    fields = ("sequence", "kind", "provider", "sla_due_at", "started_at", "completed_at")
    extra = 0
    show_change_link = True  # the leg's page holds its condition checks

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("provider")


@admin.register(Shipment)
class ShipmentAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    belt_path = "merchant__belt"
    list_display = (
        "order_reference",
        "merchant",
        "item_description",
        "declared_value_cny",
        "destination_city",
        "promised_delivery_on",
        "promised_installation_on",
        "status",
        "created_at",
    )
    list_select_related = ("merchant", "destination_city")
    # No date hierarchy on this big table: it scans every row for its range on each page view.
    list_filter = (
        "status",
        "promised_delivery_on",
        "created_at",
        "merchant__belt",
        "destination_city__province",
    )
    search_fields = ("order_reference", "merchant__shop_name", "item_description")
    autocomplete_fields = ("merchant", "destination_city")
    # Newest first by key: the model's "-created_at" order has no index and would sort the whole
    # table for every page; ids grow with creation time, so the order is the same.
    ordering = ("-pk",)
    readonly_fields = ("created_at",)
    inlines = (LegInline,)
    show_full_result_count = False

    @admin.display(description=_("declared value"), ordering="declared_value")
    def declared_value_cny(self, obj):
        return format_cny(obj.declared_value)


@admin.register(Leg)
class LegAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
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

    @admin.display(description=_("overdue"), boolean=True)
    def is_overdue(self, obj):
        return leg_is_overdue(obj)


@admin.register(ConditionCheck)
class ConditionCheckAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    belt_path = "shipment__merchant__belt"
    list_display = ("shipment", "index", "condition", "checked_by", "checked_at")
    list_select_related = ("shipment", "checked_by")
    list_filter = ("condition", "checked_at")
    search_fields = ("shipment__order_reference", "note")
    autocomplete_fields = ("shipment", "checked_by")
    # Newest first by key: the model orders by its leg, hence by the leg's shipment, a join and a
    # sort of every check for each page.
    ordering = ("-pk",)
    show_full_result_count = False


@admin.register(Incident)
class IncidentAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    belt_path = "shipment__merchant__belt"
    list_display = (
        "shipment",
        "kind",
        "status",
        "responsible_leg_label",
        "resolution",
        "resolution_cost_cny",
        "reported_at",
        "resolved_at",
    )
    list_select_related = ("shipment", "responsible_leg__provider")
    list_filter = (
        "status",
        "kind",
        "resolution",
        "responsible_leg__kind",
        "responsible_leg__provider",
    )
    date_hierarchy = "reported_at"
    search_fields = ("shipment__order_reference", "description")
    autocomplete_fields = ("shipment", "responsible_leg")
    fieldsets = (
        (None, {"fields": ("shipment", "kind", "description", "reported_at", "status")}),
        (_("Attribution"), {"fields": ("responsible_leg",)}),
        (_("Resolution"), {"fields": ("resolution", "resolution_cost", "resolved_at")}),
    )
    show_full_result_count = False

    @admin.display(description=_("responsible leg"), ordering="responsible_leg__kind")
    def responsible_leg_label(self, obj):
        leg = obj.responsible_leg
        if leg is None:
            return None
        return _("#%(sequence)s %(kind)s by %(provider)s") % {
            "sequence": leg.sequence,
            "kind": leg.get_kind_display(),
            "provider": leg.provider.name,
        }

    @admin.display(description=_("resolution cost"), ordering="resolution_cost")
    def resolution_cost_cny(self, obj):
        return format_cny(obj.resolution_cost)


class ConditionCheckPhotoInline(admin.TabularInline):
    model = ConditionCheckPhoto
    fields = ("image", "content_type", "width", "height", "size", "uploaded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(ConditionCheckPhoto)
class ConditionCheckPhotoAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    belt_path = "check_record__shipment__merchant__belt"
    list_display = ("image", "check_record", "content_type", "width", "height", "size")
    list_select_related = ("check_record__shipment",)
    search_fields = ("check_record__shipment__order_reference",)
    readonly_fields = ("check_record", "image", "content_type", "width", "height", "size")
    ordering = ("-pk",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # photos come with a hand-over, checked by logistics.photos


@admin.register(SlaBreach)
class SlaBreachAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    belt_path = "leg__shipment__merchant__belt"
    list_display = ("leg", "kind", "due_at", "detected_at")
    list_select_related = ("leg__shipment",)
    list_filter = ("kind", "leg__kind", "leg__provider")
    search_fields = ("leg__shipment__order_reference",)
    readonly_fields = ("leg", "kind", "due_at", "detected_at")
    ordering = ("-pk",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # recorded by logistics.services.sla


@admin.register(ProviderMembership)
class ProviderMembershipAdmin(admin.ModelAdmin):
    """The users providers act through (their API keys' users): the platform's own business."""

    list_display = ("user", "provider")
    list_select_related = ("user", "provider")
    autocomplete_fields = ("user", "provider")

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
