"""Big lists answered from ``.values()``: a page's rows exactly as their serializer words them,
without a model instance or a DRF field per value.

A page of 50 merchants through ``MerchantSerializer`` builds 50 instances (and their belts and
categories) and walks some 800 DRF fields; here it is one ``.values()`` query and one dict per
row. The serializer stays the contract: it documents the schema, answers the detail view, and
``tests/api/test_rows.py`` pins every function here equal to it, row for row.
"""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils import timezone
from rest_framework.generics import GenericAPIView


def date_json(value: datetime.date | None) -> str | None:
    """As ``serializers.DateField`` words it (ISO 8601)."""
    return None if value is None else value.isoformat()


def datetime_json(value: datetime.datetime | None, tz: datetime.tzinfo) -> str | None:
    """As ``serializers.DateTimeField`` words an aware value: ISO 8601 in ``tz`` (the active
    time zone, looked up once a page), ``Z`` for UTC."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


MICRODEGREE = Decimal("0.000001")


def degrees_json(value: Decimal | None) -> str | None:
    """As ``serializers.DecimalField(decimal_places=6)`` words a coordinate."""
    return None if value is None else f"{Decimal(value).quantize(MICRODEGREE):f}"


class ValuesListMixin(GenericAPIView):
    """``list`` from ``.values(*list_values)`` through ``list_rows``: the same filters, the same
    cursor page, the same body as the serializer's; everything else keeps the serializer."""

    list_values: tuple[str, ...] = ()

    def list_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset()).values(*self.list_values)
        page = self.paginate_queryset(queryset)
        assert page is not None, "the API's lists are always paginated"
        return self.get_paginated_response(self.list_rows(page))


# Merchants ------------------------------------------------------------------------------------
MERCHANT_VALUES = (
    "id",
    "legal_name",
    "shop_name",
    "belt__id",
    "belt__name",
    "belt__slug",
    "category__id",
    "category__name",
    "category__name_zh",
    "category__slug",
    "merchant_type",
    "brand_stage",
    "is_smb",
    "opened_on",
    "returned_on",
    "status",
    "district",
    "latitude",
    "longitude",
    "created_at",
    "updated_at",
)


def merchant_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``MerchantSerializer(many=True).data`` from ``.values(*MERCHANT_VALUES)``."""
    tz = timezone.get_current_timezone()
    return [
        {
            "id": row["id"],
            "legal_name": row["legal_name"],
            "shop_name": row["shop_name"],
            "belt": {"id": row["belt__id"], "name": row["belt__name"], "slug": row["belt__slug"]},
            "category": {
                "id": row["category__id"],
                "name": row["category__name"],
                "name_zh": row["category__name_zh"],
                "slug": row["category__slug"],
            },
            "merchant_type": row["merchant_type"],
            "brand_stage": row["brand_stage"],
            "is_smb": row["is_smb"],
            "opened_on": date_json(row["opened_on"]),
            "returned_on": date_json(row["returned_on"]),
            "status": row["status"],
            "district": row["district"],
            "latitude": degrees_json(row["latitude"]),
            "longitude": degrees_json(row["longitude"]),
            "created_at": datetime_json(row["created_at"], tz),
            "updated_at": datetime_json(row["updated_at"], tz),
        }
        for row in rows
    ]
