from __future__ import annotations

from rest_framework import serializers

from belts.models import BeltYearStat, Category, City, IndustrialBelt, OperationCenter


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
