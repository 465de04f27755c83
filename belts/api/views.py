"""Read-only API of the belts app: thin callers of its selectors and FilterSets.

Belts, cities, categories, operation centers and belt figures are platform-wide reference data:
every signed-in caller (a session, a merchant's, a center's or a provider's key) reads all of it.
"""

from django.utils.translation import gettext as _
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from belts import selectors
from belts.choices import BeltTier
from belts.filtersets import (
    AtlasFilterForm,
    BeltYearStatFilterSet,
    CategoryFilterSet,
    CityFilterSet,
    IndustrialBeltFilterSet,
    OperationCenterFilterSet,
)
from core.exceptions import DomainError

from .serializers import (
    BeltFeatureCollectionSerializer,
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


class GeoJSONRenderer(JSONRenderer):
    """JSON labelled ``application/geo+json`` (RFC 7946), chosen by the ``Accept`` header."""

    media_type = "application/geo+json"
    format = "geojson"


# The map has a few hundred belts; past this the answer is refused rather than cut, so a
# caller never draws a map with belts silently missing (it can narrow by category or tier).
GEO_MAX_FEATURES = 5000

GEO_EXAMPLE = {
    "type": "FeatureCollection",
    "year": 2025,
    "features": [
        {
            "type": "Feature",
            "id": 12,
            "geometry": {"type": "Point", "coordinates": [115.904, 39.1267]},
            "properties": {
                "name": "Baoding-Baigou luggage",
                "name_zh": "白沟箱包",
                "display_name": "Baoding-Baigou luggage",
                "slug": "baigou-luggage",
                "city": "Baoding",
                "province": "Hebei",
                "category": "luggage",
                "category_name": "Luggage",
                "year": 2025,
                "gmv": "4600000000.00",
                "merchant_count": 412,
                "yoy_growth": "0.2500",
                "tier": "growth",
                "tier_label": "Growth belt",
            },
        }
    ],
}


class IndustrialBeltViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = IndustrialBeltSerializer
    filterset_class = IndustrialBeltFilterSet

    def get_queryset(self):
        return selectors.belt_list()

    @extend_schema(
        summary="Every belt as a GeoJSON FeatureCollection, for drawing a map",
        description="One Point feature per belt, at its city (`[longitude, latitude]`), with "
        "the figures of one year: the `year` asked for, else the newest year with figures. A "
        "belt without figures that year is a feature too, with `gmv` null and tier "
        "`standard`. Ordered by GMV, largest first. Not paged: refused (400 "
        f"`too_many_belts`) past {GEO_MAX_FEATURES:,} belts. `application/geo+json` unless "
        "`Accept` asks for `application/json` (the same body); errors are `application/json`.",
        parameters=[
            OpenApiParameter(
                "year",
                OpenApiTypes.INT,
                description="A year that has belt figures (see `belt-year-stats/`); default "
                "the newest. Any other year is a 400.",
            ),
            OpenApiParameter(
                "category",
                OpenApiTypes.STR,
                description="A category's slug (see `categories/`); an unknown one is a 400.",
            ),
            OpenApiParameter(
                "tier",
                OpenApiTypes.STR,
                enum=BeltTier.values,
                description="Only belts of this tier that year (`standard` includes belts "
                "without figures).",
            ),
        ],
        responses={
            200: OpenApiResponse(
                BeltFeatureCollectionSerializer,
                description="A GeoJSON FeatureCollection (RFC 7946) with `year` as a foreign "
                "member.",
                examples=[OpenApiExample("Baigou", value=GEO_EXAMPLE, response_only=True)],
            )
        },
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="geo",
        filter_backends=[],
        pagination_class=None,
        renderer_classes=[GeoJSONRenderer, JSONRenderer],
    )
    def geo(self, request: Request) -> Response:
        form = AtlasFilterForm(request.query_params)
        if not form.is_valid():
            raise translate_validation(form.errors)
        atlas = form.atlas_filter()
        belts = selectors.atlas_belt_list(
            year=atlas.year,
            category_slug=atlas.category_slug,
            tier=atlas.tier,
            limit=GEO_MAX_FEATURES + 1,
        )
        if len(belts) > GEO_MAX_FEATURES:
            raise DomainError(
                _("More than %(limit)s belts match: narrow the request by category or tier.")
                % {"limit": f"{GEO_MAX_FEATURES:,}"},
                code="too_many_belts",
            )
        collection = {"year": atlas.year, "features": belts}
        return Response(BeltFeatureCollectionSerializer(collection).data)

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if self.action == "geo":
            # An error is not a GeoJSON object: plain JSON, whatever the Accept header chose.
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return response


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
