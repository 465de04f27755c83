"""The one REST API router, mounted at ``/api/v1/``.

Each app declares its routes in ``<app>/api/urls.py``; they are gathered here so the API has one
root view, one URL namespace (``api``) and one OpenAPI schema.
"""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import DefaultRouter

from belts.api.urls import router as belts_router
from config.api_errors import api_not_found
from config.atlas.api import BeltWithFiguresViewSet
from logistics.api.urls import router as logistics_router
from logistics.api.urls import urlpatterns as logistics_urlpatterns
from merchants.api.urls import router as merchants_router
from merchants.api.urls import urlpatterns as merchants_urlpatterns
from programs.api.urls import router as programs_router
from programs.api.urls import urlpatterns as programs_urlpatterns

router = DefaultRouter()
for app_router in (belts_router, merchants_router, programs_router, logistics_router):
    router.registry.extend(app_router.registry)
# A belt's detail carries its page's figures, drawn from every app: the belts app's viewset with
# that detail (config.atlas.api), in its place.
router.registry[:] = [
    (prefix, BeltWithFiguresViewSet if basename == "belt" else viewset, basename)
    for prefix, viewset, basename in router.registry
]

app_name = "api"
urlpatterns = [
    *router.urls,
    *merchants_urlpatterns,
    *programs_urlpatterns,
    *logistics_urlpatterns,
    # The schema and its docs: for any authenticated caller, key holders included.
    path(
        "schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="schema"
    ),
    # The split view serves Swagger UI's init script as a file of its own (?script), so the page
    # needs no inline script and the CSP keeps script-src 'self'.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema",
            permission_classes=[IsAuthenticated],
            template_name="api/swagger_ui.html",
        ),
        name="docs",
    ),
    # Last: any other address under /api/v1/ is a JSON 404 in the error shape.
    re_path(r"^(?P<path>.*)$", api_not_found, name="not-found"),
]
