"""The project's URLs plus the two ceilings the API's lists are measured against:

- ``/bench/bare/``: a Django view answering a small JSON object behind the same middleware;
- ``/bench/merchants/``: the best simple alternative to ``GET /api/v1/merchants/``: a plain
  Django view answering the same page (50 merchants after ``?after=<id>``, with their belt and
  category) from ``.values()``, without authentication, scope, DRF or model instances.
"""

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


def merchants_page(request):
    after = int(request.GET.get("after") or 0)
    rows = list(Merchant.objects.filter(id__gt=after).order_by("id").values(*FIELDS)[:50])
    return JsonResponse({"results": rows})


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/merchants/", merchants_page),
    *project_urlpatterns,
]
