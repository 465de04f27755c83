from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from belts.choices import BeltTier
from belts.models import BeltYearStat, Category, City, IndustrialBelt, OperationCenter
from belts.selectors import AtlasBelt


class CitySerializer(serializers.ModelSerializer):
    class Meta:
        model = City
        fields = [
            "id",
            "name",
            "name_zh",
            "province",
            "province_zh",
            "is_prefecture_level",
            "latitude",
            "longitude",
        ]


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "name_zh", "slug"]


class IndustrialBeltSerializer(serializers.ModelSerializer):
    city = CitySerializer(read_only=True)
    category = CategorySerializer(read_only=True)

    class Meta:
        model = IndustrialBelt
        fields = ["id", "name", "name_zh", "slug", "city", "category", "description"]


class BriefBeltSerializer(serializers.ModelSerializer):
    class Meta:
        model = IndustrialBelt
        fields = ["id", "name", "slug"]


class OperationCenterSerializer(serializers.ModelSerializer):
    city = CitySerializer(read_only=True)
    belts: serializers.PrimaryKeyRelatedField[IndustrialBelt] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = OperationCenter
        fields = ["id", "name", "name_zh", "city", "opened_on", "belts"]


class BeltYearStatSerializer(serializers.ModelSerializer):
    belt = BriefBeltSerializer(read_only=True)

    class Meta:
        model = BeltYearStat
        fields = [
            "id",
            "belt",
            "year",
            "gmv",
            "merchant_count",
            "yoy_growth",
            "tier",
            "computed_at",
        ]


# The atlas as GeoJSON (RFC 7946) ---------------------------------------------------------------
class BeltPointSerializer(serializers.Serializer):
    """A GeoJSON Point at the belt's city: ``[longitude, latitude]``, in that order."""

    type = serializers.SerializerMethodField()
    coordinates = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "enum": ["Point"]})
    def get_type(self, belt: AtlasBelt) -> str:
        return "Point"

    @extend_schema_field(
        {
            "type": "array",
            "items": {"type": "number"},
            "minItems": 2,
            "maxItems": 2,
            "description": "[longitude, latitude] of the belt's city, in degrees (WGS 84).",
        }
    )
    def get_coordinates(self, belt: AtlasBelt) -> list[float]:
        return [belt.longitude, belt.latitude]


class BeltFeaturePropertiesSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The belt's name as stored (English).")
    name_zh = serializers.CharField(help_text="The belt's Chinese name; may be empty.")
    display_name = serializers.CharField(
        help_text="The belt's name in the request's language (Accept-Language)."
    )
    slug = serializers.SlugField()
    city = serializers.CharField(
        source="display_city", help_text="The belt's city, in the request's language."
    )
    province = serializers.CharField(
        source="display_province", help_text="The city's province, in the request's language."
    )
    category = serializers.SlugField(source="category_slug", help_text="The category's slug.")
    category_name = serializers.CharField(
        source="display_category", help_text="The category's name, in the request's language."
    )
    year = serializers.IntegerField(
        allow_null=True,
        help_text="The year of the figures (the same for every feature); null when no belt "
        "has figures for any year.",
    )
    gmv = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        allow_null=True,
        help_text="GMV of the year in CNY; null when the belt has no figures that year.",
    )
    merchant_count = serializers.IntegerField(allow_null=True)
    yoy_growth = serializers.DecimalField(
        max_digits=12,
        decimal_places=4,
        allow_null=True,
        help_text="Year-on-year growth: 0.25 is 25% more than the year before; null when "
        "there is no prior year or no figures.",
    )
    tier = serializers.ChoiceField(
        choices=BeltTier.choices, help_text="`standard` when the belt has no figures that year."
    )
    tier_label = serializers.SerializerMethodField(
        help_text="The tier's name, in the request's language."
    )

    def get_tier_label(self, belt: AtlasBelt) -> str:
        return str(BeltTier(belt.tier).label)


class BeltFeatureSerializer(serializers.Serializer):
    type = serializers.SerializerMethodField()
    id = serializers.IntegerField(help_text="The belt's id, as in `belts/{id}/`.")
    geometry = BeltPointSerializer(source="*")
    properties = BeltFeaturePropertiesSerializer(source="*")

    @extend_schema_field({"type": "string", "enum": ["Feature"]})
    def get_type(self, belt: AtlasBelt) -> str:
        return "Feature"


class BeltFeatureCollectionSerializer(serializers.Serializer):
    """Every belt as a GeoJSON FeatureCollection, with the year shown as a foreign member."""

    type = serializers.SerializerMethodField()
    year = serializers.IntegerField(
        allow_null=True,
        help_text="The year of the figures shown: the one asked for, else the newest with "
        "figures (null when there are none).",
    )
    features = BeltFeatureSerializer(many=True)

    @extend_schema_field({"type": "string", "enum": ["FeatureCollection"]})
    def get_type(self, collection: dict) -> str:
        return "FeatureCollection"
