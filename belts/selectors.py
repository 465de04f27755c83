"""Reads of the belts app. Each list returns a queryset that loads what its callers show in a
fixed number of queries, whatever its length."""

from django.db.models import Prefetch, QuerySet

from .models import BeltYearStat, Category, City, IndustrialBelt, OperationCenter
from .scoping import Viewer, center_scope


def city_list() -> QuerySet[City]:
    return City.objects.order_by("name", "id")


def category_list() -> QuerySet[Category]:
    return Category.objects.order_by("name", "id")


def belt_list() -> QuerySet[IndustrialBelt]:
    return IndustrialBelt.objects.select_related("city", "category").order_by("name", "id")


def operation_center_list() -> QuerySet[OperationCenter]:
    # Only the ids of the belts served are shown: don't load whole belt rows for them.
    belts_served = Prefetch("belts", queryset=IndustrialBelt.objects.only("id").order_by("id"))
    return (
        OperationCenter.objects.select_related("city")
        .prefetch_related(belts_served)
        .order_by("name", "id")
    )


def belt_year_stat_list() -> QuerySet[BeltYearStat]:
    return BeltYearStat.objects.select_related("belt").order_by("-year", "-gmv", "id")


def center_list_for(*, user: Viewer) -> QuerySet[OperationCenter]:
    """The operation centers ``user`` belongs to; every center for a superuser."""
    scope = center_scope(user, "pk")
    centers = OperationCenter.objects.order_by("name", "id")
    return centers if scope is None else centers.filter(scope)


def category_names_by_slug() -> dict[str, tuple[str, str]]:
    """``{slug: (name, name_zh)}`` of every category: one query. Categories are a few dozen
    rows; explanations that name categories by their slug read them from this."""
    return {
        slug: (name, name_zh)
        for slug, name, name_zh in Category.objects.values_list("slug", "name", "name_zh")
    }


def belt_operation_center_list(*, belt_id: int) -> QuerySet[OperationCenter]:
    """The operation centers serving the belt, with their city, by name: one query."""
    return (
        OperationCenter.objects.filter(belts__pk=belt_id)
        .select_related("city")
        .order_by("name", "id")
    )
