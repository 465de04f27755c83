"""Read-only API of the belts app: thin callers of its selectors and FilterSets."""

from rest_framework import viewsets

from belts import selectors
from belts.filtersets import (
    BeltYearStatFilterSet,
    CategoryFilterSet,
    CityFilterSet,
    IndustrialBeltFilterSet,
    OperationCenterFilterSet,
)

from .serializers import (
    BeltYearStatSerializer,
    CategorySerializer,
    CitySerializer,
    IndustrialBeltSerializer,
    OperationCenterSerializer,
)


class CityViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CitySerializer
    filterset_class = CityFilterSet

    def get_queryset(self):
        return selectors.city_list()


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CategorySerializer
    filterset_class = CategoryFilterSet

    def get_queryset(self):
        return selectors.category_list()


class IndustrialBeltViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = IndustrialBeltSerializer
    filterset_class = IndustrialBeltFilterSet

    def get_queryset(self):
        return selectors.belt_list()


class OperationCenterViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OperationCenterSerializer
    filterset_class = OperationCenterFilterSet

    def get_queryset(self):
        return selectors.operation_center_list()


class BeltYearStatViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = BeltYearStatSerializer
    filterset_class = BeltYearStatFilterSet

    def get_queryset(self):
        return selectors.belt_year_stat_list()
