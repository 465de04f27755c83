"""Staff console for geography and clusters.

Every changelist runs a fixed number of queries whatever the page size: foreign keys shown in
``list_display`` are in ``list_select_related``, counts are annotated in ``get_queryset``.
"""

from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.money import format_cny_exact as format_cny
from core.money import format_ratio
from core.pagination import BigTablePaginator

from .admin_scoping import CenterScopedAdminMixin
from .choices import BeltTier
from .models import (
    BeltTierChange,
    BeltYearStat,
    Category,
    City,
    IndustrialBelt,
    OperationCenter,
    OperationCenterMembership,
    TierPolicy,
)


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "name_zh",
        "province",
        "province_zh",
        "is_prefecture_level",
        "latitude",
        "longitude",
    )
    # Cities are a few hundred rows: listing their distinct provinces is cheap (and indexed).
    list_filter = ("is_prefecture_level", "province")
    search_fields = ("name", "name_zh", "province", "province_zh")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "name_zh", "slug")
    search_fields = ("name", "name_zh", "slug")
    prepopulated_fields = {"slug": ("name",)}


class BeltYearStatInline(admin.TabularInline):
    """The belt's yearly figures, read-only: they are derived by the recompute task."""

    model = BeltYearStat
    fields = ("year", "gmv_cny", "merchant_count", "yoy_growth_percent", "tier", "computed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("GMV"))
    def gmv_cny(self, obj):
        return format_cny(obj.gmv)

    @admin.display(description=_("year-on-year growth"))
    def yoy_growth_percent(self, obj):
        return format_ratio(obj.yoy_growth)


@admin.register(IndustrialBelt)
class IndustrialBeltAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    belt_path = "id"
    list_display = (
        "name",
        "name_zh",
        "city",
        "category",
        "latest_tier",
        "merchant_total",
        "created_at",
    )
    list_select_related = ("city", "category")
    # Cities, categories and centers are small tables: their plain filters list every row.
    list_filter = ("category", "city__province", "city", "operation_centers")
    search_fields = ("name", "name_zh", "slug", "city__name", "city__name_zh", "category__name")
    autocomplete_fields = ("city", "category")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at", "atlas_page")
    inlines = (BeltYearStatInline,)

    def get_queryset(self, request):
        latest_stat = BeltYearStat.objects.filter(belt=OuterRef("pk")).order_by("-year")
        return (
            super()
            .get_queryset(request)
            .annotate(
                merchant_total=Count("merchants"),
                latest_tier=Subquery(latest_stat.values("tier")[:1]),
            )
            .order_by("name")
        )

    @admin.display(description=_("merchants"), ordering="merchant_total")
    def merchant_total(self, obj):
        return obj.merchant_total

    @admin.display(description=_("belt's page"))
    def atlas_page(self, obj):
        """The belt's read-only page in the atlas (its figures, tiers, merchants and map)."""
        if obj.pk is None:
            return "—"
        url = reverse("admin:atlas-belt", args=[obj.slug], current_app=self.admin_site.name)
        return format_html('<a href="{}">{}</a>', url, _("Open the belt's page in the atlas"))

    @admin.display(description=_("latest tier"), ordering="latest_tier")
    def latest_tier(self, obj):
        if obj.latest_tier is None:
            return None
        return BeltTier(obj.latest_tier).label


@admin.register(TierPolicy)
class TierPolicyAdmin(admin.ModelAdmin):
    list_display = ("year", "ten_billion_gmv_cny", "growth_min_gmv_cny", "growth_top_n")
    search_fields = ("=year",)
    readonly_fields = ("created_at",)

    @admin.display(description=_("ten-billion belt threshold"), ordering="ten_billion_gmv")
    def ten_billion_gmv_cny(self, obj):
        return format_cny(obj.ten_billion_gmv)

    @admin.display(description=_("growth belt minimum"), ordering="growth_min_gmv")
    def growth_min_gmv_cny(self, obj):
        return format_cny(obj.growth_min_gmv)


@admin.register(BeltYearStat)
class BeltYearStatAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    """Derived figures: computed by the recompute task from merchant metrics, shown read-only.

    No add and no change form (figures come from the recompute task or an import); deleting a
    wrong row is allowed, the next recompute writes it again.
    """

    belt_path = "belt"

    list_display = (
        "belt",
        "year",
        "gmv_cny",
        "merchant_count",
        "yoy_growth_percent",
        "tier",
        "computed_at",
    )
    list_select_related = ("belt",)
    list_filter = ("year", "tier", "belt__category", "belt__city__province")
    search_fields = ("belt__name", "belt__name_zh", "belt__slug")
    readonly_fields = ("belt", "year", "gmv", "merchant_count", "yoy_growth", "tier", "computed_at")
    show_full_result_count = False
    paginator = BigTablePaginator  # estimated or capped counts, deep pages by key
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("GMV"), ordering="gmv")
    def gmv_cny(self, obj):
        return format_cny(obj.gmv)

    @admin.display(description=_("year-on-year growth"), ordering="yoy_growth")
    def yoy_growth_percent(self, obj):
        return format_ratio(obj.yoy_growth)


@admin.register(BeltTierChange)
class BeltTierChangeAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    """Written by the tier recompute when a belt moves tier: a record, shown read-only."""

    belt_path = "belt"

    list_display = ("belt", "year", "from_tier", "to_tier", "changed_at")
    list_select_related = ("belt",)
    list_filter = ("year", "to_tier", "from_tier")
    date_hierarchy = "changed_at"
    search_fields = ("belt__name", "belt__name_zh", "belt__slug")
    readonly_fields = ("belt", "year", "from_tier", "to_tier", "changed_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OperationCenterMembershipInline(admin.TabularInline):
    model = OperationCenterMembership
    fields = ("user", "role", "joined_at")
    readonly_fields = ("joined_at",)
    autocomplete_fields = ("user",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(OperationCenter)
class OperationCenterAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    center_path = "pk"
    list_display = ("name", "name_zh", "city", "opened_on", "belt_total", "staff_total")
    list_select_related = ("city",)
    list_filter = ("city__province",)
    search_fields = ("name", "name_zh", "city__name", "city__name_zh")
    autocomplete_fields = ("city", "belts")
    inlines = (OperationCenterMembershipInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                belt_total=Count("belts", distinct=True),
                staff_total=Count("memberships", distinct=True),
            )
            # Meta.ordering does not apply to a grouped query: order it explicitly.
            .order_by("name")
        )

    @admin.display(description=_("belts served"), ordering="belt_total")
    def belt_total(self, obj):
        return obj.belt_total

    @admin.display(description=_("staff"), ordering="staff_total")
    def staff_total(self, obj):
        return obj.staff_total


@admin.register(OperationCenterMembership)
class OperationCenterMembershipAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    center_path = "center"
    list_display = ("user", "center", "role", "joined_at")
    list_select_related = ("user", "center")
    # About twenty centers: the plain filter lists them all in one query.
    list_filter = ("role", "center")
    search_fields = (
        "user__username",
        "user__email",
        "user__first_name",
        "user__last_name",
        "center__name",
    )
    autocomplete_fields = ("center", "user")
    readonly_fields = ("joined_at",)
