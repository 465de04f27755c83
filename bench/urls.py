"""The project's URLs plus the two ceilings the API's lists are measured against:

- ``/bench/bare/``: a Django view answering a small JSON object behind the same middleware;
- ``/bench/bare-signed-in/``: the same for a signed-in reader (the session and the user loaded);
- ``/bench/bare-console/``, ``/bench/bare-portal/``, ``/bench/bare-api/``: each surface's own
  empty page, the floor its pages are measured against: the console's chrome (header, the
  sidebar's menu of the models the user may see) with no content; the portal's layout (its
  navigation and unread badge) with no content; a DRF view behind the API's authentication,
  permission and renderer answering an empty object;
- ``/bench/floor/``: the least work a page of merchants takes: the same page's SQL on a raw
  cursor, its rows answered as JSON arrays (no ORM, no authentication, no field names);
- ``/bench/merchants/``: the best simple alternative to ``GET /api/v1/merchants/``: a plain
  Django view answering the same page (50 merchants after ``?after=<id>``, with their belt and
  category) from ``.values()``, without authentication, scope, DRF or model instances.
"""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

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


@staff_member_required
def bare_console(request):
    """The console's chrome and nothing else: ``admin/base_site.html`` with the admin's context
    (the sidebar's menu, built from the user's permissions), as every console page has it."""
    return render(request, "admin/base_site.html", {**admin.site.each_context(request)})


@login_required
def bare_portal(request):
    """The portal's layout and nothing else: ``base.html`` with its context processors (the
    navigation, the unread badge), as every portal page has it."""
    return render(request, "base.html", {})


class BareApi(APIView):
    """An API view with the API's authentication, permission and renderer, answering nothing."""

    def get(self, request):
        return Response({})


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
    path("bench/bare-console/", bare_console),
    path("bench/bare-portal/", bare_portal),
    path("bench/bare-api/", BareApi.as_view()),
    path("bench/merchants/", merchants_page),
    *project_urlpatterns,
]
