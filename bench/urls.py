"""The project's URLs plus the two ceilings the API's lists are measured against:

- ``/bench/bare/``: a Django view answering a small JSON object behind the same middleware;
- ``/bench/bare-signed-in/``: the same for a signed-in reader (the session and the user loaded);
- ``/bench/floor/``: the least work a page of merchants takes: the same page's SQL on a raw
  cursor, its rows answered as JSON arrays (no ORM, no authentication, no field names);
- ``/bench/merchants/``: the best simple alternative to ``GET /api/v1/merchants/``: a plain
  Django view answering the same page (50 merchants after ``?after=<id>``, with their belt and
  category) from ``.values()``, without authentication, scope, DRF or model instances.
"""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns
from merchants.models import Merchant

FIELDS = (
    "id",
    "legal_name",
    "shop_name",
    "belt_id",
    "belt__name",
    "belt__slug",
    "category_id",
    "category__slug",
    "category__name",
    "category__name_zh",
    "merchant_type",
    "brand_stage",
    "is_smb",
    "opened_on",
    "returned_on",
    "status",
    "created_at",
    "updated_at",
)


def bare(request):
    return JsonResponse({"ok": True, "results": []})


def bare_signed_in(request):
    """The bare view for a signed-in reader: the session and the user loaded, as every console
    and portal page loads them, and nothing else (``python -m bench web``)."""
    return JsonResponse({"ok": True, "user": request.user.pk})


def merchants_page(request):
    after = int(request.GET.get("after") or 0)
    rows = list(Merchant.objects.filter(id__gt=after).order_by("id").values(*FIELDS)[:50])
    return JsonResponse({"results": rows})


def _page_sql() -> str:
    sql, params = (
        Merchant.objects.filter(id__gt=0)
        .order_by("id")
        .values(*FIELDS)[:50]
        .query.sql_with_params()
    )
    assert params == (0,), params
    return sql


PAGE_SQL = _page_sql()


def floor(request):
    after = int(request.GET.get("after") or 0)
    with connection.cursor() as cursor:
        cursor.execute(PAGE_SQL, [after])
        rows = cursor.fetchall()
    return JsonResponse({"results": rows}, encoder=DjangoJSONEncoder)


urlpatterns = [
    path("bench/floor/", floor),
    path("bench/bare/", bare),
    path("bench/bare-signed-in/", bare_signed_in),
    path("bench/merchants/", merchants_page),
    *project_urlpatterns,
]
